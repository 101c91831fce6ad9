// SPDX-License-Identifier: GPL-2.0-or-later
#include "stage-root.h"

#include <errno.h>
#include <libmount.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blockdev.h"
#include "dax.h"
#include "devices.h"
#include "log.h"
#include "netroot.h"
#include "rootfs.h"
#include "stage-devices.h"
#include "stage-instance.h"
#include "why.h"

/* rootfstype= and rootflags=, else what an nbd: root spec carries (nbd:SERVER:EXPORT:FSTYPE:
 * MOUNTOPTS), else none. */
static const char *root_opt(const struct boot_ctx *ctx, const char *cmd_value,
                            const char *(*from_spec)(const struct boot_ctx *, const char *))
{
    const char *v = from_spec(ctx, netroot_root_spec(ctx));
    return cmd_value ? cmd_value : v && *v ? v : NULL;
}

static int root_fstype(struct boot_ctx *ctx)
{
    const char *type = root_opt(ctx, ctx->cmd.rootfstype, netroot_spec_fstype);
    int r;

    if (type) {
        snprintf(ctx->root_fstype, sizeof ctx->root_fstype, "%s", type);
        return 0;
    }
    r = blockdev_probe_fstype(ctx->root_device, ctx->root_fstype, sizeof ctx->root_fstype);
    if (r == -ENOENT &&
        devices_explain_partitioned(ctx, "root", ctx->cmd.root, ctx->root_device, "the base") < 0)
        return r; /* said */
    if (r == -ENOENT)
        return log_error_errno(r,
                               "no filesystem found on %s (root=%s); is it the right disk? "
                               "Set rootfstype= if the type cannot be probed",
                               ctx->root_device, ctx->cmd.root);
    if (r < 0)
        return log_error_errno(r, "Failed to probe the filesystem on %s (root=%s): %m",
                               ctx->root_device, ctx->cmd.root);
    return 0;
}

/* In-root mode: the kernel mounted the shared root itself. Find out what it mounted, make sure
 * it stays read-only, and say so loudly when the kernel may have replayed a journal. */
static int check_kernel_root(struct boot_ctx *ctx)
{
    struct libmnt_table *tb = mnt_new_table();
    struct libmnt_fs *fs;
    const char *opts;
    int r = 0;

    if (!tb || mnt_table_parse_file(tb, "/proc/self/mountinfo") < 0) {
        mnt_unref_table(tb);
        return log_error_errno(EIO, "in-root mode: cannot read /proc/self/mountinfo");
    }
    fs = mnt_table_find_target(tb, ctx->sysroot, MNT_ITER_BACKWARD);
    if (!fs) {
        mnt_unref_table(tb);
        return log_error_errno(ENOENT, "in-root mode: %s is not a mount point", ctx->sysroot);
    }
    snprintf(ctx->root_device, sizeof ctx->root_device, "%s", mnt_fs_get_source(fs) ?: "");
    snprintf(ctx->root_fstype, sizeof ctx->root_fstype, "%s", mnt_fs_get_fstype(fs) ?: "");
    opts = mnt_fs_get_vfs_options(fs);
    if (!opts || mnt_optstr_get_option(opts, "ro", NULL, NULL) != 0) {
        if (mount("none", ctx->sysroot, "none", MS_REMOUNT | MS_RDONLY, NULL) < 0)
            r = log_error_errno(errno,
                                "in-root mode: the root %s is mounted read-write and "
                                "cannot be made read-only: %m; boot with 'ro' on the "
                                "kernel command line",
                                ctx->root_device);
        else
            log_warning("in-root mode: the kernel mounted the root %s read-write; remounted "
                        "read-only. Boot with 'ro rootflags=noload'",
                        ctx->root_device);
    }
    opts = mnt_fs_get_fs_options(fs);
    if (r == 0 &&
        (strncmp(ctx->root_fstype, "ext", 3) == 0 || strcmp(ctx->root_fstype, "xfs") == 0) &&
        (!opts || (mnt_optstr_get_option(opts, "norecovery", NULL, NULL) != 0 &&
                   mnt_optstr_get_option(opts, "noload", NULL, NULL) != 0)))
        log_warning("in-root mode: the kernel mounted %s (%s) without noload/norecovery and may "
                    "have replayed its journal into the shared base; add rootflags=noload "
                    "(ext4) or rootflags=norecovery (xfs) to the command line",
                    ctx->root_device, ctx->root_fstype);
    mnt_unref_table(tb);
    if (r == 0 && ctx->root_device[0] == '/' && rootfs_set_readonly(ctx->root_device) < 0)
        log_warning("in-root mode: could not set %s read-only (BLKROSET)", ctx->root_device);
    if (r == 0)
        log_info("in-root mode: root %s (%s) mounted read-only by the kernel", ctx->root_device,
                 ctx->root_fstype);
    return r;
}

