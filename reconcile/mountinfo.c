// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Is a dir the upper of a mounted overlay? overlayfs forbids changing an upper dir under a
 * mounted overlay (the result is undefined), so apply refuses. The upperdir= option of every
 * overlay in mountinfo is compared by device and inode (paths differ between namespaces and
 * through symlinks), and by resolved path when it cannot be stat'ed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reconcile.h"
#include "util.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            *o++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
            p += 3;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
}

/* The upperdir= value in an overlay's super options (modified in place), or NULL. */
static char *upperdir_of(char *line)
{
    char *sep = strstr(line, " - ");
    if (!sep || strncmp(sep + 3, "overlay ", 8) != 0)
        return NULL;
    char *opts = strchr(sep + 11, ' '); /* after the source field */
    if (!opts)
        return NULL;
    char *u = strstr(opts, ",upperdir=");
    if (!u)
        u = strstr(opts, " upperdir=");
    if (!u)
        return NULL;
    u += 10;
    /* overlayfs escapes a comma in a path as "\,"; stop at an unescaped comma. */
    char *o = u;
    for (char *p = u; *p && *p != '\n' && *p != ','; p++) {
        if (*p == '\\' && p[1] == ',')
            p++;
        *o++ = *p;
    }
    *o = 0;
    unescape_octal(u);
    return u;
}

static bool same_dir(const char *a, const struct stat *st, const char *real)
{
    struct stat sa;
    if (stat(a, &sa) == 0)
        return sa.st_dev == st->st_dev && sa.st_ino == st->st_ino;
    return real && strcmp(a, real) == 0;
}

static int in_use(const struct stat *st, const char *real, const char *mountinfo);

int rc_upper_in_use(const char *dir, const char *mountinfo)
{
    struct stat st;
    if (stat(dir, &st) < 0)
        return -errno;
    _cleanup_free_ char *real = realpath(dir, NULL);
    return in_use(&st, real, mountinfo);
}

int rc_upper_in_use_fd(int fd, const char *mountinfo)
{
    struct stat st;
    char proc[64];
    if (fstat(fd, &st) < 0)
        return -errno;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    _cleanup_free_ char *real = realpath(proc, NULL);
    return in_use(&st, real, mountinfo);
}

static int in_use(const struct stat *st, const char *real, const char *mountinfo)
{
    _cleanup_fclose_ FILE *f = fopen(mountinfo ? mountinfo : "/proc/self/mountinfo", "re");
    if (!f)
        return -errno;
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        char *u = upperdir_of(line);
        if (u && same_dir(u, st, real))
            return 1;
    }
    return 0;
}
