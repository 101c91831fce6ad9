// SPDX-License-Identifier: GPL-2.0-or-later
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
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

/* The ext superblock, and whether the image holds all of the filesystem. */
static int probe_ext(struct image *img)
{
    _cleanup_close_ int fd = open(img->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return log_error_errno(errno, "Cannot open %s: %m", img->path);
    unsigned long long size = 0;
    int r = image_size(fd, &size);
    if (r >= 0)
        r = ext_sb_read(fd, &img->extsb);
    if (r == -EIO || r == -EINVAL || r == -EUCLEAN)
        return log_error_errno(r,
                               "%s: the %s superblock is unreadable or corrupt; the image "
                               "is damaged: check a copy with e2fsck -n",
                               img->path, img->fstype);
    if (r < 0)
        return log_error_errno(r, "Cannot read the superblock of %s: %m", img->path);
    if (img->extsb.size > size)
        return log_error_errno(EIO,
                               "%s is truncated: its %s filesystem spans %llu bytes, the "
                               "image has %llu; copy it again from the original",
                               img->path, img->fstype, (unsigned long long)img->extsb.size, size);
    img->has_extsb = true;
    return 0;
}

/* Whether an xfs log needs replay: xfs_logprint (xfsprogs) reads the log read-only and says
 * "state: <DIRTY>" or "<CLEAN>"; xfs has no superblock flag for it. */
static int probe_xfs(struct image *img, struct notes *notes)
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
        execl(prog, prog, "-t", img->path, (char *)NULL);
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

int image_probe(struct image *img, const char *path, struct notes *notes)
{
    *img = (struct image){.path = path, .xfs_log_dirty = -1};
    int r = blockdev_probe_fstype(path, img->fstype, sizeof(img->fstype));
    if (r == -ENOENT)
        return log_error_errno(r,
                               "%s: no filesystem found: not a filesystem image, or a "
                               "corrupt or truncated one",
                               path);
    if (r == -ENOTUNIQ)
        return log_error_errno(r, "%s: more than one filesystem signature; see wipefs(8)", path);
    if (r < 0)
        return log_error_errno(r, "Cannot probe %s: %m", path);
    if (strncmp(img->fstype, "ext", 3) == 0)
        return probe_ext(img);
    if (strcmp(img->fstype, "xfs") == 0)
        return probe_xfs(img, notes);
    return 0;
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
                               img->path, img->fstype);
    if (r < 0)
        return log_error_errno(r, "%s: no safe mount options for %s: %s", img->path, img->fstype,
                               why[0] ? why : "unknown reason");
    /* rootfs_options always sets MS_RDONLY for a base; say "ro" so libmount makes the loop
     * device read-only as well. */
    snprintf(opts, n, "ro,loop%s%s", *data ? "," : "", data);
    return (mflags & MS_RDONLY) ? 0 : -EINVAL;
}

/* The loop device libmount set up must be read-only: defence in depth under the ro mount. */
/* Both the mount and the loop device under it must be read-only. */
static int verify_readonly(const char *dev, const char *target)
{
    struct statvfs sv;
    if (statvfs(target, &sv) < 0 || !(sv.f_flag & ST_RDONLY))
        return -EROFS;
    _cleanup_close_ int fd = *dev ? open(dev, O_RDONLY | O_CLOEXEC) : -1;
    int ro = 0;
    if (fd >= 0 && ioctl(fd, BLKROGET, &ro) < 0)
        ro = 0;
    return ro ? 0 : -EROFS;
}

static int mount_loop(struct image *img, const char *opts)
{
    char dev[PATH_MAX] = "", why[WHY_MAX] = "";
    int r =
        loop_mount(img->path, img->mountpoint, img->fstype, opts, dev, sizeof dev, why, sizeof why);
    if (r < 0)
        return log_error_errno(r,
                               "Cannot mount %s (%s, %s): %s; a corrupt or truncated "
                               "image? check a copy with fsck -n",
                               img->path, img->fstype, opts, why);
    r = verify_readonly(dev, img->mountpoint);
    if (r < 0) {
        umount2(img->mountpoint, MNT_DETACH);
        return log_error_errno(r,
                               "%s: the mount or its loop device is not read-only; "
                               "refusing to go on",
                               img->path);
    }
    return 0;
}

int image_mount(struct image *img)
{
    char opts[320];
    int r = mount_options(img, opts, sizeof(opts));
    if (r >= 0)
        r = enter_private_namespace(img->path);
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
    r = mount_loop(img, opts);
    if (r < 0) {
        image_done(img);
        return r;
    }
    int fd = open(img->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        r = log_error_errno(errno, "Cannot open the mounted %s: %m", img->path);
        image_done(img);
    }
    return fd < 0 ? r : fd;
}

void image_done(struct image *img)
{
    if (!img->mountpoint)
        return;
    /* Detach even if busy: nothing of ours is left open but the loop must go. */
    umount2(img->mountpoint, MNT_DETACH);
    rmdir(img->mountpoint);
    free(img->mountpoint);
    img->mountpoint = NULL;
}
