// SPDX-License-Identifier: GPL-2.0-or-later
#include "stage-devices.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "blockdev.h"
#include "devices.h"
#include "log.h"

struct root_wait {
    struct boot_ctx *ctx;
    struct blockdev_spec spec;
    int last_error;
};

static bool root_ready(void *userdata)
{
    struct root_wait *w = userdata;
    int r = blockdev_resolve(&w->spec, w->ctx->root_device, sizeof w->ctx->root_device);

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

static int wait_for_root(struct boot_ctx *ctx, struct root_wait *w)
{
    int r;
    char found[512];

    if (ctx->cmd.rootdelay > 0) {
        log_info("rootdelay=%d: waiting %d s before looking for the root device",
                 ctx->cmd.rootdelay, ctx->cmd.rootdelay);
        devices_wait(ctx->devices, ctx->cmd.rootdelay * 1000, never_ready, NULL);
    }
    r = devices_wait(ctx->devices, ctx->cmd.timeout * 1000, root_ready, w);
    if (r == 0)
        return 0;
    list_block_devices(found, sizeof found);
    if (w->last_error == -ENOTBLK)
        return log_error_errno(ENOTBLK, "root=%s: %s exists but is not a block device; "
                                        "name a disk or partition",
                               ctx->cmd.root, w->spec.value);
    return log_error_errno(ENODEV, "root device root=%s did not appear within %d s (block "
                                   "devices present: %s); check that the disk is attached "
                                   "and root= names it, or wait longer with "
                                   "sharedroot.timeout=SECONDS",
                           ctx->cmd.root, ctx->cmd.timeout, found);
}

int stage_devices(struct boot_ctx *ctx)
{
    struct root_wait w = {.ctx = ctx};
    const char *why = NULL;
    int r;

    if (!ctx->cmd.root)
        return log_error_errno(EINVAL, "no root= on the kernel command line; add "
                                       "root=/dev/vda (or UUID=, LABEL=, PARTUUID=, PARTLABEL=)");
    r = blockdev_spec_parse(ctx->cmd.root, &w.spec, &why);
    if (r < 0)
        return log_error_errno(r, "root=%s cannot be used: %s", ctx->cmd.root,
                               why ? why : "malformed device spec");

    r = devices_new(&ctx->devices, ctx->moddir);
    if (r < 0)
        return log_error_errno(r, "Failed to set up device discovery (libkmod, libudev): %m");
    devices_set_log(ctx->devices, devices_log, NULL);
    if (ctx->coldplug) {
        r = devices_coldplug(ctx->devices);
        if (r < 0)
            log_warning_errno(r, "coldplug incomplete: %m; waiting for the root device anyway");
        else
            log_info("coldplug: %d modules loaded for present devices", r);
    }
    r = wait_for_root(ctx, &w);
    if (r < 0)
        return r;
    log_info("root device %s is %s", ctx->cmd.root, ctx->root_device);
    return 0;
}
