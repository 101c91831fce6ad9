// SPDX-License-Identifier: GPL-2.0-or-later
#include "stage-overlay.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hostname.h"
#include "instance.h"
#include "log.h"
#include "overlay.h"
#include "stage-devices.h"

/* Upper and work dirs are created inside their instance partition, never through a symlink
 * the guest may have planted there. */
static int make_dir_on_part(struct boot_ctx *ctx, const char *dir)
{
    const struct layout_entry *part = layout_part_for(&ctx->layout, dir);
    size_t n;
    int r;

    if (!part)
        return log_error_errno(EINVAL, "%s is not on an instance partition", dir);
    n = strlen(part->target);
    if (dir[n] == 0)
        return 0;
    r = instance_mkdirs(part->target, dir + n + 1, 0755);
    if (r < 0)
        return log_error_errno(r, "Failed to create %s on the instance storage: %m%s", dir,
                               r == -ELOOP    ? " (a symlink is in the way)"
                               : r == -ENOSPC ? " (the instance filesystem is full)"
                                              : "");
    return 0;
}

/* Every overlay's upper and work dir exist, and no two overlays share or nest them, as the
 * kernel will see them (the layout's paths were checked; this also catches one filesystem
 * mounted twice, or a symlink). */
static int prepare_dirs(struct boot_ctx *ctx)
{
    const char *own[2 * LAYOUT_MAX_ENTRIES], *lowers[LAYOUT_MAX_ENTRIES];
    size_t n_own = 0, n_lowers = 0;
    char why[8192];
    struct stat st;
    int r;

    for (size_t i = 0; i < ctx->layout.n; i++) {
        const struct layout_entry *e = &ctx->layout.entries[i];
        if (e->kind != LAYOUT_OVERLAY)
            continue;
        r = make_dir_on_part(ctx, e->upper);
        if (r == 0)
            r = make_dir_on_part(ctx, e->work);
        if (r < 0)
            return r;
        own[n_own++] = e->upper;
        own[n_own++] = e->work;
        /* a missing lower dir is overlay_mount's to report, naming the overlay */
        if (stat(e->lower, &st) == 0 && S_ISDIR(st.st_mode))
            lowers[n_lowers++] = e->lower;
    }
    r = overlay_check_separate(own, n_own, lowers, n_lowers, why, sizeof why);
    if (r < 0)
        return log_error_errno(r, "overlays: %s; nothing was mounted", why);
    return 0;
}

static int mount_one(struct boot_ctx *ctx, const struct layout_entry *e)
{
    char target[PATH_MAX], why[8192];
    int r;

    snprintf(target, sizeof target, "%s%s", strcmp(ctx->sysroot, "/") == 0 ? "" : ctx->sysroot,
             e->target);
    r = overlay_mount(target, e->lower, e->upper, e->work, e->options, why, sizeof why);
    if (r == -ENOSPC) {
        const struct layout_entry *part = layout_part_for(&ctx->layout, e->upper);
        return log_error_errno(r,
                               "overlay %s: the instance filesystem at %s is full and "
                               "overlayfs needs a little free space in its work dir %s to "
                               "mount; free space on it from the emergency shell (e.g. "
                               "delete files below %s/tmp), then leave the shell to retry "
                               "(%s)",
                               e->target, part ? part->target : "?", e->work,
                               part ? part->target : "?", why);
    }
    if (r < 0)
        return log_error_errno(r, "overlay %s: %s", e->target, why);
    log_info("overlay %s: lower %s, upper %s", e->target, e->lower, e->upper);
    return 0;
}

int stage_overlay(struct boot_ctx *ctx)
{
    unsigned n = 0;

    if (ctx->mode == MODE_OFF) {
        hostname_apply(ctx);
        return 0;
    }
    int r = prepare_dirs(ctx);
    if (r < 0)
        return r;
    for (size_t i = 0; i < ctx->layout.n; i++) {
        if (ctx->layout.entries[i].kind != LAYOUT_OVERLAY)
            continue;
        r = mount_one(ctx, &ctx->layout.entries[i]);
        if (r < 0)
            return r;
        n++;
    }
    log_info("%u overlays mounted (%s)", n,
             ctx->mode == MODE_VOLATILE ? "volatile: changes are lost at shutdown" : "persistent");
    /* the instance's /etc is in place now: a fresh one gets its name */
    hostname_apply(ctx);
    return 0;
}