/* sharedroot.dax (mounts/dax.h): the dax option to add to rootflags for this root, in opt
 * (empty: none). A warning when a dax device holds a base that cannot use it; -errno when
 * sharedroot.dax=always cannot be honoured. */
static int root_dax_option(struct boot_ctx *ctx, const char *rootflags, int mode, const char **opt)
{
    struct dax_facts f = {
        .fstype = ctx->root_fstype,
        .dev_dax = dax_device_supported(NULL, ctx->root_device),
        .page_size = (unsigned long)sysconf(_SC_PAGESIZE),
        .user_dax = dax_in_options(rootflags),
    };
    const char *why = NULL;
    unsigned long long start = 0, sectors = 0;
    char where[96] = "";

    *opt = NULL;
    if (f.dev_dax == 1) {
        f.fs_bsize = dax_probe_fs_bsize(ctx->root_device, ctx->root_fstype);
        f.misaligned =
            dax_partition_misaligned(NULL, ctx->root_device, f.page_size, &start, &sectors);
        if (f.misaligned == 1)
            snprintf(where, sizeof where, ", partition at sector %llu, %llu sectors", start,
                     sectors);
    }
    switch (dax_decide(mode, &f, opt, &why)) {
    case DAX_ERROR:
        return log_error_errno(EOPNOTSUPP, "sharedroot.dax=always: %s (%s, block size %lu%s): %s",
                               ctx->root_device, ctx->root_fstype, f.fs_bsize, where, why);
    case DAX_WARN:
        log_warning("%s (%s, block size %lu%s) offers dax but the base cannot use it, mounting "
                    "without: %s",
                    ctx->root_device, ctx->root_fstype, f.fs_bsize, where, why);
        return 0;
    default:
        return 0;
    }
}

/* Mount the root with the dax option opt (NULL: none) added to rootflags. A dax mount the
 * kernel refuses is retried without dax in auto mode, with a warning; a mount that did not
 * take dax is said too. */
static int mount_root(struct boot_ctx *ctx, const char *rootflags, int mode, const char *opt,
                      char *why, size_t why_n)
{
    char flags[1024];
    int r;

    if (!opt)
        return rootfs_mount(ctx->root_device, ctx->root_fstype, rootflags, ctx->cmd.rw,
                            ctx->cmd.off, ctx->sysroot, why, why_n);
    snprintf(flags, sizeof flags, "%s%s%s", rootflags ? rootflags : "", rootflags ? "," : "", opt);
    r = rootfs_mount(ctx->root_device, ctx->root_fstype, flags, ctx->cmd.rw, ctx->cmd.off,
                     ctx->sysroot, why, why_n);
    if (r < 0 && mode == DAX_ALWAYS)
        return log_error_errno(r,
                               "sharedroot.dax=always: the kernel refused to mount %s (%s) with "
                               "%s: %m (its reason is in the kernel log above)",
                               ctx->root_device, ctx->root_fstype, opt);
    if (r < 0) {
        log_warning("the kernel refused to mount %s (%s) with %s (its reason is in the kernel "
                    "log above); mounting without dax: every guest reads the base through its "
                    "own page cache",
                    ctx->root_device, ctx->root_fstype, opt);
        return rootfs_mount(ctx->root_device, ctx->root_fstype, rootflags, ctx->cmd.rw,
                            ctx->cmd.off, ctx->sysroot, why, why_n);
    }
    if (dax_mounted(ctx->sysroot) == 1) {
        ctx->root_dax = true;
        return 0;
    }
    if (mode == DAX_ALWAYS) {
        umount2(ctx->sysroot, MNT_DETACH);
        return log_error_errno(EOPNOTSUPP,
                               "sharedroot.dax=always: %s (%s) was mounted without dax (the "
                               "kernel log above says why); unmounted it",
                               ctx->root_device, ctx->root_fstype);
    }
    log_warning("%s (%s) was mounted without dax although %s was asked for (the kernel log "
                "above says why): every guest reads the base through its own page cache",
                ctx->root_device, ctx->root_fstype, opt);
    return 0;
}

