// SPDX-License-Identifier: GPL-2.0-or-later
#include "stage-instance.h"

#include <errno.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blockdev.h"
#include "devices.h"
#include "fsck.h"
#include "instance.h"
#include "log.h"
#include "netroot.h"
#include "rootfs.h"
#include "stage-devices.h"

#define FSCK_TIMEOUT_S 600

static int load_layout_file(struct boot_ctx *ctx, const char *path)
{
    char err[1024];
    int r = layout_parse_file(path, &ctx->layout, err, sizeof err);

    if (r < 0)
        return log_error_errno(r, "%s", err);
    snprintf(ctx->layout_path, sizeof ctx->layout_path, "%s", path);
    ctx->mode = MODE_LAYOUT;
    log_info("instance layout from %s: %zu entries", path, ctx->layout.n);
    return 0;
}

/* sharedroot.layout=PATH is looked up in the initramfs first, then in the base image. */
static int find_layout(struct boot_ctx *ctx, char *path, size_t n)
{
    const char *want = ctx->cmd.layout ? ctx->cmd.layout : LAYOUT_DEFAULT_PATH;

    if (want[0] != '/')
        return log_error_errno(EINVAL, "sharedroot.layout=%s: give an absolute path", want);
    if (ctx->cmd.layout && !ctx->in_root && access(want, R_OK) == 0) {
        snprintf(path, n, "%s", want);
        return 1;
    }
    snprintf(path, n, "%s%s", strcmp(ctx->sysroot, "/") == 0 ? "" : ctx->sysroot, want);
    if (access(path, R_OK) == 0)
        return 1;
    if (ctx->cmd.layout)
        return log_error_errno(ENOENT,
                               "sharedroot.layout=%s: not found in the initramfs nor "
                               "in the base image (%s)",
                               want, path);
    return 0;
}

static int choose_layout(struct boot_ctx *ctx)
{
    char path[PATH_MAX], err[1024];
    int r;

    layout_free(&ctx->layout); /* a retry from the emergency shell starts over */
    if (ctx->cmd.layout && ctx->cmd.instance)
        return log_error_errno(EINVAL, "both sharedroot.instance= and sharedroot.layout= are "
                                       "given; use one (the layout file names the instance "
                                       "partitions itself)");
    if (!ctx->cmd.instance) {
        r = find_layout(ctx, path, sizeof path);
        if (r < 0)
            return r;
        if (r > 0)
            return load_layout_file(ctx, path);
    }
    r = layout_from_instance(ctx->cmd.instance, ctx->cmd.overlays, &ctx->layout, err, sizeof err);
    if (r < 0)
        return log_error_errno(r, "%s", err);
    ctx->mode = ctx->cmd.instance ? MODE_INSTANCE : MODE_VOLATILE;
    if (ctx->mode == MODE_VOLATILE)
        log_notice("VOLATILE mode: no sharedroot.instance= and no layout file; the overlays "
                   "live in memory and every change to %s is lost at shutdown",
                   ctx->cmd.overlays ? ctx->cmd.overlays : CMDLINE_DEFAULT_OVERLAYS);
    return 0;
}

/* The lower dirs are read through this read-only bind; after the switch it is where admins
 * and overlay-reconcile see the base under the overlays. */
