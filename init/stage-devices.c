// SPDX-License-Identifier: GPL-2.0-or-later
#include "stage-devices.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockdev.h"
#include "cleanup.h"
#include "dax.h"
#include "devfs.h"
#include "devices.h"
#include "log.h"
#include "nbd-spec.h"
#include "netroot.h"
#include "why.h"

struct spec_wait {
    struct boot_ctx *ctx;
    struct blockdev_spec spec;
    char *dev;
    size_t dev_size;
    char dup[256];
    int last_error;
};

static bool spec_ready(void *userdata)
{
    struct spec_wait *w = userdata;
    int r;

    /* Without devtmpfs nobody creates nodes for devices that appear: we do. */
    if (w->ctx->dev_is_tmpfs)
        devfs_sync("/dev", "/sys");
    r = blockdev_resolve_full(&w->spec, w->dev, w->dev_size, w->dup, sizeof w->dup);
    w->last_error = r;
    return r == 0;
}

static bool never_ready(void *userdata)
{
    (void)userdata;
    return false;
}

/* For the time-out message: what the kernel did find, so the user can correct root=. */
static void list_block_devices(char *out, size_t n)
{
    DIR *d = opendir("/sys/class/block");
    struct dirent *e;
    size_t len = 0;

    out[0] = 0;
    if (!d)
        return;
    while ((e = readdir(d)) && len + 2 < n) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, "loop", 4) == 0 ||
            strncmp(e->d_name, "ram", 3) == 0)
            continue;
        int w = snprintf(out + len, n - len, "%s%s", len ? " " : "", e->d_name);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
    closedir(d);
    if (!out[0])
        snprintf(out, n, "(none)");
}

static void devices_log(int prio, const char *msg, void *userdata)
{
    (void)userdata;
    log_full_errno(prio, 0, "devices: %s", msg);
}

int devices_wait_for_spec(struct boot_ctx *ctx, const char *what, const char *spec, char *dev,
                          size_t n)
{
    struct spec_wait w = {.ctx = ctx, .dev = dev, .dev_size = n};
    char why[WHY_MAX] = "";
    char found[512], ns[64];
    int r;

    /* the base comes from root= or netroot=; anything else on the network is an instance's */
    if (nbd_spec_is(spec))
        return netroot_attach(ctx, what, spec,
                              strcmp(what, "root") == 0 || strcmp(what, "netroot") == 0, dev, n);
    r = blockdev_spec_parse(spec, &w.spec, why, sizeof why);
    if (r < 0)
        return log_error_errno(r, "%s=%s cannot be used: %s", what, spec,
                               why[0] ? why : "malformed device spec");
    r = devices_wait(ctx->devices, ctx->cmd.timeout * 1000, spec_ready, &w);
    if (r == 0) {
        log_info("%s=%s is %s", what, spec, dev);
        return 0;
    }
    list_block_devices(found, sizeof found);
    if (w.last_error == -ENOTBLK)
        return log_error_errno(ENOTBLK,
                               "%s=%s: %s exists but is not a block device; name a "
                               "disk or partition",
                               what, spec, w.spec.value);
    if (w.last_error == -ENOTUNIQ)
        return log_error_errno(ENOTUNIQ,
                               "%s=%s matches two devices, %s and %s (a cloned "
                               "disk?); give each disk its own UUID and LABEL, or "
                               "name the device by path",
                               what, spec, dev, w.dup);
    if (dax_unmapped_namespace(NULL, ns, sizeof ns) == 1)
        return log_error_errno(ENODEV,
                               "device %s=%s did not appear within %d s (block devices "
                               "present: %s); the pmem device %s is there but the kernel could "
                               "not map it (misaligned): the image behind a virtio-pmem device "
                               "must be a multiple of 2 MiB (sharedroot-mkbase pads it; or "
                               "truncate -s to the next 2 MiB)",
                               what, spec, ctx->cmd.timeout, found, ns);
    return log_error_errno(ENODEV,
                           "device %s=%s did not appear within %d s (block devices "
                           "present: %s); check that the disk is attached and %s= "
                           "names it, or wait longer with sharedroot.timeout=SECONDS",
                           what, spec, ctx->cmd.timeout, found, what);
}

