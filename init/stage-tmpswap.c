// SPDX-License-Identifier: GPL-2.0-or-later
#include "stage-tmpswap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instance.h"
#include "log.h"
#include "stage-devices.h"
#include "stage-instance.h"
#include "swap.h"
#include "tmpdir.h"

static const struct layout_entry *find_kind(const struct layout *l, enum layout_kind k)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->entries[i].kind == k)
            return &l->entries[i];
    return NULL;
}

/* The instance partition that holds the instance's own tmp and swap file: the one of
 * sharedroot.instance=, or the first partition of a layout. */
static const char *instance_dir(struct boot_ctx *ctx)
{
    const struct layout_entry *p = find_kind(&ctx->layout, LAYOUT_PART);
    return p ? p->target : NULL;
}

/* /tmp is the "tmp" directory of a filesystem of ours, emptied and bound on the guest's /tmp:
 * the marker at the filesystem's top stays out of the guest's reach. */
static int tmp_from(struct boot_ctx *ctx, const char *fs_dir, const char *target, const char *desc)
{
    char dir[PATH_MAX];
    int r = instance_mkdirs(fs_dir, "tmp", 01777);

    if (r < 0)
        return log_error_errno(r, "Failed to create %s/tmp: %m", fs_dir);
    snprintf(dir, sizeof dir, "%s/tmp", fs_dir);
    r = tmp_clean(dir);
    if (r < 0)
        log_warning_errno(r, "/tmp: cleaning %s was incomplete: %m", dir);
    r = tmp_bind(dir, target);
    if (r < 0)
        return log_error_errno(r, "Failed to bind %s on %s: %m", dir, target);
    snprintf(ctx->tmp_desc, sizeof ctx->tmp_desc, "%s", desc);
    log_info("/tmp: %s, cleaned at boot", desc);
    return 0;
}

static int tmp_on_instance(struct boot_ctx *ctx, const char *target)
{
    const char *inst = instance_dir(ctx);
    char desc[PATH_MAX + 32];

    if (!inst)
        return log_error_errno(EINVAL, "sharedroot.tmp=instance needs instance storage "
                                       "(sharedroot.instance= or a layout)");
    snprintf(desc, sizeof desc, "instance:%s/tmp", inst);
    return tmp_from(ctx, inst, target, desc);
}

/* A /tmp device is emptied at every boot, so only a filesystem that is empty or already ours
 * (the marker) is used: a wrong device name must not wipe someone's data. */
static int tmp_on_device(struct boot_ctx *ctx, const char *what, const char *spec,
                         const struct layout_entry *e, const char *target)
{
    static const char mnt[] = SHAREDROOT_RUN "/tmp-device";
    char dev[256], why[1024], desc[300];
    int r = mount_instance_device(ctx, what, spec, e ? e->fstype : NULL, e ? e->options : NULL,
                                  e ? e->passno : 2, mnt, dev, sizeof dev, INSPECT_CLAIM);
    if (r < 0)
        return r;
    r = instance_claim(mnt, why, sizeof why);
    if (r < 0) {
        umount2(mnt, MNT_DETACH);
        return log_error_errno(r, "%s (%s): %s", what, dev, why);
    }
    snprintf(desc, sizeof desc, "device:%s", dev);
    return tmp_from(ctx, mnt, target, desc);
}

static int prepare_tmp(struct boot_ctx *ctx)
{
    const struct layout_entry *e = find_kind(&ctx->layout, LAYOUT_TMP);
    const char *mode = ctx->cmd.tmp;
    char target[PATH_MAX];
    struct stat st;
    int r;

    if (!mode)
        mode = e ? "layout" : ctx->mode == MODE_VOLATILE ? "tmpfs" : "instance";
    if (strcmp(mode, "keep") == 0) {
        snprintf(ctx->tmp_desc, sizeof ctx->tmp_desc, "keep");
        return 0;
    }
    snprintf(target, sizeof target, "%s/tmp", strcmp(ctx->sysroot, "/") == 0 ? "" : ctx->sysroot);
    if (lstat(target, &st) < 0 || !S_ISDIR(st.st_mode)) {
        log_warning("/tmp: the base image has no /tmp directory; nothing mounted there");
        return 0;
    }
    if (strcmp(mode, "tmpfs") == 0) {
        r = tmp_mount_tmpfs(target);
        if (r < 0)
            return log_error_errno(r, "Failed to mount tmpfs on %s: %m", target);
        snprintf(ctx->tmp_desc, sizeof ctx->tmp_desc, "tmpfs");
        return 0;
    }
    if (strcmp(mode, "instance") == 0)
        return tmp_on_instance(ctx, target);
    if (strcmp(mode, "layout") == 0)
        return tmp_on_device(ctx, "layout /tmp", e->source, e, target);
    return tmp_on_device(ctx, "sharedroot.tmp", mode, NULL, target);
}

