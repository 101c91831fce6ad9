// SPDX-License-Identifier: GPL-2.0-or-later
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blockdev.h"
#include "cleanup.h"
#include "imgformat.h"
#include "log.h"
#include "loopmount.h"
#include "rootfs.h"
#include "why.h"

static int image_size(int fd, unsigned long long *size)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISREG(st.st_mode)) {
        *size = (unsigned long long)st.st_size;
        return 0;
    }
    if (S_ISBLK(st.st_mode))
        return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
    return -ENOTBLK;
}

/* The ext superblock, and whether the image (or the partition) holds all of the filesystem. */
static int probe_ext(struct image *img, int fd)
{
    const char *what = img->part >= 0 ? "partition" : "image";
    int r =
        img->size < EXT_SB_OFFSET + EXT_SB_SIZE ? -EIO : ext_sb_read(fd, img->offset, &img->extsb);
    if (r == -EIO || r == -EINVAL || r == -EUCLEAN)
        return log_error_errno(r,
                               "%s: the %s superblock is unreadable or corrupt; the image "
                               "is damaged: check a copy with e2fsck -n",
                               img->name, img->fstype);
    if (r < 0)
        return log_error_errno(r, "Cannot read the superblock of %s: %m", img->name);
    if (img->extsb.size > img->size)
        return log_error_errno(EIO,
                               "%s is truncated: its %s filesystem spans %llu bytes, the "
                               "%s has %llu; copy it again from the original",
                               img->name, img->fstype, (unsigned long long)img->extsb.size, what,
                               (unsigned long long)img->size);
    img->has_extsb = true;
    return 0;
}

/* Whether an xfs log needs replay: xfs_logprint (xfsprogs) reads the log of dev (the image,
 * or the read-only loop device of a partition) read-only and says "state: <DIRTY>" or
 * "<CLEAN>"; xfs has no superblock flag for it. */
static int probe_xfs(struct image *img, const char *dev, struct notes *notes)
{
    static const char *const progs[] = {"/usr/sbin/xfs_logprint", "/sbin/xfs_logprint", NULL};
    const char *prog = NULL;
    char out[4096];
    size_t len = 0;
    int p[2], status;
    pid_t pid;

    for (const char *const *q = progs; *q && !prog; q++)
        if (access(*q, X_OK) == 0)
            prog = *q;
    if (!prog)
        return notes_add(notes, "xfs: whether the log is dirty is not checked (no xfs_logprint: "
                                "install xfsprogs); run xfs_repair -n on a copy before sharing");
    if (pipe2(p, O_CLOEXEC) < 0)
        return log_error_errno(errno, "Cannot create a pipe: %m");
    _cleanup_close_ int rfd = p[0], wfd = p[1];
    pid = fork();
    if (pid < 0)
        return log_error_errno(errno, "Cannot fork: %m");
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        dup2(null, 0);
        dup2(wfd, 1);
        dup2(null, 2);
        execl(prog, prog, "-t", dev, (char *)NULL);
        _exit(127);
    }
    close(take_fd(&wfd));
    for (ssize_t n; len < sizeof out - 1 && (n = read(rfd, out + len, sizeof out - 1 - len)) > 0;)
        len += (size_t)n;
    close(take_fd(&rfd)); /* the rest of the (long) transaction listing is not needed */
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    out[len] = 0;
    img->xfs_log_dirty = strstr(out, "state: <DIRTY>") ? 1 : strstr(out, "state: <CLEAN>") ? 0 : -1;
    if (img->xfs_log_dirty < 0)
        return notes_add(notes,
                         "xfs: %s did not say whether the log is dirty; run "
                         "xfs_repair -n on a copy before sharing",
                         prog);
    return 0;
}

const struct part *image_partition(const struct image *img)
{
    return img->part >= 0 ? &img->disk.v[img->part] : NULL;
}

/* The filesystem of the whole image, as before partitioned images were known. */
static int probe_whole(struct image *img, int fd, int want_part, struct notes *notes)
{
    if (want_part > 0)
        return log_error_errno(EINVAL,
                               "%s holds a filesystem (%s), not a partition table: "
                               "--partition is for partitioned disk images; check it without",
                               img->user, img->fstype);
    if (strncmp(img->fstype, "ext", 3) == 0)
        return probe_ext(img, fd);
    if (strcmp(img->fstype, "xfs") == 0)
        return probe_xfs(img, img->path, notes);
    return 0;
}

/* A partitioned disk image: choose the root partition (or the one asked for) and make it the
 * filesystem checked. */
