// SPDX-License-Identifier: GPL-2.0-or-later
/* rc_open_typed: a path an admin typed, resolved below the mount point holding it. */
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "reconcile.h"

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
        while (r >= 0 && (r = rc_next_component(&p, &c)) > 0) {
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
        if (r < 0 || (r = rc_next_component(&p, &c)) <= 0)
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
        int nfd = rc_walk_dirs(fd, c, false, 0, false);
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
        if ((r = rc_next_component(&p, &c)) <= 0)
            break;
        if ((r = rc_buf_printf(&at, "/%s", c)) < 0)
            break;
        int nfd = rc_walk_dirs(fd, c, false, 0, true);
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
        fd = rc_walk_dirs(rootfd, rel, true, mode, true);
    else if (!*rel)
        fd = (fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ? -errno : fd;
    else if ((fd = rc_openat2_beneath(rootfd, rel, O_RDONLY | O_DIRECTORY, RESOLVE_NO_XDEV)) ==
             -ENOSYS)
        fd = rc_walk_dirs(rootfd, rel, false, 0, true);
    return fd >= 0 ? fd : explain(rootfd, rnorm, rel, fd, msg);
}
