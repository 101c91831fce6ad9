// SPDX-License-Identifier: GPL-2.0-or-later
#include "image.h"

#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blockdev.h"
#include "fsio.h"
#include "instance.h"
#include "log.h"
#include "loopmount.h"
#include "reconcile.h"
#include "rootfs.h"
#include "spec.h"
#include "why.h"

int image_private_namespace(const char *what)
{
    static bool done;

    if (done)
        return 0;
    if (unshare(CLONE_NEWNS) < 0)
        return log_error_errno(errno,
                               "%s: cannot create a private mount namespace (%m); this "
                               "command mounts the image and needs root (CAP_SYS_ADMIN)",
                               what);
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
        return log_error_errno(errno, "%s: cannot make the mount namespace private: %m", what);
    done = true;
    return 0;
}

int image_loop_attached(const char *path, char *dev, size_t n)
{
    struct stat want;
    DIR *d;
    struct dirent *e;
    int r = 0;

    if (stat(path, &want) < 0)
        return -errno;
    d = opendir("/sys/block");
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    while ((e = readdir(d))) {
        char p[PATH_MAX], back[PATH_MAX];
        struct stat st;
        FILE *f;

        if (strncmp(e->d_name, "loop", 4) != 0)
            continue;
        snprintf(p, sizeof p, "/sys/block/%s/loop/backing_file", e->d_name);
        f = fopen(p, "re");
        if (!f)
            continue;
        if (fgets(back, sizeof back, f)) {
            back[strcspn(back, "\n")] = 0;
            if (stat(back, &st) == 0 && st.st_dev == want.st_dev && st.st_ino == want.st_ino) {
                snprintf(dev, n, "/dev/%s", e->d_name);
                r = 1;
            }
        }
        fclose(f);
        if (r)
            break;
    }
    closedir(d);
    return r;
}

static bool loop_autoclear(const char *dev)
{
    char p[128], v = 0;
    FILE *f;

    snprintf(p, sizeof p, "/sys/block/%s/loop/autoclear", dev + 5);
    f = fopen(p, "re");
    if (!f)
        return false;
    if (fread(&v, 1, 1, f) != 1)
        v = 0;
    fclose(f);
    return v == '1';
}

int image_locked_by_other(int fd, int *pid)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};

    *pid = 0;
    if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
        return -errno;
    if (fl.l_type == F_UNLCK) {
        /* A classic POSIX lock (F_SETLK) of another process shows here too. */
        struct flock pl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_GETLK, &pl) == 0 && pl.l_type != F_UNLCK) {
            *pid = pl.l_pid;
            return 1;
        }
        return 0;
    }
    *pid = fl.l_pid > 0 ? fl.l_pid : 0;
    return 1;
}

int image_open(struct image *img, const char *path, bool write)
{
    char dev[64];
    struct stat st;
    int pid, r;

    memset(img, 0, sizeof *img);
    img->path = path;
    img->lock_fd = -1;
    img->rootfd = -1;
    if (stat(path, &st) < 0)
        return log_error_errno(errno, "%s: %m", path);
    if (!S_ISREG(st.st_mode))
        return log_error_errno(EINVAL, "%s is not an image file (a regular file)", path);
    r = image_loop_attached(path, dev, sizeof dev);
    /* A loop device a mount set up (autoclear) goes away by itself shortly after the
     * unmount; give it the time before calling the image busy. */
    for (int i = 0; r > 0 && i < 500 && loop_autoclear(dev); i++) {
        usleep(20 * 1000);
        r = image_loop_attached(path, dev, sizeof dev);
    }
    if (r > 0)
        return log_error_errno(EBUSY,
                               "%s is attached to %s, so a guest or a mount may be using it; "
                               "shut that down and detach it (losetup -d %s) first",
                               path, dev, dev);
    img->lock_fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (img->lock_fd < 0)
        return log_error_errno(errno, "%s: cannot open it: %m", path);
    r = image_locked_by_other(img->lock_fd, &pid);
    if (r > 0) {
        image_close(img);
        return log_error_errno(EBUSY,
                               "%s is locked by another process%s%.0d%s (a running QEMU "
                               "guest locks its disks); shut the guest down first",
                               path, pid ? " (pid " : "", pid, pid ? ")" : "");
    }
    struct flock fl = {.l_type = write ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET};
    if (fcntl(img->lock_fd, F_OFD_SETLK, &fl) < 0) {
        r = -errno;
        image_close(img);
        return log_error_errno(r, "%s: cannot lock it (%m); is another command working on it?",
                               path);
    }
    r = blockdev_probe_fstype(path, img->fstype, sizeof img->fstype);
    if (r < 0) {
        image_close(img);
        if (r == -ENOENT)
            return log_error_errno(EMEDIUMTYPE,
                                   "%s holds no filesystem, so it is not an instance image; "
                                   "make one with sharedroot-instance create",
                                   path);
        return log_error_errno(r, "%s: cannot probe its filesystem: %m", path);
    }
    if (strcmp(img->fstype, "ext4") != 0 && strcmp(img->fstype, "xfs") != 0) {
        image_close(img);
        return log_error_errno(EMEDIUMTYPE,
                               "%s holds %s, not ext4 or xfs, so it is not an instance image; "
                               "nothing was changed",
                               path, img->fstype);
    }
    return 0;
}

