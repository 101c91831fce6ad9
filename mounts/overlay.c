// SPDX-License-Identifier: GPL-2.0-or-later
#include "overlay.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

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
