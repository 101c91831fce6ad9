// SPDX-License-Identifier: GPL-2.0-or-later
#include "tmpdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "rmtree.h"

int tmp_clean(const char *dir)
{
    struct stat st;
    int failures;
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    failures = rmtree_contents(fd, st.st_dev, NULL);
    if (failures < 0)
        return failures;
    /* Through the fd: the path could have been swapped meanwhile; the fd cannot. */
    if (fchown(fd, 0, 0) < 0 || fchmod(fd, 01777) < 0)
        return -errno;
    return failures;
}

int tmp_mount_tmpfs(const char *target)
{
    if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
        return -errno;
    return 0;
}

/* The per-mount flags of the mount at path, as mount(2) flags, so that a bind remount keeps
 * them (MS_REMOUNT|MS_BIND replaces them all). */
static unsigned long mount_flags_of(const char *path)
{
    static const struct {
        unsigned long st, ms;
    } map[] = {
        {ST_RDONLY, MS_RDONLY},     {ST_NOSUID, MS_NOSUID},   {ST_NODEV, MS_NODEV},
        {ST_NOEXEC, MS_NOEXEC},     {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME},
        {ST_RELATIME, MS_RELATIME},
    };
    struct statvfs sv;
    unsigned long flags = 0;

    if (statvfs(path, &sv) < 0)
        return 0;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (sv.f_flag & map[i].st)
            flags |= map[i].ms;
    return flags;
}

int tmp_bind(const char *source_dir, const char *target)
{
    char fdpath[64];
    const char *src = source_dir;
    int r = 0;
    _cleanup_close_ int fd = open(source_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    /* Bind the directory we checked, not whatever the path names by the time mount(2)
     * resolves it; without /proc (in-root mode before mounting it) the path is used. */
    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
    if (access(fdpath, F_OK) == 0)
        src = fdpath;
    if (mount(src, target, "none", MS_BIND, NULL) < 0)
        return -errno;
    unsigned long flags = mount_flags_of(target);
    if (mount("none", target, "none", MS_REMOUNT | MS_BIND | flags | MS_NOSUID | MS_NODEV, NULL) <
        0) {
        r = -errno;
        umount2(target, MNT_DETACH);
    }
    return r;
}
