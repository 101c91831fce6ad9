/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The identity files of an image as sharedroot-check-base reads them: /etc/machine-id,
 * /etc/hostname and /etc/resolv.conf (checkbase/check-identity.c), through the real bounded
 * reader (inroot_read). The input is written to all three files of a scratch root and the
 * identity checks run on it. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks.h"
#include "fuzz.h"

static char dir[] = "/tmp/fuzz-checkbase-identity.XXXXXX";

static int scratch_root(void)
{
    static int fd = -1;
    char etc[sizeof dir + 8];
    if (fd >= 0 || !mkdtemp(dir))
        return fd;
    snprintf(etc, sizeof etc, "%s/etc", dir);
    if (mkdir(etc, 0755) == 0)
        fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return fd;
}

static void put(int rootfd, const char *name, const uint8_t *data, size_t size)
{
    int fd = openat(rootfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (write(fd, data, size) != (ssize_t)size)
        abort();
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ids[] = {"machine-id", "hostname", "resolv-conf"};
    struct findings out = {0};
    size_t n;
    const struct check *table = checks_table(&n);
    struct check_ctx ctx = {.rootfd = scratch_root(), .target = "fuzz", .out = &out};

    if (ctx.rootfd < 0 || size > 128 * 1024)
        return 0;
    int wfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (wfd < 0)
        return 0;
    put(wfd, "etc/machine-id", data, size);
    put(wfd, "etc/hostname", data, size);
    put(wfd, "etc/resolv.conf", data, size);
    close(wfd);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
            if (strcmp(table[i].id, ids[k]) == 0)
                (void)table[i].run(&ctx, &table[i]);
    findings_done(&out);
    return 0;
}
