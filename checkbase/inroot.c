// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Path resolution confined to the checked root. See inroot.h.
 */
#include "inroot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

/* Relative form of path: openat2 with RESOLVE_IN_ROOT treats a leading "/" as the root
 * anyway, but "" must become ".". */
static const char *relative(const char *path)
{
    while (*path == '/')
        path++;
    return *path ? path : ".";
}

int inroot_open(int rootfd, const char *path, int flags, mode_t mode)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, rootfd, relative(path), &how, sizeof(how));
    return fd < 0 ? -errno : (int)fd;
}

int inroot_lstat(int rootfd, const char *path, struct stat *st)
{
    _cleanup_close_ int fd = inroot_open(rootfd, path, O_PATH | O_NOFOLLOW, 0);
    if (fd < 0)
        return fd;
    return fstatat(fd, "", st, AT_EMPTY_PATH) < 0 ? -errno : 0;
}

int inroot_stat(int rootfd, const char *path, struct stat *st)
{
    _cleanup_close_ int fd = inroot_open(rootfd, path, O_PATH, 0);
    if (fd < 0)
        return fd;
    return fstatat(fd, "", st, AT_EMPTY_PATH) < 0 ? -errno : 0;
}

static int read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if ((unsigned long long)st.st_size > max)
        return -EFBIG;
    _cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return -ENOMEM;
    size_t len = 0;
    for (;;) {
        ssize_t k = read(fd, buf + len, (size_t)st.st_size + 1 - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            break;
        len += (size_t)k;
        if (len > (size_t)st.st_size) /* grew while we read */
            return -EFBIG;
    }
    buf[len] = '\0';
    *ret = TAKE_PTR(buf);
    if (ret_len)
        *ret_len = len;
    return 0;
}

int inroot_read(int rootfd, const char *path, size_t max, char **ret, size_t *ret_len)
{
    /* O_NONBLOCK: a FIFO planted at a checked path must not hang us before fstat sees it. */
    _cleanup_close_ int fd = inroot_open(rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
    if (fd < 0)
        return fd;
    return read_fd(fd, max, ret, ret_len);
}

int inroot_readlink(int rootfd, const char *path, char *buf, size_t n)
{
    _cleanup_close_ int fd = inroot_open(rootfd, path, O_PATH | O_NOFOLLOW, 0);
    if (fd < 0)
        return fd;
    ssize_t k = readlinkat(fd, "", buf, n - 1);
    if (k < 0)
        return errno == ENOENT ? -EINVAL : -errno;
    buf[k] = '\0';
    return 0;
}

int inroot_open_parent(int rootfd, const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return -EINVAL;
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    char dir[PATH_MAX];
    if (dlen >= sizeof(dir))
        return -ENAMETOOLONG;
    memcpy(dir, path, dlen);
    dir[dlen] = '\0';
    int fd = inroot_open(rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd >= 0)
        *base = name;
    return fd;
}

int inroot_mkdir_p(int rootfd, const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    if (strlen(path) >= sizeof(buf))
        return -ENAMETOOLONG;
    strcpy(buf, path);
    /* Each prefix is created through its already existing parent, resolved in the root. */
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        const char *name;
        _cleanup_close_ int dfd = inroot_open_parent(rootfd, buf, &name);
        if (dfd < 0)
            return dfd;
        if (mkdirat(dfd, name, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = saved;
        if (!saved)
            return 0;
    }
}
