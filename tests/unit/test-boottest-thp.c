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

/* sharedroot-qemu's reading of QEMU's command line */
static int sizes_of(int argc, char **argv, uint64_t *sizes, size_t *n, char *why)
{
    return thp_backend_sizes(argc, argv, sizes, 4, n, why, 512);
}

TEST(backend_sizes_from_qemu_and_libvirt_syntax)
{
    uint64_t s[4] = {0};
    size_t n = 9;
    char why[512];
    char *a[] = {
        "qemu",
        "-m",
        "512,slots=2,maxmem=4G",
        "-object",
        "memory-backend-file,id=base,share=off,readonly=on,mem-path=/srv/b.img,size=432013312",
        "-device",
        "virtio-pmem-pci,memdev=base",
        "--object",
        "qom-type=memory-backend-file,id=b2,size=2G,mem-path=/a,,b.img",
        "-object",
        "{\"qom-type\":\"memory-backend-file\",\"id\":\"memvirtiopmem0\",\"mem-path\":"
        "\"/srv/base.img\",\"share\":false,\"size\":4194304}",
        "-object",
        "rng-random,id=rng0,filename=/dev/urandom",
        "-object",
        "{\"qom-type\":\"secret\",\"id\":\"s\",\"data\":\"x\"}",
        "-object",
        "memory-backend-file,size=3k,mem-path=/x"};
    CHECK_INT(sizes_of(sizeof a / sizeof a[0], a, s, &n, why), 0);
    CHECK_INT(n, 4);
    CHECK(s[0] == 432013312);
    CHECK(s[1] == 2ull << 30);
    CHECK(s[2] == 4194304);
    CHECK(s[3] == 4096); /* rounded up to the page, as QEMU maps it */
    char *none[] = {"qemu",
                    "-m",
                    "512",
                    "-object",
                    "memory-backend-ram,id=m,size=512M",
                    "-drive",
                    "file=memory-backend-file,size=1",
                    "-object"};
    CHECK_INT(sizes_of(sizeof none / sizeof none[0], none, s, &n, why), 0);
    CHECK_INT(n, 0);
    CHECK_INT(sizes_of(1, none, s, &n, why), 0);
    CHECK_INT(n, 0);
}

TEST(backend_sizes_refuse_what_cannot_be_read)
{
    uint64_t s[4];
    size_t n;
    char why[512];
    static char *bad[] = {
        "memory-backend-file,id=b,mem-path=/x",             /* no size */
        "memory-backend-file,size=,mem-path=/x",            /* empty */
        "memory-backend-file,size=1.5G",                    /* fraction */
        "memory-backend-file,size=12Q",                     /* unknown unit */
        "memory-backend-file,size=-4096",                   /* negative */
        "memory-backend-file,size=0",                       /* zero */
        "memory-backend-file,size=99999999999999999999999", /* overflow */
        "memory-backend-file,size=16777216T",               /* overflow by the unit */
        "memory-backend-file,size=4KK",                     /* two units */
        "{\"qom-type\":\"memory-backend-file\",\"size\":-1}",
        "{\"qom-type\":\"memory-backend-file\",\"size\":\"x\"}",
        "{\"qom-type\":\"memory-backend-file\"}",
        "{\"qom-type\":\"memory-backend-file\",\"size\":", /* truncated JSON */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *a[] = {"qemu", "-object", bad[i]};
        CHECK_INT(sizes_of(3, a, s, &n, why), -EINVAL);
        CHECK(strstr(why, "cannot be read") && strstr(why, "-object "));
    }
    /* an overlong argument is quoted cut short */
    char big[4096];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    memcpy(big, "memory-backend-file,id=", 23);
    char *a[] = {"qemu", "-object", big};
    CHECK_INT(sizes_of(3, a, s, &n, why), -EINVAL);
    CHECK(strlen(why) < 400 && strstr(why, "...:"));
    /* more objects than room */
    char *many[] = {"q",
                    "-object",
                    "memory-backend-file,size=1M",
                    "-object",
                    "memory-backend-file,size=1M",
                    "-object",
                    "memory-backend-file,size=1M",
                    "-object",
                    "memory-backend-file,size=1M",
                    "-object",
                    "memory-backend-file,size=1M"};
    CHECK_INT(sizes_of(sizeof many / sizeof many[0], many, s, &n, why), -E2BIG);
}

TEST(filter_of_several_sizes)
{
    struct sock_fprog p;
    uint64_t sizes[THP_MAX_SIZES + 1] = {4096, 8192};

    CHECK_INT(thp_filter_make_sizes(THP_ADVICE_RAM, sizes, 2, &p), 0);
    CHECK(p.len > 0);
    thp_filter_free(&p);
    CHECK_INT(thp_filter_make_sizes(THP_ADVICE_RAM, sizes, 0, &p), 0);
    CHECK_INT(p.len, 0);
    CHECK_INT(thp_filter_make_sizes(THP_ADVICE_RAM, sizes, THP_MAX_SIZES + 1, &p), -E2BIG);
}

int main(void)
{
    return test_main();
}
