// SPDX-License-Identifier: GPL-2.0-or-later
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static bool expressible(const char *p)
{
    return p && p[0] == '/' && !strpbrk(p, ",:\\");
}

int overlay_options(const char *lower, const char *upper, const char *work, const char *extra,
                    char *out, size_t n)
{
    int w;

    if (!expressible(lower) || !expressible(upper) || !expressible(work))
        return -EINVAL;
    w = snprintf(out, n, "lowerdir=%s,upperdir=%s,workdir=%s," OVERLAY_FIXED_OPTIONS "%s%s", lower,
                 upper, work, extra && *extra ? "," : "", extra && *extra ? extra : "");
    if (w < 0 || (size_t)w >= n || w >= 4096)
        return -ENAMETOOLONG;
    return 0;
}

int overlay_check_dirs(const char *upper, const char *work, char *why, size_t n)
{
    struct stat su, sw;

    if (lstat(upper, &su) < 0 || !S_ISDIR(su.st_mode)) {
        snprintf(why, n, "upper dir %s is not a directory", upper);
        return -ENOTDIR;
    }
    if (lstat(work, &sw) < 0 || !S_ISDIR(sw.st_mode)) {
        snprintf(why, n, "work dir %s is not a directory", work);
        return -ENOTDIR;
    }
    if (su.st_dev != sw.st_dev) {
        snprintf(why, n,
                 "upper dir %s and work dir %s are on different filesystems; overlayfs "
                 "needs them on the same one",
                 upper, work);
        return -EXDEV;
    }
    return 0;
}

struct dir_id {
    dev_t dev;
    ino_t ino;
};

static int dir_id(int fd, struct dir_id *id)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return -errno;
    *id = (struct dir_id){st.st_dev, st.st_ino};
    return 0;
}

static bool same(const struct dir_id *a, const struct dir_id *b)
{
    return a->dev == b->dev && a->ino == b->ino;
}

#define MAX_SEPARATE 256 /* directories: 64 layout entries with three each, and room */
#define MAX_DEPTH 512

/* Is one of ids[0..n) (other than skip) an ancestor of the directory fd (or, with self, the
 * directory itself)? Its index, or -1; a failure to look is returned in *err. */
static int ancestor_in(int fd, const struct dir_id *ids, size_t n, size_t skip, bool self, int *err)
{
    int cur = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    struct dir_id id = {0}, up = {0};

    *err = cur < 0 ? -errno : dir_id(cur, &id);
    for (int depth = 0; *err == 0 && depth < MAX_DEPTH; depth++) {
        for (size_t j = 0; (depth > 0 || self) && j < n; j++)
            if (j != skip && same(&id, &ids[j])) {
                close(cur);
                return (int)j;
            }
        int parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        *err = parent < 0 ? -errno : dir_id(parent, &up);
        close(cur);
        cur = parent;
        if (*err == 0 && same(&up, &id))
            break; /* "/" is its own parent */
        id = up;
    }
    if (cur >= 0)
        close(cur);
    return -1;
}

int overlay_check_separate(const char *const *own, size_t n_own, const char *const *lowers,
                           size_t n_lowers, char *why, size_t n)
{
    const char *paths[MAX_SEPARATE];
    struct dir_id ids[MAX_SEPARATE];
    int fds[MAX_SEPARATE], r = 0;
    size_t total = n_own + n_lowers, opened = 0;

    if (total > MAX_SEPARATE)
        return -E2BIG;
    for (; opened < total && r == 0; opened++) {
        paths[opened] = opened < n_own ? own[opened] : lowers[opened - n_own];
        fds[opened] = open(paths[opened], O_PATH | O_DIRECTORY | O_CLOEXEC);
        r = fds[opened] < 0 ? -errno : dir_id(fds[opened], &ids[opened]);
        if (r < 0)
            snprintf(why, n, "cannot look at %s: %s", paths[opened], strerror(-r));
        if (fds[opened] < 0)
            break;
    }
    /* own against own (the same, or inside), own inside a lower, a lower inside own */
    for (size_t i = 0; r == 0 && i < total; i++) {
        int err, j = ancestor_in(fds[i], ids, i < n_own ? total : n_own, i, i < n_own, &err);
        if (err < 0) {
            r = err;
            snprintf(why, n, "cannot walk up from %s: %s", paths[i], strerror(-r));
        } else if (j >= 0) {
            bool eq = same(&ids[i], &ids[j]);
            r = eq ? -EEXIST : -ELOOP;
            snprintf(why, n,
                     "%s and %s %s; each overlay needs upper and work dirs of its own, outside "
                     "the others' and outside every lower dir",
                     paths[i], paths[j],
                     eq ? "are the same directory" : "are nested (the first is inside the second)");
        }
    }
    for (size_t i = 0; i < opened && i < total; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return r;
}

int overlay_mount(const char *target, const char *lower, const char *upper, const char *work,
                  const char *extra, char *why, size_t n)
{
    char data[4096];
    struct stat st;
    int r = overlay_options(lower, upper, work, extra, data, sizeof data);

    if (r < 0) {
        snprintf(why, n,
                 "overlay options for %s cannot be built (paths with ',' or ':', or "
                 "too long)",
                 target);
        return r;
    }
    if (stat(lower, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, n,
                 "%s does not exist in the base image (lower dir %s); overlays need a "
                 "directory in the base",
                 target, lower);
        return -ENOENT;
    }
    r = overlay_check_dirs(upper, work, why, n);
    if (r < 0)
        return r;
    if (mount("overlay", target, "overlay", MS_NOATIME, data) < 0) {
        r = -errno;
        snprintf(why, n,
                 "mount -t overlay -o %s overlay %s: %s (the kernel log says more: "
                 "dmesg | grep overlay)",
                 data, target, strerror(-r));
        return r;
    }
    return 0;
}