static int publish_base(struct boot_ctx *ctx)
{
    if (mkdir(SHAREDROOT_RUN, 0755) < 0 && errno != EEXIST)
        return log_error_errno(errno, "Failed to create %s: %m", SHAREDROOT_RUN);
    if (mkdir(SHAREDROOT_BASE, 0755) < 0 && errno != EEXIST)
        return log_error_errno(errno, "Failed to create %s: %m", SHAREDROOT_BASE);
    umount2(SHAREDROOT_BASE, MNT_DETACH); /* from an earlier try, if any */
    /* "none" as type (and source) of binds, moves and remounts throughout: the kernel ignores
     * them there, and a NULL is reported by valgrind's syscall checker. */
    if (mount(ctx->sysroot, SHAREDROOT_BASE, "none", MS_BIND, NULL) < 0)
        return log_error_errno(errno, "Failed to bind the base %s on %s: %m", ctx->sysroot,
                               SHAREDROOT_BASE);
    if (mount("none", SHAREDROOT_BASE, "none",
              MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        return log_error_errno(errno, "Failed to make %s read-only: %m", SHAREDROOT_BASE);
    return 0;
}

/* Split "defaults,noatime,data=journal" into mount(2) flags and filesystem data. */
static int split_options(const char *options, unsigned long *flags, char **data)
{
    char *vfs = NULL;
    int r;

    *flags = 0;
    *data = NULL;
    if (!options || !*options)
        return 0;
    r = mnt_split_optstr(options, NULL, &vfs, data, 0, 0);
    if (r == 0 && vfs)
        r = mnt_optstr_get_flags(vfs, flags, mnt_get_builtin_optmap(MNT_LINUX_MAP));
    free(vfs);
    return r < 0 ? -EINVAL : 0;
}

static int check_fs(const char *what, const char *dev, const char *fstype, int passno)
{
    char why[1024];
    int r;

    if (passno <= 0)
        return 0;
    r = fsck_run(dev, fstype, FSCK_TIMEOUT_S, why, sizeof why);
    if (r == -ENOENT) {
        log_info("%s: no fsck for %s in the initramfs; mounting %s without a check", what, fstype,
                 dev);
        return 0;
    }
    if (r < 0)
        return log_error_errno(r, "%s: %s is not mounted read-write: %s", what, dev,
                               r == -EUCLEAN ? why : strerror(-r));
    log_info("%s: fsck of %s (%s) clean", what, dev, fstype);
    return 0;
}

/* Before fsck or a read-write mount writes anything (a read-write mount alone updates an
 * ext4 superblock, sets the vfat dirty bit, writes an xfs log record), look at the filesystem
 * through a read-only mount (ext4 noload, xfs norecovery: no journal replay) and refuse a
 * foreign or unfit one untouched. When it cannot be mounted read-only (damaged), fsck and the
 * read-write mount decide as before, and the claim after the mount still checks. */
static int inspect_readonly(const char *what, const char *dev, const char *type, const char *target,
                            enum instance_inspect inspect)
{
    unsigned long flags = MS_RDONLY;
    char data[256] = "", why[1024];
    int r = 0;

    if (inspect == INSPECT_NONE)
        return 0;
    if (rootfs_options(type, NULL, false, false, &flags, data, sizeof data, NULL, 0) < 0) {
        flags = MS_RDONLY;
        data[0] = 0;
    }
    if (mkdir(target, 0700) < 0 && errno != EEXIST)
        return log_error_errno(errno, "Failed to create %s: %m", target);
    if (mount(dev, target, type, flags | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              data[0] ? data : NULL) < 0) {
        log_full_errno(LOG_INFO, errno,
                       "%s: %s (%s) cannot be mounted read-only for a first "
                       "look (%m); fsck decides",
                       what, dev, type);
        return 0;
    }
    if (inspect == INSPECT_UPPER)
        r = instance_check_upper_fs(target, why, sizeof why);
    if (r == 0)
        r = instance_inspect(target, why, sizeof why);
    umount2(target, MNT_DETACH);
    if (r < 0)
        return log_error_errno(r, "%s (%s): %s; nothing was written to %s", what, dev, why, dev);
    return 0;
}

int mount_instance_device(struct boot_ctx *ctx, const char *what, const char *spec,
                          const char *fstype, const char *options, int passno, const char *target,
                          char *dev, size_t dev_size, enum instance_inspect inspect)
{
    char type[64];
    unsigned long flags;
    char *data = NULL;
    int r;

    r = devices_wait_for_spec(ctx, what, spec, dev, dev_size);
    if (r < 0)
        return r;
    /* nbd:SERVER:EXPORT:FSTYPE:MOUNTOPTS says what the layout or command line does not */
    if ((!fstype || !*fstype || strcmp(fstype, "auto") == 0) && netroot_spec_fstype(ctx, spec) &&
        *netroot_spec_fstype(ctx, spec))
        fstype = netroot_spec_fstype(ctx, spec);
    if ((!options || !*options) && netroot_spec_options(ctx, spec) &&
        *netroot_spec_options(ctx, spec))
        options = netroot_spec_options(ctx, spec);
    if (fstype && *fstype && strcmp(fstype, "auto") != 0) {
        snprintf(type, sizeof type, "%s", fstype);
    } else {
        r = blockdev_probe_fstype(dev, type, sizeof type);
        if (r == -ENOENT)
            return log_error_errno(r,
                                   "%s=%s: %s holds no filesystem. sharedroot never creates "
                                   "one: make it from the host, e.g. mkfs.ext4 -L instance "
                                   "%s (that erases the disk)",
                                   what, spec, dev, dev);
        if (r < 0)
            return log_error_errno(r, "%s=%s: cannot probe %s: %m", what, spec, dev);
    }
    devices_load_fs(ctx, type);
    r = inspect_readonly(what, dev, type, target, inspect);
    if (r < 0)
        return r;
    r = check_fs(what, dev, type, passno);
    if (r < 0)
        return r;
    if (split_options(options, &flags, &data) < 0)
        return log_error_errno(EINVAL, "%s: mount options '%s' cannot be parsed", what, options);
    flags &= ~(unsigned long)MS_RDONLY;
    if (mkdir(target, 0700) < 0 && errno != EEXIST)
        r = log_error_errno(errno, "Failed to create %s: %m", target);
    else if (mount(dev, target, type, flags | MS_NOSUID | MS_NODEV, data) < 0)
        r = log_error_errno(errno, "%s=%s: mounting %s (%s) read-write on %s failed: %m; %s", what,
                            spec, dev, type, target,
                            errno == ENODEV ? "the kernel has no driver for this filesystem "
                                              "type (module missing from the initramfs?)"
                                            : "if the filesystem is damaged, run fsck on it "
                                              "from the emergency shell and leave the shell "
                                              "to retry");
    free(data);
    if (r == 0)
        log_info("%s: %s (%s) mounted read-write at %s", what, dev, type, target);
    return r;
}

static bool holds_an_upper(const struct layout *l, const struct layout_entry *part)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->entries[i].kind == LAYOUT_OVERLAY && layout_part_for(l, l->entries[i].upper) == part)
            return true;
    return false;
}

