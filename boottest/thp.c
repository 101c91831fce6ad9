// SPDX-License-Identifier: GPL-2.0-or-later
#include "thp.h"

#include <errno.h>
#include <json-c/json.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
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
    return thp_filter_make_sizes(a, &pmem_size, pmem_size ? 1 : 0, out);
}

int thp_filter_make_sizes(enum thp_advice a, const uint64_t *sizes, size_t n,
                          struct sock_fprog *out)
{
    scmp_filter_ctx ctx;
    int r = 0;

    *out = (struct sock_fprog){0};
    if (n > THP_MAX_SIZES)
        return -E2BIG;
    if (a == THP_ADVICE_ALL || (a == THP_ADVICE_RAM && n == 0))
        return 0;
    ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        return -ENOMEM;
    /* ERRNO(0): the call returns 0 and does nothing; QEMU goes on as if advised */
    if (a == THP_ADVICE_NONE)
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), SCMP_SYS(madvise), 1,
                             SCMP_A2(SCMP_CMP_EQ, MADV_HUGEPAGE));
    else
        for (size_t i = 0; r == 0 && i < n; i++)
            r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), SCMP_SYS(madvise), 2,
                                 SCMP_A1(SCMP_CMP_EQ, sizes[i]),
                                 SCMP_A2(SCMP_CMP_EQ, MADV_HUGEPAGE));
    if (r == 0)
        r = export_bpf(ctx, out);
    seccomp_release(ctx);
    return r;
}

/* QEMU's size syntax as far as a backend's size goes: digits, then at most one of B K M G T P
 * E (either case; powers of 1024). Fractions ("1.5G") are refused: give bytes. */
static int parse_size(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    unsigned shift = 0;

    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -ERANGE;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (i == 0)
        return -EINVAL;
    if (i < len) {
        static const char units[] = "bkmgtpe";
        const char *u = s[i] ? strchr(units, s[i] | 0x20) : NULL;
        if (!u || i + 1 != len)
            return -EINVAL;
        shift = (unsigned)(u - units) * 10;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = v << shift;
    return *out ? 0 : -EINVAL;
}

static uint64_t page_round(uint64_t v)
{
    long ps = sysconf(_SC_PAGESIZE);
    uint64_t p = ps > 0 ? (uint64_t)ps : 4096;
    return v > UINT64_MAX - (p - 1) ? v : (v + p - 1) / p * p;
}

/* QEMU's KEY=VALUE,... (",," is a comma inside a value); the first item may be the type alone.
 * 1 and *size set for a memory-backend-file, 0 for another object, -EINVAL (no or bad size). */
static int keyval_backend(const char *v, uint64_t *size)
{
    static const char type[] = "memory-backend-file";
    bool file = false;
    const char *sz = NULL;
    size_t szlen = 0;

    for (int item = 0; *v; item++) {
        const char *end = v;
        while (*end && !(end[0] == ',' && end[1] != ',')) /* ",," stays inside the item */
            end += end[0] == ',' ? 2 : 1;
        size_t len = (size_t)(end - v);
        const char *eq = memchr(v, '=', len);
        size_t klen = eq ? (size_t)(eq - v) : len, vlen = eq ? len - klen - 1 : 0;
        if (!eq && item == 0)
            file = len == strlen(type) && memcmp(v, type, len) == 0;
        else if (eq && klen == 8 && memcmp(v, "qom-type", 8) == 0)
            file = vlen == strlen(type) && memcmp(eq + 1, type, vlen) == 0;
        else if (eq && klen == 4 && memcmp(v, "size", 4) == 0) {
            sz = eq + 1;
            szlen = vlen;
        }
        v = *end ? end + 1 : end;
    }
    if (!file)
        return 0;
    return sz && parse_size(sz, szlen, size) == 0 ? 1 : -EINVAL;
}

/* libvirt's JSON form: {"qom-type":"memory-backend-file",...,"size":N} */
static int json_backend(const char *v, uint64_t *size)
{
    enum json_tokener_error err;
    json_object *o = json_tokener_parse_verbose(v, &err), *t, *sz;
    int r = 0;

    if (!o || !json_object_is_type(o, json_type_object)) {
        r = o ? 0 : -EINVAL; /* not an object: not ours; unparsable: refused */
        json_object_put(o);
        return r;
    }
    if (json_object_object_get_ex(o, "qom-type", &t) && json_object_is_type(t, json_type_string) &&
        strcmp(json_object_get_string(t), "memory-backend-file") == 0) {
        r = -EINVAL;
        if (json_object_object_get_ex(o, "size", &sz)) {
            if (json_object_is_type(sz, json_type_int) && json_object_get_int64(sz) > 0) {
                *size = (uint64_t)json_object_get_int64(sz);
                r = 1;
            } else if (json_object_is_type(sz, json_type_string)) {
                const char *s = json_object_get_string(sz);
                r = parse_size(s, strlen(s), size) < 0 ? -EINVAL : 1;
            }
        }
    }
    json_object_put(o);
    return r;
}

int thp_backend_sizes(int argc, char *const *argv, uint64_t *sizes, size_t max, size_t *n,
                      char *why, size_t why_len)
{
    *n = 0;
    if (why_len)
        why[0] = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-object") != 0 && strcmp(argv[i], "--object") != 0)
            continue;
        if (i + 1 >= argc)
            break; /* QEMU itself says what is missing */
        const char *v = argv[++i];
        uint64_t size = 0;
        int r = v[0] == '{' ? json_backend(v, &size) : keyval_backend(v, &size);
        if (r < 0) {
            snprintf(why, why_len,
                     "-object %.200s%s: the size of a memory-backend-file cannot be read (give "
                     "size= in bytes, or with one of the suffixes K, M, G, T)",
                     v, strlen(v) > 200 ? "..." : "");
            return -EINVAL;
        }
        if (r == 0)
            continue;
        if (*n >= max) {
            snprintf(why, why_len, "more than %zu memory-backend-file objects", max);
            return -E2BIG;
        }
        sizes[(*n)++] = page_round(size);
    }
    return 0;
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