int stage_root(struct boot_ctx *ctx)
{
    const char *rootflags = root_opt(ctx, ctx->cmd.rootflags, netroot_spec_options);
    bool rw = ctx->cmd.off && ctx->cmd.rw;
    unsigned long flags;
    char data[512], why[WHY_MAX] = "";
    const char *dax_opt = NULL;
    int r, dax_mode;

    if (ctx->in_root)
        return check_kernel_root(ctx);
    /* the instance disk's check runs while the base is mounted */
    instance_check_start_early(ctx);
    r = root_fstype(ctx);
    if (r < 0)
        return r;
    r = rootfs_options(ctx->root_fstype, rootflags, ctx->cmd.rw, ctx->cmd.off, &flags, data,
                       sizeof data, why, sizeof why);
    if (r < 0)
        return log_error_errno(r, "rootflags=%s cannot be used: %s", rootflags ? rootflags : "",
                               why[0] ? why : "invalid options");
    dax_mode = dax_mode_parse(ctx->cmd.dax);
    if (dax_mode < 0) {
        log_warning("sharedroot.dax=%s: use auto, always or off; using auto", ctx->cmd.dax);
        dax_mode = DAX_AUTO;
    }
    if (ctx->cmd.off)
        dax_mode = DAX_OFF; /* maintenance mounts the base as a plain boot would */
    r = root_dax_option(ctx, rootflags, dax_mode, &dax_opt);
    if (r < 0)
        return r;
    devices_load_fs(ctx, ctx->root_fstype);
    if (mkdir(ctx->sysroot, 0755) < 0 && errno != EEXIST)
        return log_error_errno(errno, "Failed to create %s: %m", ctx->sysroot);
    r = mount_root(ctx, rootflags, dax_mode, dax_opt, why, sizeof why);
    if (r < 0 && dax_mode == DAX_ALWAYS && dax_opt)
        return r; /* said */
    if (r < 0) {
        char nbd[512];
        bool over_nbd = netroot_describe(ctx, netroot_root_spec(ctx), nbd, sizeof nbd);
        return log_error_errno(
            r, "Failed to mount %s (root=%s, %s, options '%s') on %s: %s (%m)%s%s",
            ctx->root_device, netroot_root_spec(ctx), ctx->root_fstype, data, ctx->sysroot,
            why[0] ? why : "mount failed",
            over_nbd ? "; check that the export holds the whole filesystem: " : "",
            over_nbd ? nbd : "");
    }
    if (ctx->cmd.off)
        log_notice("sharedroot=off: %s mounted %s at %s for maintenance, no overlays",
                   ctx->root_device, rw ? "READ-WRITE" : "read-only", ctx->sysroot);
    else {
        char disk[PATH_MAX];
        bool part = blockdev_partition_disk(ctx->root_device, disk, sizeof disk) == 1;

        log_info("root: %s (%s) mounted read-only at %s with '%s'%s%s%s%s", ctx->root_device,
                 ctx->root_fstype, ctx->sysroot, data,
                 ctx->root_dax ? ", dax: shared in host memory" : "", part ? "; its disk " : "",
                 part ? disk : "",
                 part ? " is read-only too (every partition of the shared disk)" : "");
    }
    return 0;
}
