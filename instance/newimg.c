// SPDX-License-Identifier: GPL-2.0-or-later
#include "newimg.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "log.h"

static int dir_of(const char *path, char *dir, size_t n, const char **base)
{
    const char *slash = strrchr(path, '/');

    *base = slash ? slash + 1 : path;
    if (!**base)
        return -EISDIR;
    if (!slash)
        return snprintf(dir, n, ".") < 0 ? -EINVAL : 0;
    if (slash == path)
        return snprintf(dir, n, "/") < 0 ? -EINVAL : 0;
    return (size_t)snprintf(dir, n, "%.*s", (int)(slash - path), path) >= n ? -ENAMETOOLONG : 0;
}

int newimg_begin(struct newimg *ni, const char *path, uint64_t size, bool replace)
{
    char dir[PATH_MAX];
    const char *base;
    struct stat st;
    int r;

    memset(ni, 0, sizeof *ni);
    ni->fd = -1;
    r = dir_of(path, dir, sizeof dir, &base);
    if (r < 0)
        return r;
    if (!replace && lstat(path, &st) == 0)
        return -EEXIST;
    if ((size_t)snprintf(ni->path, sizeof ni->path, "%s", path) >= sizeof ni->path ||
        (size_t)snprintf(ni->tmp, sizeof ni->tmp, "%s/.%s.XXXXXX", dir, base) >= sizeof ni->tmp)
        return -ENAMETOOLONG;
    ni->fd = mkostemp(ni->tmp, O_CLOEXEC);
    if (ni->fd < 0) {
        ni->tmp[0] = 0;
        return -errno;
    }
    if (fchmod(ni->fd, 0644) < 0 || (size && ftruncate(ni->fd, (off_t)size) < 0)) {
        r = -errno;
        newimg_abort(ni);
        return r;
    }
    return 0;
}

int newimg_commit(struct newimg *ni, bool replace)
{
    char dir[PATH_MAX];
    const char *base;
    int r = 0;

    if (fsync(ni->fd) < 0)
        return -errno;
    if (replace)
        r = rename(ni->tmp, ni->path) < 0 ? -errno : 0;
    else
        r = renameat2(AT_FDCWD, ni->tmp, AT_FDCWD, ni->path, RENAME_NOREPLACE) < 0 ? -errno : 0;
    if (r < 0)
        return r;
    ni->tmp[0] = 0;
    close(ni->fd);
    ni->fd = -1;
    if (dir_of(ni->path, dir, sizeof dir, &base) == 0) {
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
            (void)fsync(dfd);
    }
    return 0;
}

void newimg_abort(struct newimg *ni)
{
    if (ni->tmp[0])
        unlink(ni->tmp);
    ni->tmp[0] = 0;
    if (ni->fd >= 0)
        close(ni->fd);
    ni->fd = -1;
}

int newimg_make(const char *path, uint64_t size, bool replace, const char *cmd, newimg_fill_fn fill,
                void *ud)
{
    struct newimg ni;
    int r = newimg_begin(&ni, path, size, replace);

    if (r == -EEXIST)
        return log_error_errno(r,
                               "%s: %s exists already; it is never overwritten (remove it, or "
                               "choose another name)",
                               cmd, path);
    if (r < 0)
        return log_error_errno(r, "%s: cannot create a file next to %s: %m", cmd, path);
    r = fill(&ni, ud);
    if (r == 0 && (r = newimg_commit(&ni, replace)) < 0)
        log_error_errno(r, "%s: cannot rename %s to %s: %m%s", cmd, ni.tmp, path,
                        r == -EEXIST ? " (it appeared meanwhile; remove it and retry)" : "");
    if (r < 0)
        newimg_abort(&ni);
    return r;
}