static int mount_once(struct image *img, bool write)
{
    unsigned long flags;
    char data[256], opts[320], why[WHY_MAX] = "";
    int r;

    if (write) {
        snprintf(opts, sizeof opts, "rw,loop,nosuid,nodev,noexec");
    } else {
        r = rootfs_options(img->fstype, NULL, false, false, &flags, data, sizeof data, why,
                           sizeof why);
        if (r < 0)
            return log_error_errno(r, "%s: no read-only mount options for %s: %s", img->path,
                                   img->fstype, why[0] ? why : "unknown");
        snprintf(opts, sizeof opts, "ro,loop,nosuid,nodev,noexec%s%s", *data ? "," : "", data);
    }
    r = loop_mount(img->path, img->mountpoint, img->fstype, opts, NULL, 0, why, sizeof why);
    if (r < 0)
        return log_error_errno(r,
                               "%s: cannot mount it (%s, %s): %s; a damaged filesystem? check "
                               "it with fsck -n",
                               img->path, img->fstype, opts, why);
    img->rootfd = open(img->mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return img->rootfd < 0 ? -errno : 0;
}

static void wait_detached(const char *path);

/* A plain unmount first: a lazy one leaves the filesystem (and its read-only loop device)
 * alive for a while, and a read-write mount of the same image made meanwhile is given that
 * same read-only superblock. Then the loop device must be gone before the next mount. */
static void unmount(struct image *img)
{
    if (img->rootfd >= 0)
        close(img->rootfd);
    img->rootfd = -1;
    if (img->mountpoint && umount2(img->mountpoint, 0) < 0 && errno == EBUSY)
        umount2(img->mountpoint, MNT_DETACH);
}

static int check_marker(struct image *img)
{
    struct stat st;

    if (fstatat(img->rootfd, INSTANCE_MARKER, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
        return 0;
    return log_error_errno(EMEDIUMTYPE,
                           "%s has no %s marker at its top, so it is not a sharedroot instance; "
                           "it was left untouched (make instances with sharedroot-instance "
                           "create, or let a guest's first boot claim an empty disk)",
                           img->path, INSTANCE_MARKER);
}

/* The private namespace and a mount point of our own. */
static int prepare_mount(struct image *img)
{
    char tmpl[] = "/tmp/sharedroot-instance-mnt.XXXXXX";
    int r = image_private_namespace(img->path);

    if (r < 0)
        return r;
    if (!mkdtemp(tmpl))
        return log_error_errno(errno, "cannot make a mount point in /tmp: %m");
    img->mountpoint = strdup(tmpl);
    if (!img->mountpoint)
        return rmdir(tmpl), log_error_errno(ENOMEM, "out of memory");
    return 0;
}

int image_mount(struct image *img, bool write)
{
    int r = prepare_mount(img);

    if (r < 0)
        return r;
    /* The marker is looked at through a read-only mount first: a foreign disk is never
     * mounted read-write (that alone writes to an ext4 superblock or an xfs log). */
    r = mount_once(img, false);
    if (r == 0)
        r = check_marker(img);
    if (r == 0 && write) {
        unmount(img);
        wait_detached(img->path);
        r = mount_once(img, true);
    }
    if (r < 0)
        unmount(img);
    return r;
}

int image_mount_scratch(struct image *img)
{
    int r = prepare_mount(img);

    if (r < 0)
        return r;
    r = mount_once(img, true);
    struct stat st;
    if (r == 0 && (fstatat(img->rootfd, INSTANCE_MARKER, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                   !S_ISREG(st.st_mode)))
        r = -EMEDIUMTYPE; /* the caller names the image it copied */
    if (r < 0)
        unmount(img);
    return r;
}

int image_make_writable(struct image *img)
{
    unmount(img);
    wait_detached(img->path);
    int r = mount_once(img, true);
    if (r == 0)
        r = check_marker(img);
    if (r < 0)
        unmount(img);
    return r;
}

/* The kernel frees an autoclear loop device after the unmount, asynchronously: wait (bounded)
 * so that the image is free again when the command returns. */
static void wait_detached(const char *path)
{
    char dev[64];

    for (int i = 0; i < 500 && image_loop_attached(path, dev, sizeof dev) > 0; i++)
        usleep(20 * 1000);
}

void image_close(struct image *img)
{
    bool was_mounted = img->mountpoint != NULL;

    unmount(img);
    if (was_mounted)
        wait_detached(img->path);
    if (img->mountpoint) {
        rmdir(img->mountpoint);
        free(img->mountpoint);
        img->mountpoint = NULL;
    }
    if (img->lock_fd >= 0)
        close(img->lock_fd);
    img->lock_fd = -1;
}

int image_dir_in_use(int rootfd, const char *root, char *upper, size_t n)
{
    struct inst_spec *s = calloc(1, sizeof *s);
    char err[256];
    int r;

    if (!s)
        return -ENOMEM;
    r = spec_discover(rootfd, s, err, sizeof err);
    for (size_t i = 0; r == 0 && i < s->n; i++) {
        char p[PATH_MAX * 2];
        snprintf(p, sizeof p, "%s/%s", root, s->ov[i].upper);
        r = rc_upper_in_use(p, NULL);
        if (r == -ENOENT)
            r = 0;
        if (r > 0)
            snprintf(upper, n, "%s", p);
    }
    free(s);
    return r;
}

int image_open_dir(const char *dir, bool in_use_ok, const char *what)
{
    _cleanup_free_ char *msg = NULL;
    _cleanup_close_ int fd = rc_open_typed(dir, NULL, false, 0, &msg);
    char upper[PATH_MAX * 2];
    struct stat st;
    int r;

    if (fd < 0)
        return log_error_errno(fd, "%s %s: %s", what, dir, msg ? msg : strerror(-fd));
    if (fstatat(fd, INSTANCE_MARKER, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
        return log_error_errno(EMEDIUMTYPE,
                               "%s has no %s marker, so it is not the top of a sharedroot "
                               "instance filesystem; nothing was done",
                               dir, INSTANCE_MARKER);
    if (in_use_ok)
        return take_fd(&fd);
    r = image_dir_in_use(fd, dir, upper, sizeof upper);
    if (r > 0)
        return log_error_errno(EBUSY,
                               "%s is in use: %s is the upper dir of a mounted overlay; %s an "
                               "instance only while its guest is shut down",
                               dir, upper, what);
    if (r < 0)
        return log_error_errno(r, "%s: cannot tell whether an overlay uses it: %m", dir);
    return take_fd(&fd);
}

void image_probe_ids(const char *path, char *label, size_t ln, char *uuid, size_t un)
{
    blkid_probe pr = blkid_new_probe_from_filename(path);
    const char *v;

    label[0] = uuid[0] = 0;
    if (!pr)
        return;
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID);
    if (blkid_do_safeprobe(pr) == 0) {
        if (blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0 && strlen(v) < ln)
            strcpy(label, v);
        if (blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0 && strlen(v) < un)
            strcpy(uuid, v);
    }
    blkid_free_probe(pr);
}
