// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-qemu: runs QEMU with the huge-page advice kept off its virtio-pmem bases
 * (sharedroot-qemu(1)). QEMU advises every RAM block MADV_HUGEPAGE, a memory-backend-file's
 * mapping of a base image too, and the host then caches that file in 2 MiB folios at each
 * fault: many times what a dax guest reads (docs/performance.md, "Memory density"). This
 * program takes QEMU's own command line (so that libvirt can use it as <emulator>), reads the
 * sizes of its memory-backend-file objects, installs the seccomp filter of sharedroot-boottest's
 * --thp-advice (boottest/thp.c) and executes the real QEMU with the same arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "thp.h"

#define DEFAULT_QEMU "/usr/bin/qemu-system-x86_64"

static int usage_error(const char *what)
{
    fprintf(stderr, "sharedroot-qemu: %s\n", what);
    return 2;
}

int main(int argc, char **argv)
{
    const char *qemu = getenv("SHAREDROOT_QEMU_BINARY");
    const char *advice_s = getenv("SHAREDROOT_THP_ADVICE");
    enum thp_advice advice = THP_ADVICE_RAM;
    uint64_t sizes[THP_MAX_SIZES];
    size_t n = 0;
    char why[512];
    struct sock_fprog filter;
    struct stat self, target;
    int r;

    if (!qemu || !*qemu)
        qemu = DEFAULT_QEMU;
    if (advice_s && *advice_s && thp_advice_parse(advice_s, &advice) < 0) {
        snprintf(why, sizeof why, "SHAREDROOT_THP_ADVICE=%.100s: use ram, all or none", advice_s);
        return usage_error(why);
    }
    if (qemu[0] != '/') {
        snprintf(why, sizeof why,
                 "SHAREDROOT_QEMU_BINARY=%.200s: give the QEMU binary's absolute path", qemu);
        return usage_error(why);
    }
    /* installed under QEMU's own name, or pointed at itself: it would execute itself for ever */
    if (stat("/proc/self/exe", &self) == 0 && stat(qemu, &target) == 0 &&
        self.st_dev == target.st_dev && self.st_ino == target.st_ino) {
        snprintf(why, sizeof why,
                 "%s is sharedroot-qemu itself: set SHAREDROOT_QEMU_BINARY to the real QEMU", qemu);
        return usage_error(why);
    }
    r = thp_backend_sizes(argc, argv, sizes, THP_MAX_SIZES, &n, why, sizeof why);
    if (r < 0)
        return usage_error(why);
    r = thp_filter_make_sizes(advice, sizes, n, &filter);
    if (r < 0) {
        fprintf(stderr, "sharedroot-qemu: the seccomp filter could not be made: %s\n",
                strerror(-r));
        return 1;
    }
    r = thp_filter_apply(&filter);
    thp_filter_free(&filter);
    if (r < 0) {
        fprintf(stderr, "sharedroot-qemu: the seccomp filter could not be installed: %s\n",
                strerror(-r));
        return 1;
    }
    argv[0] = (char *)qemu;
    execv(qemu, argv);
    fprintf(stderr,
            "sharedroot-qemu: cannot execute %s: %s (SHAREDROOT_QEMU_BINARY names "
            "the real QEMU)\n",
            qemu, strerror(errno));
    return 1;
}
