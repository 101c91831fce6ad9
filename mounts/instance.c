// SPDX-License-Identifier: GPL-2.0-or-later
#include "instance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"

/* XFS_IOC_FSGEOMETRY_V1 from xfs/xfs_fs.h (xfslibs-dev), which the build does not need. */
#define SR_XFS_SUPER_MAGIC 0x58465342
#define SR_XFS_FSOP_GEOM_FLAGS_FTYPE 0x10000
struct sr_xfs_fsop_geom_v1 {
    __u32 blocksize, rtextsize, agblocks, agcount, logblocks, sectsize, inodesize, imaxpct;
    __u64 datablocks, rtblocks, rtextents, logstart;
    unsigned char uuid[16];
    __u32 sunit, swidth;
    __s32 version;
    __u32 flags, logsectsize, rtsectsize, dirblocksize;
};
#define SR_XFS_IOC_FSGEOMETRY_V1 _IOR('X', 100, struct sr_xfs_fsop_geom_v1)

static int no_d_type(const char *dir, char *why, size_t n)
{
    snprintf(why, n,
             "the filesystem at %s does not report file types in directories "
             "(d_type; e.g. xfs made with ftype=0), which overlayfs needs for an "
             "upper dir; recreate it with d_type support (mkfs.xfs -n ftype=1, or "
             "ext4)",
             dir);
    return -EOPNOTSUPP;
}

/* d_type: overlayfs needs an upper whose readdir says what an entry is (xfs made with
 * ftype=0 does not). "." and ".." do not tell: xfs reports DT_DIR for them even without
 * ftype, so xfs is asked for its geometry, and elsewhere any other entry answers (ext4 always
 * has lost+found). Nothing is written. */
static int check_d_type(const char *dir, char *why, size_t n)
{
    struct statfs sfs;
    _cleanup_closedir_ DIR *d = opendir(dir);
    struct dirent *e;
    int r = 0;

    if (!d) {
        snprintf(why, n, "cannot read %s: %s", dir, strerror(errno));
        return -errno;
    }
    if (fstatfs(dirfd(d), &sfs) == 0 && sfs.f_type == SR_XFS_SUPER_MAGIC) {
        struct sr_xfs_fsop_geom_v1 geo;
        memset(&geo, 0, sizeof geo);
        if (ioctl(dirfd(d), SR_XFS_IOC_FSGEOMETRY_V1, &geo) == 0 &&
            !(geo.flags & SR_XFS_FSOP_GEOM_FLAGS_FTYPE))
            r = no_d_type(dir, why, n);
        return r;
    }
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (e->d_type == DT_UNKNOWN)
            r = no_d_type(dir, why, n);
        break;
    }
    return r;
}

/* trusted.* xattrs: whiteouts and opaque dirs are stored in them. Reading an absent one gives
 * ENODATA where xattrs work and EOPNOTSUPP where they do not (vfat). */
static int check_xattrs(const char *dir, char *why, size_t n)
{
    char v[8];

    if (getxattr(dir, "trusted.overlay.opaque", v, sizeof v) >= 0 || errno == ENODATA ||
        errno == ERANGE)
        return 0;
    if (errno == EOPNOTSUPP || errno == ENOTSUP) {
        snprintf(why, n,
                 "the filesystem at %s does not support trusted.* extended attributes, "
                 "which overlayfs needs for an upper dir (whiteouts, opaque dirs); use "
                 "ext4 or xfs for instance storage",
                 dir);
        return -EOPNOTSUPP;
    }
    snprintf(why, n, "cannot check extended attributes on %s: %s", dir, strerror(errno));
    return -errno;
}

int instance_check_upper_fs(const char *dir, char *why, size_t n)
{
    int r = check_d_type(dir, why, n);
    return r < 0 ? r : check_xattrs(dir, why, n);
}

static bool dir_is_empty(int parent, const char *name)
{
    _cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *e;

    if (fd < 0)
        return false;
    d = fdopendir(fd);
    if (!d)
        return false;
    take_fd(&fd); /* the DIR owns it now */
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            return false;
    return true;
}

static int write_marker(int dfd)
{
    static const char text[] = "sharedroot instance storage, version 1\n"
                               "Created by sharedroot-init. Holds this guest's own overlay "
                               "upper dirs, /tmp and state.\n";
    _cleanup_close_ int fd = openat(dfd, INSTANCE_MARKER ".tmp",
                                    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    int r = 0;

    if (fd < 0)
        return -errno;
    if (write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1) || fsync(fd) < 0)
        r = errno ? -errno : -EIO;
    close(take_fd(&fd));
    if (r == 0 && renameat(dfd, INSTANCE_MARKER ".tmp", dfd, INSTANCE_MARKER) < 0)
        r = -errno;
    if (r < 0)
        unlinkat(dfd, INSTANCE_MARKER ".tmp", 0);
    else
        fsync(dfd);
    return r;
}

/* 0: ours (the marker is there), 1: empty, -ENOTEMPTY: something else. Reads only. */
static int inspect_fd(int dfd, const char *dir, char *why, size_t n)
{
    struct stat st;
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *e;
    int r = 1;

    if (fstatat(dfd, INSTANCE_MARKER, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
        return 0;
    _cleanup_close_ int copy = dup(dfd);
    if (copy < 0 || !(d = fdopendir(copy)))
        return -ENOMEM;
    take_fd(&copy); /* the DIR owns it now */
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (strcmp(e->d_name, "lost+found") == 0 && dir_is_empty(dfd, e->d_name))
            continue;
        snprintf(why, n,
                 "the filesystem is not empty (it has '%.200s') and has no %s "
                 "marker: it is not sharedroot instance storage, so it is left "
                 "untouched. Attach the right disk, or, if this disk is meant for this "
                 "guest, mount it and create an empty file %s at its top",
                 e->d_name, INSTANCE_MARKER, INSTANCE_MARKER);
        r = -ENOTEMPTY;
        break;
    }
    return r;
}

/* Inspect dir and, when claim is set and it is empty, mark it ours. */
static int inspect_dir(const char *dir, bool claim, char *why, size_t n)
{
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r;

    if (dfd < 0) {
        snprintf(why, n, "cannot open %s: %s", dir, strerror(errno));
        return -errno;
    }
    r = inspect_fd(dfd, dir, why, n);
    if (r == 1 && claim) {
        int w = write_marker(dfd);
        if (w < 0) {
            snprintf(why, n, "cannot write %s/%s: %s", dir, INSTANCE_MARKER, strerror(-w));
            r = w;
        }
    }
    return r;
}

int instance_inspect(const char *dir, char *why, size_t n)
{
    return inspect_dir(dir, false, why, n);
}

int instance_claim(const char *dir, char *why, size_t n)
{
    return inspect_dir(dir, true, why, n);
}

int instance_mkdirs(const char *base, const char *rel, unsigned mode)
{
    char buf[4096];
    _cleanup_close_ int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    if (strlen(rel) >= sizeof buf)
        return -ENAMETOOLONG;
    strcpy(buf, rel);
    for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
            return -EINVAL;
        if (mkdirat(fd, c, mode) < 0 && errno != EEXIST)
            return -errno;
        int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            return errno == ENOTDIR ? -ELOOP : -errno;
        close(fd);
        fd = next;
    }
    return 0;
}

bool instance_is_full(const char *dir)
{
    struct statvfs sv;
    if (statvfs(dir, &sv) < 0)
        return false;
    return sv.f_bavail == 0 || (sv.f_files > 0 && sv.f_favail == 0);
}
