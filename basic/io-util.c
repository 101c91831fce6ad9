// SPDX-License-Identifier: GPL-2.0-or-later
#include "io-util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        if (w == 0)
            return -EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

ssize_t read_small_file_at(int dirfd, const char *path, char *buf, size_t n)
{
    ssize_t got;
    int fd, err;

    if (n == 0)
        return -EINVAL;
    buf[0] = '\0';
    fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    do
        got = read(fd, buf, n - 1);
    while (got < 0 && errno == EINTR);
    err = errno;
    close(fd);
    if (got < 0)
        return -err;
    buf[got] = '\0';
    return got;
}

int read_first_line_at(int dirfd, const char *path, char *buf, size_t n)
{
    ssize_t got = read_small_file_at(dirfd, path, buf, n);

    if (got < 0)
        return (int)got;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);

    if (n == 0)
        return -ENOENT;
    if (n >= sizeof buf)
        return -ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}
