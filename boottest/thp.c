// SPDX-License-Identifier: GPL-2.0-or-later
#include "thp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cleanup.h"

static const char *const names[] = {
    [THP_ADVICE_RAM] = "ram",
    [THP_ADVICE_ALL] = "all",
    [THP_ADVICE_NONE] = "none",
};

int thp_advice_parse(const char *s, enum thp_advice *out)
{
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum thp_advice)i;
            return 0;
        }
    return -EINVAL;
}

const char *thp_advice_name(enum thp_advice a)
{
    return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "?";
}

/* libseccomp 2.5 exports the compiled program to a file descriptor only */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *out)
{
    _cleanup_close_ int fd = memfd_create("thp-filter", MFD_CLOEXEC);
    struct sock_filter *f;
    off_t size;
    int r;

    if (fd < 0)
        return -errno;
    r = seccomp_export_bpf(ctx, fd);
    if (r < 0)
        return r;
    size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
        size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
        return -EINVAL;
    f = malloc((size_t)size);
    if (!f)
        return -ENOMEM;
    if (pread(fd, f, (size_t)size, 0) != size) {
        r = errno ? -errno : -EIO;
        free(f);
        return r;
    }
    out->filter = f;
    out->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
    return 0;
}

int thp_filter_make(enum thp_advice a, uint64_t pmem_size, struct sock_fprog *out)
{
    scmp_filter_ctx ctx;
    int r;

    *out = (struct sock_fprog){0};
    if (a == THP_ADVICE_ALL || (a == THP_ADVICE_RAM && pmem_size == 0))
        return 0;
    ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        return -ENOMEM;
    /* ERRNO(0): the call returns 0 and does nothing; QEMU goes on as if advised */
    if (a == THP_ADVICE_NONE)
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), SCMP_SYS(madvise), 1,
                             SCMP_A2(SCMP_CMP_EQ, MADV_HUGEPAGE));
    else
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), SCMP_SYS(madvise), 2,
                             SCMP_A1(SCMP_CMP_EQ, pmem_size), SCMP_A2(SCMP_CMP_EQ, MADV_HUGEPAGE));
    if (r == 0)
        r = export_bpf(ctx, out);
    seccomp_release(ctx);
    return r;
}

void thp_filter_free(struct sock_fprog *p)
{
    free(p->filter);
    *p = (struct sock_fprog){0};
}

int thp_filter_apply(const struct sock_fprog *p)
{
    if (!p || p->len == 0)
        return 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p) < 0)
        return -errno;
    return 0;
}
