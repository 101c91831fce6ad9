// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Mounting the shared root without ever writing to it. See rootfs.h for why read-only alone
 * is not enough.
 */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "blockdev.h"
#include "cleanup.h"
#include "why.h"

/* Filesystem types we know how to mount without the kernel writing to the device, and the
 * option that stops it replaying a journal/log on a read-only mount. A type not listed is
 * refused outside maintenance: reiserfs, jfs, ntfs3 and others replay on a read-only mount
 * with no way to stop them. ext2 gets nothing: it has no journal, and the ext2 driver (when
 * it, not ext4, handles ext2) rejects "noload". */
static const struct {
    const char *type;
    const char *no_replay;
} fs_policies[] = {
    {"ext4", "noload"},
    {"ext3", "noload"},
    {"xfs", "norecovery"},
    {"btrfs", "rescue=nologreplay"},
    {"f2fs", "norecovery"},
    {"nilfs2", "norecovery"},
    /* No journal, or a read-only format. */
    {"ext2", NULL},
    {"erofs", NULL},
    {"squashfs", NULL},
    {"iso9660", NULL},
    {"udf", NULL},
    {"cramfs", NULL},
    {"romfs", NULL},
    {"vfat", NULL},
    {"msdos", NULL},
    {"exfat", NULL},
};

/* Generic (VFS) options allowed in rootflags=, applied to the mount flags rather than passed
 * in data. Everything else libmount knows as a VFS option ("bind", "remount", "rbind",
 * "shared", ...) changes what mount(2) does, not how, and is refused. "rw" must never reach
 * the data string either: the kernel's option parser clears SB_RDONLY for "rw" found there
 * even when MS_RDONLY is passed. */
