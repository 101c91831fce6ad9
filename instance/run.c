// SPDX-License-Identifier: GPL-2.0-or-later
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "mkutil.h"
#include "why.h"

/* The tail of what the tool said, on one line. */
static void tail_of(int fd, char *why, size_t n)
{
    char buf[2048];
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end > (off_t)sizeof buf - 1 ? end - (off_t)sizeof buf + 1 : 0;
    ssize_t got = pread(fd, buf, sizeof buf - 1, from);

    buf[got > 0 ? got : 0] = 0;
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    if (n) {
        size_t len = strnlen(buf, n - 1);
        memcpy(why, buf + strlen(buf) - len, len);
        why[len] = 0;
    }
}

int run_tool(const char *name, const char *const args[], char *why, size_t n)
{
    _cleanup_free_ char *bin = find_program(name);
    const char *argv[64];
    size_t k = 0;
    int err_fd, null_fd, r;

    if (!bin)
        return why_fail(why, n, -ENOENT, "%s is not installed", name);
    argv[k++] = bin;
    for (size_t i = 0; args[i] && k < 63; i++)
        argv[k++] = args[i];
    argv[k] = NULL;
    err_fd = memfd_create("stderr", MFD_CLOEXEC);
    null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (err_fd < 0 || null_fd < 0) {
        r = -errno;
        snprintf(why, n, "cannot run %s: %s", name, strerror(errno));
    } else {
        r = run_program((char *const *)argv, null_fd, err_fd);
        if (r < 0)
            snprintf(why, n, "cannot run %s: %s", bin, strerror(-r));
        else if (r > 0) {
            int used = snprintf(why, n, "%s failed (exit status %d): ", name, r);
            if (used > 0 && (size_t)used < n)
                tail_of(err_fd, why + used, n - (size_t)used);
            r = -EIO;
        }
    }
    if (err_fd >= 0)
        close(err_fd);
    if (null_fd >= 0)
        close(null_fd);
    return r;
}