int stage_devices(struct boot_ctx *ctx)
{
    const char *root = netroot_root_spec(ctx);
    struct blockdev_spec spec;
    char why[WHY_MAX] = "";
    int r;

    if (ctx->in_root) {
        /* The kernel mounted the root; only drivers for the instance disks are needed. */
    } else if (!root) {
        return log_error_errno(EINVAL, "no root= on the kernel command line; add "
                                       "root=/dev/vda (or UUID=, LABEL=, PARTUUID=, PARTLABEL=, "
                                       "nbd:SERVER:EXPORT)");
    } else {
        r = blockdev_spec_parse(root, &spec, why, sizeof why);
        if (r < 0)
            return log_error_errno(r, "root=%s cannot be used: %s", root,
                                   why[0] ? why : "malformed device spec");
    }

    /* the log first: a malformed module plan is reported while it is read */
    r = devices_new_logged(&ctx->devices, ctx->moddir, devices_log, NULL);
    if (r < 0)
        return log_error_errno(r, "Failed to set up device discovery (module plan, libudev): %m");
    if (ctx->coldplug) {
        r = devices_coldplug(ctx->devices);
        if (r < 0)
            log_warning_errno(r, "coldplug incomplete: %m; waiting for the root device anyway");
        else
            log_info("coldplug: %d modules loaded for present devices", r);
    }
    r = netroot_devices(ctx);
    if (r < 0 || ctx->in_root)
        return r;
    if (ctx->cmd.rootdelay > 0) {
        log_info("rootdelay=%d: waiting %d s before looking for the root device",
                 ctx->cmd.rootdelay, ctx->cmd.rootdelay);
        devices_wait(ctx->devices, ctx->cmd.rootdelay * 1000, never_ready, NULL);
    }
    return devices_wait_for_spec(ctx, "root", root, ctx->root_device, sizeof ctx->root_device);
}

/* Filesystems and overlayfs are modules in distribution kernels; a module that does not
 * exist is fine when the code is built in, so only the mount itself decides. */
void devices_load_fs(struct boot_ctx *ctx, const char *fstype)
{
    char alias[80];
    int r;

    snprintf(alias, sizeof alias, "fs-%s", fstype);
    r = devices_load(ctx->devices, alias);
    if (r == -ENOENT)
        r = devices_load(ctx->devices, fstype);
    if (r < 0 && r != -ENOENT)
        log_warning_errno(r, "loading the module for %s failed: %m", fstype);
    /* FAT asks the kernel's module helper for its code page and charset at mount time, and
     * there is no modprobe in the initramfs: load the kernel's defaults (437, ascii/utf8)
     * now, so that the mount (and our message about what is wrong) gets that far. */
    if (strcmp(fstype, "vfat") == 0 || strcmp(fstype, "msdos") == 0) {
        devices_load(ctx->devices, "nls_cp437");
        devices_load(ctx->devices, "nls_ascii");
        devices_load(ctx->devices, "nls_utf8");
    }
}

int devices_explain_partitioned(struct boot_ctx *ctx, const char *what, const char *spec,
                                const char *dev, const char *is_for)
{
    _cleanup_free_ struct blockdev_ptable *pt = malloc(sizeof *pt);
    const struct blockdev_part *pick;
    bool is_key = !strchr(what, ' ');
    char named[PATH_MAX + 300], fix[512], desc[400];

    if (!pt)
        return 0;
    /* without devtmpfs the partitions' nodes are ours to make */
    if (ctx->dev_is_tmpfs)
        devfs_sync("/dev", "/sys");
    if (blockdev_probe_ptable(dev, pt) < 0)
        return 0;
    snprintf(named, sizeof named, "%s (%s%s%s)", dev, what, is_key ? "=" : ": ", spec);
    if (pt->n == 0)
        return log_error_errno(ENOENT,
                               "%s holds a %s partition table, not a filesystem, and the kernel "
                               "found no partitions in it (an empty table, or one this kernel "
                               "cannot read); name the disk or partition that holds %s",
                               named, pt->type, is_for);
    log_error("%s holds a %s partition table, not a filesystem; the kernel found %zu "
              "partition%s on it:",
              named, pt->type, pt->n + pt->n_more, pt->n + pt->n_more == 1 ? "" : "s");
    for (size_t i = 0; i < pt->n; i++) {
        blockdev_part_describe(&pt->parts[i], desc, sizeof desc);
        log_error("  %s: %s", pt->parts[i].node, desc);
    }
    if (pt->n_more)
        log_error("  (and %zu more)", pt->n_more);
    pick = blockdev_ptable_pick(pt);
    if (!pick)
        return log_error_errno(ENOENT,
                               "%s: none of its partitions holds a filesystem; name the "
                               "partition that holds %s",
                               named, is_for);
    blockdev_part_specs(pick, is_key ? what : NULL, fix, sizeof fix);
    return log_error_errno(ENOENT,
                           "%s holds a %s partition table: name the partition that holds "
                           "%s, e.g. %s (%s)",
                           named, pt->type, is_for, fix, pick->fstype);
}
