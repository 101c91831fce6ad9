// SPDX-License-Identifier: GPL-2.0-or-later
#include "fsio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Copy the next component of *p into a malloc'ed string and advance *p past it. */
static int next_component(const char **p, char **out)
{
    while (**p == '/')
        (*p)++;
    const char *e = strchrnul(*p, '/');
    size_t n = (size_t)(e - *p);
    if (n == 0)
        return 0;
    *out = strndup(*p, n);
    if (!*out)
        return -ENOMEM;
    *p = e;
    return 1;
}

static int open_dir_at(int dirfd, const char *name)
{
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return -EINVAL;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int rc_open_beneath(int rootfd, const char *relpath, int flags)
{
    const char *name = NULL;
    _cleanup_close_ int dfd = rc_open_parent(rootfd, relpath, &name);
    if (dfd < 0)
        return dfd;
    if (!*name)
        return rc_take_fd(&dfd);
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return -EINVAL;
    int fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* Open the directory reldir below rootfd one component at a time, never through a symlink;
 * with create, missing components are made with mode. Returns the fd. */
static int walk_dirs(int rootfd, const char *reldir, bool create, mode_t mode)
{
    _cleanup_close_ int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return -errno;
    const char *p = reldir;
    for (;;) {
        _cleanup_free_ char *comp = NULL;
        int r = next_component(&p, &comp);
        if (r < 0)
            return r;
        if (r == 0)
            return rc_take_fd(&fd);
        if (create && mkdirat(fd, comp, mode) < 0 && errno != EEXIST)
            return -errno;
        int nfd = open_dir_at(fd, comp);
        if (nfd < 0)
            return nfd;
        close(fd);
        fd = nfd;
    }
}

int rc_open_parent(int rootfd, const char *relpath, const char **name)
{
    const char *last = strrchr(relpath, '/');
    *name = last ? last + 1 : relpath;
    _cleanup_free_ char *prefix = strndup(relpath, (size_t)(*name - relpath));
    if (!prefix)
        return -ENOMEM;
    return walk_dirs(rootfd, prefix, false, 0);
}

int rc_mkdirs(int rootfd, const char *reldir, mode_t mode)
{
    return walk_dirs(rootfd, reldir, true, mode);
}

int rc_mkdirs_path(const char *path, mode_t mode)
{
    _cleanup_close_ int root = open(*path == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return -errno;
    /* The admin's own path may go through symlinks (/run -> /var/run); only what we create
     * below an existing prefix is resolved strictly. */
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    return rc_mkdirs(root, path, mode);
}

int rc_read_all(int fd, size_t max, struct rc_buf *out)
{
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return rc_buf_grow(out, 0);
        if (out->len + (size_t)n > max)
            return -EFBIG;
        int r = rc_buf_add(out, chunk, (size_t)n);
        if (r < 0)
            return r;
    }
}

int rc_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int rc_copy_fd(int in, int out)
{
    char chunk[65536];
    for (;;) {
        ssize_t n = read(in, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return 0;
        int r = rc_write_all(out, chunk, (size_t)n);
        if (r < 0)
            return r;
    }
}

int rc_fsync_dir(int dirfd)
{
    return fsync(dirfd) < 0 ? -errno : 0;
}

int rc_write_atomic(int dirfd, const char *name, const void *data, size_t n, mode_t mode)
{
    _cleanup_free_ char *tmp = NULL;
    if (asprintf(&tmp, ".%s.rc-tmp", name) < 0)
        return -ENOMEM;
    (void)unlinkat(dirfd, tmp, 0);
    _cleanup_close_ int fd =
        openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    int r = rc_write_all(fd, data, n);
    if (r >= 0 && fsync(fd) < 0)
        r = -errno;
    if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
        r = -errno;
    if (r < 0) {
        (void)unlinkat(dirfd, tmp, 0);
        return r;
    }
    return rc_fsync_dir(dirfd);
}