/* swapon, and name what is active in the state file. */
static int activate_swap(struct boot_ctx *ctx, const char *path)
{
    int r = swap_on(path);
    if (r < 0)
        return log_warning_errno(r, "swap: swapon %s failed: %m; continuing without swap", path), 0;
    snprintf(ctx->swap_desc, sizeof ctx->swap_desc, "%s", path);
    log_info("swap: %s active", path);
    return 0;
}

static int swap_device(struct boot_ctx *ctx, const char *what, const char *spec)
{
    char dev[256], why[1024];
    int r = devices_wait_for_spec(ctx, what, spec, dev, sizeof dev);

    if (r < 0)
        return r;
    r = swap_check_target(dev, why, sizeof why);
    if (r == -ENOENT && ctx->cmd.mkswap) {
        r = swap_mkswap_full(dev, true, NULL, 0, why, sizeof why);
        if (r < 0)
            return log_warning_errno(r, "swap: mkswap on %s failed: %s; continuing without swap",
                                     dev, why),
                   0;
        log_notice("swap: initialised %s with mkswap (sharedroot.mkswap)", dev);
    } else if (r == -ENOENT) {
        return log_warning("swap: %s (%s=%s) has no swap signature; add sharedroot.mkswap to "
                           "initialise it; continuing without swap",
                           dev, what, spec),
               0;
    } else if (r < 0) {
        return log_warning("swap: refusing %s (%s=%s): %s; nothing was written to it; "
                           "continuing without swap",
                           dev, what, spec, why),
               0;
    }
    return activate_swap(ctx, dev);
}

static int swap_file(struct boot_ctx *ctx, const char *size)
{
    const char *inst = instance_dir(ctx);
    char path[PATH_MAX], why[1024];
    unsigned long long bytes;
    int r;

    if (!inst || ctx->mode == MODE_VOLATILE)
        return log_warning("swap: sharedroot.swap=file:%s needs instance storage; continuing "
                           "without swap",
                           size),
               0;
    if (swap_parse_size(size, &bytes) < 0)
        return log_warning("swap: sharedroot.swap=file:%s: not a size (e.g. 512M, 1G, 40K at "
                           "least); continuing without swap",
                           size),
               0;
    snprintf(path, sizeof path, "%s/swapfile", inst);
    if (access(path, F_OK) != 0) {
        if (!ctx->cmd.mkswap)
            return log_warning("swap: %s does not exist; add sharedroot.mkswap to create it; "
                               "continuing without swap",
                               path),
                   0;
        r = swap_create_file(path, bytes);
        if (r == 0)
            r = swap_mkswap_full(path, true, NULL, 0, why, sizeof why);
        if (r < 0)
            return log_warning_errno(r, "swap: creating %s failed: %m; continuing without swap",
                                     path),
                   0;
        log_notice("swap: created %s (%s)", path, size);
    }
    r = swap_check_target(path, why, sizeof why);
    if (r < 0)
        return log_warning("swap: %s is not a swap file (%s); continuing without swap", path, why),
               0;
    return activate_swap(ctx, path);
}

/* Swap is an optimisation: a problem with it is reported and the boot goes on. */
static int prepare_swap(struct boot_ctx *ctx)
{
    const char *s = ctx->cmd.swap;

    if (s && strcmp(s, "none") == 0)
        return 0;
    if (s && strncmp(s, "file:", 5) == 0)
        return swap_file(ctx, s + 5);
    if (s)
        return swap_device(ctx, "sharedroot.swap", s);
    for (size_t i = 0; i < ctx->layout.n; i++)
        if (ctx->layout.entries[i].kind == LAYOUT_SWAP) {
            int r = swap_device(ctx, "layout swap", ctx->layout.entries[i].source);
            if (r < 0)
                log_warning("swap: %s not used; continuing", ctx->layout.entries[i].source);
        }
    return 0;
}

int stage_tmp_swap(struct boot_ctx *ctx)
{
    int r;

    if (ctx->mode == MODE_OFF)
        return 0;
    r = prepare_tmp(ctx);
    if (r < 0)
        return r;
    return prepare_swap(ctx);
}