static int probe_disk(struct image *img, int fd, int want_part, struct notes *notes)
{
    char why[WHY_MAX] = "";
    int r = disk_probe(fd, img->size, &img->disk, why, sizeof why);
    if (r < 0)
        return log_error_errno(r, "%s: %s", img->user, why);
    if (r == 0)
        return log_error_errno(ENOENT,
                               "%s: no filesystem found and no partition table: not a "
                               "filesystem or disk image, or a corrupt or truncated one",
                               img->user);
    if (img->disk.n == 0)
        return log_error_errno(ENOENT, "%s: the %s partition table has no partitions", img->user,
                               img->disk.pttype);
    int k = disk_choose(&img->disk, want_part, why, sizeof why);
    if (k < 0) {
        log_error_errno(k,
                        "%s: %s partition table: %s; choose the root with --partition N. "
                        "Its partitions:",
                        img->user, img->disk.pttype, why);
        disk_list(&img->disk, stderr);
        return k;
    }
    const struct part *p = &img->disk.v[k];
    img->part = k;
    img->offset = p->start;
    img->size = p->size;
    snprintf(img->name, sizeof img->name, "%s partition %d", img->user, p->number);
    if (p->fs_ambiguous)
        return log_error_errno(ENOTUNIQ, "%s: more than one filesystem signature; see wipefs(8)",
                               img->name);
    if (!p->fstype[0])
        return log_error_errno(ENOENT,
                               "%s: no filesystem found: not a filesystem, or a corrupt or "
                               "truncated one",
                               img->name);
    snprintf(img->fstype, sizeof img->fstype, "%s", p->fstype);
    for (size_t i = 0; i < img->disk.n; i++)
        if (img->disk.v[i].problem)
            notes_add(notes, "%s: partition %d %s; not probed", img->user, img->disk.v[i].number,
                      img->disk.v[i].problem);
    if (strncmp(img->fstype, "ext", 3) == 0)
        return probe_ext(img, fd);
    /* xfs: xfs_logprint has no offset; it reads the partition's loop device once mounted. */
    return 0;
}

/* A QEMU container holds the disk in its own layout: libblkid and the kernel would see neither
 * a filesystem nor a partition table, only a wrong diagnosis. A qcow2 image (as distributions
 * ship cloud images) is read through a raw copy of its virtual disk, made here: img->path
 * becomes the copy, *fd is reopened on it. The other formats are refused. */
