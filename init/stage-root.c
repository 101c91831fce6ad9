// SPDX-License-Identifier: GPL-2.0-or-later
#include "stage-root.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "blockdev.h"
#include "devices.h"
#include "log.h"
#include "rootfs.h"

static int root_fstype(struct boot_ctx *ctx)
{
    int r;

    if (ctx->cmd.rootfstype) {
        snprintf(ctx->root_fstype, sizeof ctx->root_fstype, "%s", ctx->cmd.rootfstype);
        return 0;
    }
    r = blockdev_probe_fstype(ctx->root_device, ctx->root_fstype, sizeof ctx->root_fstype);
    if (r == -ENOENT)
        return log_error_errno(r, "no filesystem found on %s (root=%s); is it the right disk? "
                                  "Set rootfstype= if the type cannot be probed",
                               ctx->root_device, ctx->cmd.root);
    if (r < 0)
        return log_error_errno(r, "Failed to probe the filesystem on %s (root=%s): %m",
                               ctx->root_device, ctx->cmd.root);
    return 0;
}

/* Filesystems and overlayfs are modules in distribution kernels; a module that does not
 * exist is fine when the code is built in, so only the mount itself decides. */
static void load_fs_module(struct boot_ctx *ctx, const char *fstype)
{
    char alias[80];
    int r;

    snprintf(alias, sizeof alias, "fs-%s", fstype);
    r = devices_load(ctx->devices, alias);
    if (r == -ENOENT)
        r = devices_load(ctx->devices, fstype);
    if (r < 0 && r != -ENOENT)
        log_warning_errno(r, "loading the module for %s failed: %m", fstype);
}

int stage_root(struct boot_ctx *ctx)
{
    bool rw = ctx->cmd.off && ctx->cmd.rw;
    unsigned long flags;
    char data[512];
    const char *why = NULL;
    int r;

    r = root_fstype(ctx);
    if (r < 0)
        return r;
    r = rootfs_options(ctx->root_fstype, ctx->cmd.rootflags, ctx->cmd.rw, ctx->cmd.off, &flags,
                       data, sizeof data, &why);
    if (r < 0)
        return log_error_errno(r, "rootflags=%s cannot be used: %s",
                               ctx->cmd.rootflags ? ctx->cmd.rootflags : "",
                               why ? why : "invalid options");
    load_fs_module(ctx, ctx->root_fstype);
    if (!ctx->cmd.off)
        load_fs_module(ctx, "overlay");
    if (mkdir(ctx->sysroot, 0755) < 0 && errno != EEXIST)
        return log_error_errno(errno, "Failed to create %s: %m", ctx->sysroot);
    r = rootfs_mount(ctx->root_device, ctx->root_fstype, ctx->cmd.rootflags, ctx->cmd.rw,
                     ctx->cmd.off, ctx->sysroot);
    if (r < 0)
        return log_error_errno(r, "Failed to mount %s (root=%s, %s, options '%s') on %s: %m; "
                                  "check rootfstype= and rootflags=",
                               ctx->root_device, ctx->cmd.root, ctx->root_fstype, data,
                               ctx->sysroot);
    if (ctx->cmd.off)
        log_notice("sharedroot=off: %s mounted %s at %s for maintenance, no overlays",
                   ctx->root_device, rw ? "READ-WRITE" : "read-only", ctx->sysroot);
    else
        log_info("root: %s (%s) mounted read-only at %s with '%s'", ctx->root_device,
                 ctx->root_fstype, ctx->sysroot, data);
    return 0;
}