static const struct {
    const char *name;
    unsigned long set, clear;
    const char *refuse_unless_maintenance;
} vfs_options[] = {
    {"ro", MS_RDONLY, 0, NULL},
    {"rw", 0, MS_RDONLY,
     "rootflags=rw would mount the shared base writable; only sharedroot=off (maintenance) "
     "may"},
    {"nosuid", MS_NOSUID, 0, NULL},
    {"suid", 0, MS_NOSUID, NULL},
    {"nodev", MS_NODEV, 0, NULL},
    {"dev", 0, MS_NODEV, NULL},
    {"noexec", MS_NOEXEC, 0, NULL},
    {"exec", 0, MS_NOEXEC, NULL},
    {"sync", MS_SYNCHRONOUS, 0, NULL},
    {"async", 0, MS_SYNCHRONOUS, NULL},
    {"dirsync", MS_DIRSYNC, 0, NULL},
    {"noatime", MS_NOATIME, 0, NULL},
    {"atime", 0, MS_NOATIME, NULL},
    {"nodiratime", MS_NODIRATIME, 0, NULL},
    {"diratime", 0, MS_NODIRATIME, NULL},
    {"relatime", MS_RELATIME, 0, NULL},
    {"norelatime", 0, MS_RELATIME, NULL},
    {"strictatime", MS_STRICTATIME, 0, NULL},
    {"nostrictatime", 0, MS_STRICTATIME, NULL},
    {"lazytime", MS_LAZYTIME, 0, NULL},
    {"nolazytime", 0, MS_LAZYTIME, NULL},
    {"silent", MS_SILENT, 0, NULL},
    {"loud", 0, MS_SILENT, NULL},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int find_policy(const char *fstype)
{
    for (size_t i = 0; i < ARRAY_SIZE(fs_policies); i++)
        if (strcmp(fs_policies[i].type, fstype) == 0)
            return (int)i;
    return -1;
}

/* Append ",opt" (or "opt" to an empty buffer). */
static int append(char *data, size_t size, const char *opt)
{
    size_t len = strlen(data);
    size_t add = strlen(opt) + (len ? 1 : 0);
    if (len + add + 1 > size)
        return -ENAMETOOLONG;
    if (len)
        data[len++] = ',';
    strcpy(data + len, opt);
    return 0;
}

static int apply_vfs_options(const char *vfs, bool maintenance, unsigned long *flags, char *why,
                             size_t n)
{
    char *p = (char *)vfs, *name, *value;
    size_t namesz, valuesz;

    while (vfs && mnt_optstr_next_option(&p, &name, &namesz, &value, &valuesz) == 0) {
        size_t i;
        for (i = 0; i < ARRAY_SIZE(vfs_options); i++)
            if (strlen(vfs_options[i].name) == namesz &&
                strncmp(vfs_options[i].name, name, namesz) == 0)
                break;
        if (i == ARRAY_SIZE(vfs_options) || value)
            return why_fail(why, n, -EINVAL,
                            "rootflags= holds an option that changes what mount does (bind, "
                            "remount, shared, ...); only filesystem and atime/nodev-style "
                            "options are allowed");
        if (!maintenance && vfs_options[i].refuse_unless_maintenance)
            return why_fail(why, n, -EINVAL, "%s", vfs_options[i].refuse_unless_maintenance);
        *flags = (*flags | vfs_options[i].set) & ~vfs_options[i].clear;
    }
    return 0;
}

static int add_user_flags(const char *user_flags, bool maintenance, unsigned long *flags,
                          char *data, size_t data_size, char *why, size_t n)
{
    for (const unsigned char *c = (const unsigned char *)user_flags; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return why_fail(why, n, -EINVAL, "control character in rootflags=");
    if (strlen(user_flags) >= data_size)
        return why_fail(why, n, -ENAMETOOLONG, "rootflags= is too long");

    _cleanup_free_ char *user = NULL, *vfs = NULL, *fs = NULL;
    /* Userspace-only options (defaults, noauto, x-*, ...) mean nothing to the kernel and are
     * dropped; the rest is split into generic flags and filesystem data. */
    if (mnt_split_optstr(user_flags, &user, &vfs, &fs, 1, 0) < 0)
        return why_fail(why, n, -EINVAL, "rootflags= could not be parsed (unbalanced quote?)");
    int r = apply_vfs_options(vfs, maintenance, flags, why, n);
    if (r == 0 && fs && *fs) {
        r = append(data, data_size, fs);
        if (r < 0)
            why_fail(why, n, r, "rootflags= too long for the mount options buffer");
    }
    return r;
}

int rootfs_options(const char *fstype, const char *user_flags, bool rw, bool maintenance,
                   unsigned long *mflags, char *data, size_t data_size, char *why, size_t n)
{
    if (!data || data_size == 0)
        return -EINVAL;
    data[0] = '\0';
    if (!fstype || !*fstype)
        return why_fail(why, n, -EINVAL,
                        "no filesystem type for the root (rootfstype= or a probe)");

    int p = find_policy(fstype);
    unsigned long flags = (maintenance && rw) ? 0 : MS_RDONLY;

    if (!maintenance) {
        if (p < 0)
            return why_fail(why, n, -EOPNOTSUPP,
                            "the root filesystem type is not known to mount without writing to "
                            "the device (journal replay); use ext4, xfs, erofs or squashfs");
        if (fs_policies[p].no_replay) {
            int r = append(data, data_size, fs_policies[p].no_replay);
            if (r < 0)
                return why_fail(why, n, r, "mount options buffer too small");
        }
    }
    if (user_flags && *user_flags) {
        int r = add_user_flags(user_flags, maintenance, &flags, data, data_size, why, n);
        if (r < 0) {
            data[0] = '\0';
            return r;
        }
    }
    if (!maintenance && !(flags & MS_RDONLY))
        return why_fail(why, n, -EINVAL, "the shared base must be mounted read-only");
    *mflags = flags;
    return 0;
}

static int set_readonly_one(const char *dev)
{
    _cleanup_close_ int fd = open(dev, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;

    int one = 1, ro = 0;
    if (ioctl(fd, BLKROSET, &one) < 0 || ioctl(fd, BLKROGET, &ro) < 0)
        return -errno;
    return ro == 1 ? 0 : -EIO;
}

int rootfs_set_readonly(const char *dev)
{
    char disk[PATH_MAX];
    int r = set_readonly_one(dev);

    if (r < 0)
        return r;
    r = blockdev_partition_disk(dev, disk, sizeof disk);
    if (r <= 0)
        return r;
    return set_readonly_one(disk);
}

/* Why mount(2) refused the root, for the user: the cause the errno points at, and what to
 * change. */
static int mount_failed(char *why, size_t n, int r, const char *dev, const char *fstype,
                        unsigned long flags, const char *data)
{
    switch (-r) {
    case EROFS:
    case EACCES:
        if (!(flags & MS_RDONLY))
            return why_fail(why, n, r,
                            "%s is read-only, and a read-write mount was asked (sharedroot=off "
                            "rw); attach the disk writable for maintenance, or boot without rw",
                            dev);
        break;
    case ENODEV:
        return why_fail(why, n, r,
                        "the kernel knows no filesystem type '%s'; check rootfstype= (is its "
                        "module in the initramfs?)",
                        fstype);
    case EINVAL:
    case ENOTBLK:
        return why_fail(why, n, r,
                        "the kernel refused %s as %s with options '%s'; check rootfstype= and "
                        "rootflags=",
                        dev, fstype, data);
    case EIO:
    case EUCLEAN:
    case EBADMSG:
        return why_fail(why, n, r,
                        "%s (%s) could not be read; the filesystem may be damaged: check a copy "
                        "of the image with fsck",
                        dev, fstype);
    }
    return why_fail(why, n, r, "mount(2) of %s (%s, options '%s') failed", dev, fstype, data);
}

int rootfs_mount(const char *dev, const char *fstype, const char *user_flags, bool rw,
                 bool maintenance, const char *target, char *why, size_t n)
{
    char data[4096];
    unsigned long flags;

    int r = rootfs_options(fstype, user_flags, rw, maintenance, &flags, data, sizeof(data), why, n);
    if (r < 0)
        return r;

    /* Defence in depth: whatever the filesystem driver decides, the block layer refuses
     * writes to a read-only device. Not in maintenance, where the real init may remount the
     * root read-write as on a plain boot. */
    if (!maintenance) {
        r = rootfs_set_readonly(dev);
        if (r < 0)
            return why_fail(why, n, r,
                            "could not set %s read-only (BLKROSET; for a partition, its whole "
                            "disk too), and the shared base is only mounted on a device the "
                            "kernel keeps read-only; check that root= names a disk or partition",
                            dev);
    }

    if (mount(dev, target, fstype, flags, data[0] ? data : NULL) < 0)
        return mount_failed(why, n, -errno, dev, fstype, flags, data);

    if (flags & MS_RDONLY) {
        struct statvfs sv;
        if (statvfs(target, &sv) < 0 || !(sv.f_flag & ST_RDONLY)) {
            umount2(target, MNT_DETACH);
            return why_fail(why, n, -EIO,
                            "the kernel mounted %s writable although read-only was asked; it is "
                            "unmounted again (the shared base must never be written)",
                            dev);
        }
    }
    return 0;
}