/* Mounted: now check it can hold overlay uppers (before writing anything) and claim it. */
static int claim_part(struct boot_ctx *ctx, const struct layout_entry *e, const char *what)
{
    char why[1024];
    int r;

    if (holds_an_upper(&ctx->layout, e)) {
        r = instance_check_upper_fs(e->target, why, sizeof why);
        if (r < 0)
            return umount(e->target), log_error_errno(r, "%s: %s; nothing was written", what, why);
    }
    r = instance_claim(e->target, why, sizeof why);
    if (r < 0)
        return umount(e->target), log_error_errno(r, "%s: %s", what, why);
    if (r == 1 && ctx->mode != MODE_VOLATILE)
        log_notice("%s: empty filesystem at %s is now sharedroot instance storage", what,
                   e->target);
    chmod(e->target, 0700);
    if (instance_is_full(e->target))
        log_warning("%s: the filesystem at %s is full: writes to the overlaid directories will "
                    "fail until space is freed",
                    what, e->target);
    return 0;
}

static int prepare_part(struct boot_ctx *ctx, size_t i)
{
    struct layout_entry *e = &ctx->layout.entries[i];
    char what[PATH_MAX + 64], dev[256] = "";
    int r;

    if (ctx->mode == MODE_LAYOUT)
        snprintf(what, sizeof what, "layout %s entry %d (%s)", ctx->layout_path, e->line,
                 e->target);
    else
        snprintf(what, sizeof what, "sharedroot.instance");
    if (strcmp(e->source, "tmpfs") == 0) {
        if (mkdir(e->target, 0700) < 0 && errno != EEXIST)
            return log_error_errno(errno, "Failed to create %s: %m", e->target);
        if (mount("tmpfs", e->target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
            return log_error_errno(errno, "Failed to mount tmpfs on %s: %m", e->target);
        snprintf(dev, sizeof dev, "tmpfs");
    } else {
        r = mount_instance_device(ctx, what, e->source, e->fstype, e->options, e->passno, e->target,
                                  dev, sizeof dev,
                                  holds_an_upper(&ctx->layout, e) ? INSPECT_UPPER : INSPECT_CLAIM);
        if (r < 0)
            return r;
    }
    free(e->device);
    e->device = strdup(dev);
    if (!e->device)
        return log_error_errno(ENOMEM, "Failed to remember the device of %s: %m", e->target);
    return claim_part(ctx, e, what);
}

/* Instances made by sharedroot 0.1.0, whose overlay name escaping was not injective, keep
 * their directories (see layout_adopt_legacy_dirs). */
static void adopt_legacy_names(struct boot_ctx *ctx)
{
    char what[2048];

    for (size_t i = 0; i < ctx->layout.n; i++) {
        const struct layout_entry *e = &ctx->layout.entries[i];
        int r = layout_adopt_legacy_dirs(&ctx->layout, e, what, sizeof what);
        if (r > 0)
            log_notice("overlay %s: renamed %s (the name sharedroot 0.1.0 gave it)", e->target,
                       what);
        else if (r < 0)
            log_warning_errno(r,
                              "overlay %s: cannot rename %s (named by sharedroot 0.1.0): %m; "
                              "rename it by hand from the emergency shell",
                              e->target, what[0] ? what : "its directories");
    }
}

int stage_instance(struct boot_ctx *ctx)
{
    int r;

    if (ctx->cmd.off) {
        ctx->mode = MODE_OFF;
        log_info("sharedroot=off: no instance layer");
        return 0;
    }
    r = choose_layout(ctx);
    if (r < 0)
        return r;
    r = publish_base(ctx);
    if (r < 0)
        return r;
    for (size_t i = 0; i < ctx->layout.n; i++) {
        if (ctx->layout.entries[i].kind != LAYOUT_PART)
            continue;
        r = prepare_part(ctx, i);
        if (r < 0)
            return r;
    }
    adopt_legacy_names(ctx);
    return 0;
}
