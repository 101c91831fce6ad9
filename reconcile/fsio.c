// SPDX-License-Identifier: GPL-2.0-or-later
#include "fsio.h"

#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "io-util.h"

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

int rc_open_child_dir(int dirfd, const char *name)
{
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/'))
        return -EINVAL;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* The openat2 way: one call, the kernel refuses any symlink and any way out of rootfd.
 * -ENOSYS when this kernel (or a seccomp filter) has no openat2. */
static int openat2_beneath(int rootfd, const char *relpath, int flags, unsigned long long extra)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_NOFOLLOW | O_CLOEXEC),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | extra,
    };
    int fd = (int)syscall(SYS_openat2, rootfd, relpath, &how, sizeof how);
    if (fd >= 0)
        return fd;
    /* EPERM: a seccomp filter that predates openat2; ENAMETOOLONG: a path beyond PATH_MAX
     * (a deep hostile tree), which the component walk still resolves. */
    return errno == ENOSYS || errno == EPERM || errno == ENAMETOOLONG ? -ENOSYS : -errno;
}

/* The component walk of kernels without openat2: open each dir with O_NOFOLLOW. With create,
 * missing components are made with mode. With no_xdev, a component on another device than
 * rootfd is -EXDEV. Returns the fd of the last dir. */
static int walk_dirs(int rootfd, const char *reldir, bool create, mode_t mode, bool no_xdev)
{
    struct stat root_st;
    if (no_xdev && fstat(rootfd, &root_st) < 0)
        return -errno;
    _cleanup_close_ int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return -errno;
    const char *p = reldir;
    for (;;) {
        _cleanup_free_ char *comp = NULL;
        struct stat st;
        int r = next_component(&p, &comp);
        if (r < 0)
            return r;
        if (r == 0)
            return take_fd(&fd);
        if (create && mkdirat(fd, comp, mode) < 0 && errno != EEXIST)
            return -errno;
        int nfd = rc_open_child_dir(fd, comp);
        if (nfd == -ENOTDIR && fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            nfd = -ELOOP; /* O_DIRECTORY | O_NOFOLLOW on a symlink says ENOTDIR */
        if (nfd < 0)
            return nfd;
        close(fd);
        fd = nfd;
        if (no_xdev && (fstat(fd, &st) < 0 || st.st_dev != root_st.st_dev))
            return -EXDEV;
    }
}

int rc_open_beneath(int rootfd, const char *relpath, int flags)
{
    int fd;
    if (!*relpath)
        return (fd = openat(rootfd, ".", flags | O_CLOEXEC)) < 0 ? -errno : fd;
    fd = openat2_beneath(rootfd, relpath, flags, 0);
    if (fd != -ENOSYS)
        return fd;
    const char *name = strrchr(relpath, '/');
    name = name ? name + 1 : relpath;
    _cleanup_free_ char *prefix = strndup(relpath, (size_t)(name - relpath));
    if (!prefix)
        return -ENOMEM;
    _cleanup_close_ int dfd = walk_dirs(rootfd, prefix, false, 0, false);
    if (dfd < 0)
        return dfd;
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return -EINVAL;
    fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int rc_open_parent(int rootfd, const char *relpath, const char **name)
{
    const char *last = strrchr(relpath, '/');
    *name = last ? last + 1 : relpath;
    _cleanup_free_ char *prefix = strndup(relpath, (size_t)(*name - relpath));
    if (!prefix)
        return -ENOMEM;
    return rc_open_beneath(rootfd, prefix, O_RDONLY | O_DIRECTORY);
}

int rc_stat_beneath(int rootfd, const char *relpath, struct stat *st)
{
    const char *name;
    _cleanup_close_ int dfd = rc_open_parent(rootfd, relpath, &name);
    if (dfd < 0)
        return dfd;
    return fstatat(dfd, *name ? name : ".", st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

int rc_mkdirs(int rootfd, const char *reldir, mode_t mode)
{
    return walk_dirs(rootfd, reldir, true, mode, false);
}

/* --- paths an admin typed --- */

/* path made absolute (from $PWD when it names ".", else getcwd) with "." and ".." taken
 * lexically and no empty components: "/a/b", or "/". */
static int normalize(const char *path, char **out)
{
    _cleanup_free_ char *cwd = NULL;
    struct rc_buf b = {0};
    const char *base = "";
    if (!*path)
        return -EINVAL;
    if (*path != '/') {
        const char *pwd = getenv("PWD");
        struct stat a, d;
        if (pwd && *pwd == '/' && stat(pwd, &a) == 0 && stat(".", &d) == 0 &&
            a.st_dev == d.st_dev && a.st_ino == d.st_ino)
            base = pwd;
        else if ((base = cwd = getcwd(NULL, 0)) == NULL)
            return -errno;
    }
    int r = rc_buf_grow(&b, 0);
    for (int part = 0; r >= 0 && part < 2; part++) {
        const char *p = part ? path : base;
        _cleanup_free_ char *c = NULL;
        while (r >= 0 && (r = next_component(&p, &c)) > 0) {
            if (strcmp(c, "..") == 0) {
                char *slash = strrchr(b.data, '/');
                b.len = slash ? (size_t)(slash - b.data) : 0;
                b.data[b.len] = 0;
            } else if (strcmp(c, ".") != 0) {
                r = rc_buf_printf(&b, "/%s", c);
            }
            free(c);
            c = NULL;
        }
    }
    if (r >= 0 && b.len == 0)
        r = rc_buf_adds(&b, "/");
    if (r < 0) {
        rc_buf_done(&b);
        return r;
    }
    *out = b.data;
    return 0;
}

/* Whether prefix is path or a parent of it, by components (both normalized). */
static bool is_prefix(const char *prefix, const char *path)
{
    size_t n = strlen(prefix);
    if (strcmp(prefix, "/") == 0)
        return true;
    return strncmp(prefix, path, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* The deepest mount point that is path or a parent of it ("/" when none is known). */
static int mount_point_of(const char *path, char **out)
{
    struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
    struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
    struct libmnt_fs *fs;
    const char *best = "/";
    while (tb && it && mnt_table_next_fs(tb, it, &fs) == 0) {
        const char *t = mnt_fs_get_target(fs);
        if (t && *t == '/' && is_prefix(t, path) && strlen(t) > strlen(best))
            best = t;
    }
    *out = strdup(best);
    mnt_free_iter(it);
    mnt_unref_table(tb);
    return *out ? 0 : -ENOMEM;
}

static int say(char **msg, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char **msg, int err, const char *fmt, ...)
{
    if (msg) {
        va_list ap;
        free(*msg);
        va_start(ap, fmt);
        if (vasprintf(msg, fmt, ap) < 0)
            *msg = NULL;
        va_end(ap);
    }
    return err;
}

/* A dir above a trusted root: nobody but root (or we) may change what it holds. */
static bool dir_is_safe(const struct stat *st)
{
    if (st->st_uid != 0 && st->st_uid != geteuid())
        return false;
    return !(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX);
}

/* Open the trusted root `root` (normalized, absolute) from "/", every component a real dir
 * (no symlink), each dir above it safe. */
static int open_root(const char *root, char **msg)
{
    _cleanup_close_ int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return say(msg, -errno, "/: %s", strerror(errno));
    const char *p = root;
    struct rc_buf at = {0};
    int r = rc_buf_grow(&at, 0);
    for (;;) {
        _cleanup_free_ char *c = NULL;
        struct stat st;
        if (r < 0 || (r = next_component(&p, &c)) <= 0)
            break;
        if (fstat(fd, &st) < 0) {
            r = -errno;
            break;
        }
        if (!dir_is_safe(&st)) {
            r = say(msg, -EPERM,
                    "%s/ is owned by uid %u or writable by others: the dirs above the "
                    "mount point %s must be root's alone",
                    at.len ? at.data : "", (unsigned)st.st_uid, root);
            break;
        }
        if ((r = rc_buf_printf(&at, "/%s", c)) < 0)
            break;
        int nfd = walk_dirs(fd, c, false, 0, false);
        if (nfd < 0) {
            r = say(msg, nfd, "%s: %s", at.data,
                    nfd == -ELOOP ? "a symlink: type the path without symlinks" : strerror(-nfd));
            break;
        }
        close(fd);
        fd = nfd;
    }
    rc_buf_done(&at);
    return r < 0 ? r : take_fd(&fd);
}

/* Name the component of rel (below root) at which the strict resolution fails. */
static int explain(int rootfd, const char *root, const char *rel, int err, char **msg)
{
    const char *p = rel;
    struct rc_buf at = {0};
    int r = rc_buf_adds(&at, strcmp(root, "/") == 0 ? "" : root);
    _cleanup_close_ int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    while (r >= 0 && fd >= 0) {
        _cleanup_free_ char *c = NULL;
        struct stat st;
        if ((r = next_component(&p, &c)) <= 0)
            break;
        if ((r = rc_buf_printf(&at, "/%s", c)) < 0)
            break;
        int nfd = walk_dirs(fd, c, false, 0, true);
        if (nfd >= 0) {
            close(fd);
            fd = nfd;
            continue;
        }
        if (nfd == -ELOOP || (fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)))
            err = say(msg, -ELOOP,
                      "%s is a symlink: refused (below %s, the mount point holding it, "
                      "nothing is followed: a guest may have planted it)",
                      at.data, root);
        else if (nfd == -EXDEV)
            err = say(msg, -EXDEV, "%s is another mount below %s: refused", at.data, root);
        else
            err = say(msg, nfd, "%s: %s", at.data, strerror(-nfd));
        break;
    }
    if (msg && !*msg)
        say(msg, err, "%s: %s", at.data ? at.data : rel, strerror(-err));
    rc_buf_done(&at);
    return err;
}

int rc_open_typed(const char *path, const char *root, bool create, mode_t mode, char **msg)
{
    _cleanup_free_ char *norm = NULL, *rnorm = NULL;
    if (msg)
        *msg = NULL;
    int r = normalize(path, &norm);
    if (r < 0)
        return say(msg, r, "\"%s\": %s", path, r == -EINVAL ? "an empty path" : strerror(-r));
    _cleanup_close_ int rootfd = -1;
    if (root) {
        if ((r = normalize(root, &rnorm)) < 0)
            return say(msg, r, "\"%s\": %s", root, strerror(-r));
        if (!is_prefix(rnorm, norm))
            return say(msg, -EXDEV, "%s is not below %s", norm, rnorm);
        /* A root the caller names is trusted as it is (the boot's instance mount point). */
        rootfd = open(rnorm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
            return say(msg, -errno, "%s: %s", rnorm, strerror(errno));
    } else {
        if ((r = mount_point_of(norm, &rnorm)) < 0)
            return r;
        if ((rootfd = open_root(rnorm, msg)) < 0)
            return rootfd;
    }
    const char *rel = norm + (strcmp(rnorm, "/") == 0 ? 0 : strlen(rnorm));
    while (*rel == '/')
        rel++;
    int fd;
    if (create)
        fd = walk_dirs(rootfd, rel, true, mode, true);
    else if (!*rel)
        fd = (fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ? -errno : fd;
    else if ((fd = openat2_beneath(rootfd, rel, O_RDONLY | O_DIRECTORY, RESOLVE_NO_XDEV)) ==
             -ENOSYS)
        fd = walk_dirs(rootfd, rel, false, 0, true);
    return fd >= 0 ? fd : explain(rootfd, rnorm, rel, fd, msg);
}

int rc_dir_within(int a, int b)
{
    struct stat sb, cur, up;
    if (fstat(b, &sb) < 0)
        return -errno;
    _cleanup_close_ int fd = fcntl(a, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return -errno;
    /* PATH_MAX / 2 levels is as deep as any path can name a dir. */
    for (unsigned i = 0; i < PATH_MAX / 2; i++) {
        if (fstat(fd, &cur) < 0)
            return -errno;
        if (cur.st_dev == sb.st_dev && cur.st_ino == sb.st_ino)
            return 1;
        int nfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (nfd < 0)
            return -errno;
        close(fd);
        fd = nfd;
        if (fstat(fd, &up) < 0)
            return -errno;
        if (up.st_dev == cur.st_dev && up.st_ino == cur.st_ino)
            return 0; /* the root: its ".." is itself */
    }
    return -ELOOP;
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
        int r = write_all(out, chunk, (size_t)n);
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
    int r = write_all(fd, data, n);
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