static int read_container(struct image *img, int *fd, struct notes *notes)
{
    enum img_format fmt;
    int r = img_format_detect(*fd, &fmt);
    if (r < 0)
        return log_error_errno(r, "Cannot read %s: %m", img->user);
    if (fmt == IMG_FORMAT_RAW)
        return 0;
    if (fmt != IMG_FORMAT_QCOW2)
        return log_error_errno(EMEDIUMTYPE,
                               "%s is a %s image (a QEMU container format), not a raw disk or "
                               "filesystem image: convert it with qemu-img convert -O raw %s "
                               "%s.raw and check %s.raw, or check a mounted copy as a "
                               "directory",
                               img->user, img_format_name(fmt), img->user, img->user, img->user);
    r = qcow2raw_make(&img->raw, img->user, notes);
    if (r < 0)
        return r;
    img->path = img->raw.tmp;
    close(*fd);
    *fd = open(img->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (*fd < 0)
        return log_error_errno(errno, "%s: cannot open its raw copy: %m", img->user);
    unsigned long long size = 0;
    r = image_size(*fd, &size);
    if (r < 0)
        return log_error_errno(r, "%s: cannot get the size of its raw copy: %m", img->user);
    img->size = size;
    return 0;
}

int image_probe(struct image *img, const char *path, int want_part, struct notes *notes)
{
    *img = (struct image){.path = path, .user = path, .xfs_log_dirty = -1, .part = -1};
    snprintf(img->name, sizeof img->name, "%s", path);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return log_error_errno(errno, "Cannot open %s: %m", path);
    unsigned long long size = 0;
    int r = image_size(fd, &size);
    if (r < 0)
        return log_error_errno(r, "Cannot get the size of %s: %m", path);
    img->size = size;
    r = read_container(img, &fd, notes);
    if (r < 0)
        return r;
    r = blockdev_probe_fstype(img->path, img->fstype, sizeof(img->fstype));
    if (r == -ENOENT)
        return probe_disk(img, fd, want_part, notes);
    if (r == -ENOTUNIQ)
        return log_error_errno(r, "%s: more than one filesystem signature; see wipefs(8)", path);
    if (r < 0)
        return log_error_errno(r, "Cannot probe %s: %m", path);
    return probe_whole(img, fd, want_part, notes);
}

/* Our mounts must not propagate to the host's namespace, nor theirs to ours. */
static int enter_private_namespace(const char *path)
{
    if (unshare(CLONE_NEWNS) < 0)
        return log_error_errno(errno,
                               "Cannot create a mount namespace to check %s (needs "
                               "root): %m",
                               path);
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
        return log_error_errno(errno, "Cannot make the mount namespace private: %m");
    return 0;
}

/* mount(8)-style options: loop, and the flags and data of rootfs_options. */
static int mount_options(struct image *img, char *opts, size_t n)
{
    unsigned long mflags;
    char data[256];
    char why[WHY_MAX] = "";
    int r = rootfs_options(img->fstype, NULL, false, false, &mflags, data, sizeof(data), why,
                           sizeof(why));
    if (r == -EOPNOTSUPP)
        return log_error_errno(r,
                               "%s: %s cannot be mounted without the kernel writing to it "
                               "(journal replay); not checked",
                               img->name, img->fstype);
    if (r < 0)
        return log_error_errno(r, "%s: no safe mount options for %s: %s", img->name, img->fstype,
                               why[0] ? why : "unknown reason");
    /* rootfs_options always sets MS_RDONLY for a base; say "ro" so libmount makes the loop
     * device read-only as well. A partition: the loop device covers its range only. */
    char range[64] = "";
    if (img->part >= 0)
        snprintf(range, sizeof range, ",offset=%llu,sizelimit=%llu",
                 (unsigned long long)img->offset, (unsigned long long)img->size);
    snprintf(opts, n, "ro,loop%s%s%s", range, *data ? "," : "", data);
    return (mflags & MS_RDONLY) ? 0 : -EINVAL;
}

/* Both the mount and the loop device under it must be read-only (defence in depth under the
 * ro mount), and the loop device must cover the partition and nothing else. */
static int verify_loop(const struct image *img, const char *dev, const char *target)
{
    struct statvfs sv;
    if (statvfs(target, &sv) < 0 || !(sv.f_flag & ST_RDONLY))
        return -EROFS;
    _cleanup_close_ int fd = *dev ? open(dev, O_RDONLY | O_CLOEXEC) : -1;
    int ro = 0;
    if (fd >= 0 && ioctl(fd, BLKROGET, &ro) < 0)
        ro = 0;
    if (!ro)
        return -EROFS;
    struct loop_info64 info = {0};
    if (img->part >= 0 && (ioctl(fd, LOOP_GET_STATUS64, &info) < 0 ||
                           info.lo_offset != img->offset || info.lo_sizelimit != img->size))
        return -ERANGE;
    return 0;
}

static int mount_loop(struct image *img, const char *opts, struct notes *notes)
{
    char dev[PATH_MAX] = "", why[WHY_MAX] = "";
    int r =
        loop_mount(img->path, img->mountpoint, img->fstype, opts, dev, sizeof dev, why, sizeof why);
    if (r < 0)
        return log_error_errno(r,
                               "Cannot mount %s (%s, %s): %s; a corrupt or truncated "
                               "image? check a copy with fsck -n",
                               img->name, img->fstype, opts, why);
    r = verify_loop(img, dev, img->mountpoint);
    if (r < 0) {
        umount2(img->mountpoint, MNT_DETACH);
        return log_error_errno(r,
                               r == -ERANGE ? "%s: the loop device does not cover exactly the "
                                              "partition; refusing to go on"
                                            : "%s: the mount or its loop device is not "
                                              "read-only; refusing to go on",
                               img->name);
    }
    /* A partition's xfs log, read through the loop device limited to it: the device is
     * read-only and the mount (norecovery) has not touched the log. */
    if (img->part >= 0 && strcmp(img->fstype, "xfs") == 0)
        return probe_xfs(img, dev, notes);
    return 0;
}

static void image_unmount(struct image *img)
{
    if (!img->mountpoint)
        return;
    /* Detach even if busy: nothing of ours is left open but the loop must go. */
    umount2(img->mountpoint, MNT_DETACH);
    rmdir(img->mountpoint);
    free(img->mountpoint);
    img->mountpoint = NULL;
}

int image_mount(struct image *img, struct notes *notes)
{
    char opts[400];
    int r = mount_options(img, opts, sizeof(opts));
    if (r >= 0)
        r = enter_private_namespace(img->user);
    if (r < 0)
        return r;
    char tmpl[] = "/tmp/sharedroot-check-base.XXXXXX";
    if (!mkdtemp(tmpl))
        return log_error_errno(errno, "Cannot create a mount point in /tmp: %m");
    img->mountpoint = strdup(tmpl);
    if (!img->mountpoint) {
        rmdir(tmpl);
        return log_error_errno(ENOMEM, "Out of memory");
    }
    r = mount_loop(img, opts, notes);
    if (r < 0) {
        image_unmount(img);
        return r;
    }
    int fd = open(img->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        r = log_error_errno(errno, "Cannot open the mounted %s: %m", img->name);
        image_unmount(img);
    }
    return fd < 0 ? r : fd;
}

void image_done(struct image *img)
{
    image_unmount(img);
    disk_done(&img->disk);
    qcow2raw_done(&img->raw);
}
