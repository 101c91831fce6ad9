// SPDX-License-Identifier: GPL-2.0-or-later
/* sharedroot-boottest --thp-advice (boottest/thp.c): its parser, and the seccomp filter that
 * keeps QEMU's madvise(MADV_HUGEPAGE) off the virtio-pmem base's mapping, applied in a child
 * to two mappings as QEMU advises them: the one of the base's size must come out without the
 * kernel's "hg" flag (VM_HUGEPAGE), the other with it. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "thp.h"

TEST(thp_advice_parse_names_and_bad_input)
{
    enum thp_advice a = THP_ADVICE_ALL;

    CHECK_INT(thp_advice_parse("ram", &a), 0);
    CHECK_INT(a, THP_ADVICE_RAM);
    CHECK_INT(thp_advice_parse("all", &a), 0);
    CHECK_INT(a, THP_ADVICE_ALL);
    CHECK_INT(thp_advice_parse("none", &a), 0);
    CHECK_INT(a, THP_ADVICE_NONE);
    CHECK_STR(thp_advice_name(THP_ADVICE_RAM), "ram");
    CHECK_STR(thp_advice_name(THP_ADVICE_NONE), "none");
    CHECK_STR(thp_advice_name((enum thp_advice)42), "?");
    a = THP_ADVICE_NONE;
    CHECK_INT(thp_advice_parse("", &a), -EINVAL);
    CHECK_INT(thp_advice_parse(NULL, &a), -EINVAL);
    CHECK_INT(thp_advice_parse("RAM", &a), -EINVAL);
    CHECK_INT(thp_advice_parse("ram ", &a), -EINVAL);
    CHECK_INT(thp_advice_parse("rams", &a), -EINVAL);
    CHECK_INT(thp_advice_parse("al", &a), -EINVAL);
    CHECK_INT(a, THP_ADVICE_NONE); /* unchanged by a refusal */
}

TEST(thp_filter_empty_when_nothing_is_filtered)
{
    struct sock_fprog p;

    CHECK_INT(thp_filter_make(THP_ADVICE_ALL, 432013312, &p), 0);
    CHECK_INT(p.len, 0);
    CHECK(p.filter == NULL);
    CHECK_INT(thp_filter_make(THP_ADVICE_RAM, 0, &p), 0); /* no pmem base */
    CHECK_INT(p.len, 0);
    CHECK_INT(thp_filter_apply(&p), 0); /* nothing to load: no-op */
    CHECK_INT(thp_filter_apply(NULL), 0);
    thp_filter_free(&p);
    CHECK_INT(thp_filter_make(THP_ADVICE_RAM, 432013312, &p), 0);
    CHECK(p.len > 0 && p.filter != NULL);
    thp_filter_free(&p);
    CHECK(p.len == 0 && p.filter == NULL);
    CHECK_INT(thp_filter_make(THP_ADVICE_NONE, 0, &p), 0);
    CHECK(p.len > 0);
    thp_filter_free(&p);
}

/* 1 if the mapping at addr has VM_HUGEPAGE ("hg" in VmFlags), 0 if not, -1 not found */
static int has_hg(void *addr)
{
    char want[32], line[512];
    bool in = false;
    int r = -1;
    FILE *f = fopen("/proc/self/smaps", "re");

    snprintf(want, sizeof want, "%lx-", (unsigned long)addr);
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, want, strlen(want)) == 0)
            in = true;
        else if (in && strncmp(line, "VmFlags:", 8) == 0) {
            r = strstr(line, " hg") != NULL;
            break;
        }
    }
    if (f)
        fclose(f);
    return r;
}

/* In a child: apply the filter of (a, base_size), madvise a mapping of base_size and one of
 * other_size as QEMU does; exit status: bit 0 the base mapping has hg, bit 1 the other; 8
 * madvise failed, 9 the filter failed, 10 THP is not in this kernel */
static int advise_in_child(enum thp_advice a, size_t base_size, size_t other_size)
{
    struct sock_fprog p;
    int status;
    pid_t pid;

    if (thp_filter_make(a, base_size, &p) < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        void *base = mmap(NULL, base_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        /* writable as guest RAM is: two mappings the kernel does not merge into one */
        void *other =
            mmap(NULL, other_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED || other == MAP_FAILED)
            _exit(8);
        if (thp_filter_apply(&p) < 0)
            _exit(9);
        if (madvise(other, other_size, MADV_HUGEPAGE) < 0)
            _exit(errno == EINVAL ? 10 : 8);
        if (madvise(base, base_size, MADV_HUGEPAGE) < 0)
            _exit(8);
        _exit((has_hg(base) == 1) | (has_hg(other) == 1) << 1);
    }
    thp_filter_free(&p);
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

TEST(thp_filter_keeps_the_advice_off_the_base_only)
{
    const size_t mib = 1 << 20;
    int r = advise_in_child(THP_ADVICE_ALL, 6 * mib, 4 * mib);

    if (r == 10) {
        SKIP("this kernel has no transparent huge pages (madvise MADV_HUGEPAGE: EINVAL)");
        return;
    }
    CHECK_INT(r, 3);                                                 /* both advised: QEMU as is */
    CHECK_INT(advise_in_child(THP_ADVICE_RAM, 6 * mib, 4 * mib), 2); /* only the other */
    CHECK_INT(advise_in_child(THP_ADVICE_RAM, 4 * mib, 6 * mib), 2); /* by size, not order */
    CHECK_INT(advise_in_child(THP_ADVICE_NONE, 6 * mib, 4 * mib), 0);
}

int main(void)
{
    return test_main();
}
