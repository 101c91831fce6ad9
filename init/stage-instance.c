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
#include "cleanup.h"
#include "devices.h"
#include "fsck.h"
#include "instance.h"
#include "log.h"
#include "nbd-spec.h"
#include "netroot.h"
#include "rootfs.h"
#include "stage-devices.h"
#include "stage.h"

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

/* Report what a finished check found (r: instcheck_finish's), as the instance stage always
 * has: a refusal or an fsck that failed stops here, before anything is mounted read-write. */
static int report_check(const char *what, const struct instcheck *c, int r)
{
    if (r < 0)
        return log_error_errno(r, "%s: %s is not mounted read-write: %s", what, c->dev, c->why);
    switch (c->look) {
    case LOOK_NOT_TRIED: /* only a check without a type stops there: not ours */
        return log_error_errno(EIO, "%s: %s was not checked", what, c->dev);
    case LOOK_NO_TARGET:
        return log_error_errno(c->look_err, "Failed to create %s: %m", c->target);
    case LOOK_REFUSED:
        return log_error_errno(c->look_err, "%s (%s): %s; nothing was written to %s", what, c->dev,
                               c->why, c->dev);
    case LOOK_UNMOUNTABLE:
        log_full_errno(LOG_INFO, c->look_err,
                       "%s: %s (%s) cannot be mounted read-only for a first "
                       "look (%m); fsck decides",
                       what, c->dev, c->type);
        break;
    case LOOK_SKIPPED:
    case LOOK_FINE:
        break;
    }
    if (c->fsck == INSTCHECK_FSCK_NOT_RUN)
        return 0;
    if (c->fsck == -ENOENT) {
        log_info("%s: no fsck for %s in the initramfs; mounting %s without a check", what, c->type,
                 c->dev);
        return 0;
    }
    if (c->fsck < 0)
        return log_error_errno(c->fsck, "%s: %s is not mounted read-write: %s", what, c->dev,
                               c->fsck == -EUCLEAN ? c->why : strerror(-c->fsck));
    log_info("%s: fsck of %s (%s) clean", what, c->dev, c->type);
    return 0;
}

/* The check of dev, run now (in a child, waited for). */
static int check_now(const char *what, const char *dev, const char *type, const char *target,
                     int passno, enum instance_inspect inspect)
{
    _cleanup_free_ struct instcheck *c = malloc(sizeof *c);
    int r;

    if (!c)
        return log_error_errno(ENOMEM, "%s: cannot check %s: %m", what, dev);
    instcheck_init(c, dev, type, target, passno, inspect);
    r = instcheck_start(c);
    if (r < 0)
        return log_error_errno(r, "%s: cannot start the check of %s: %m", what, dev);
    return report_check(what, c, instcheck_finish(c, FSCK_TIMEOUT_S));
}

/* The early check (instance_check_start_early) when it is the check of this filesystem (the
 * same device, mount point, fsck pass and look, its type probed), finished (*r: how), and taken
 * from ctx; else NULL, and an early check of something else, or one that stopped before its
 * look (no type, no driver yet), is ended: the caller checks now. */
static struct instcheck *take_early_check(struct boot_ctx *ctx, const char *dev, const char *fstype,
                                          const char *target, int passno,
                                          enum instance_inspect inspect, int *r)
{
    struct instcheck *c = ctx->early_check;

    if (!c)
        return NULL;
    if (strcmp(c->dev, dev) != 0 || strcmp(c->target, target) != 0 || c->passno != passno ||
        c->inspect != inspect || (fstype && *fstype && strcmp(fstype, "auto") != 0)) {
        instance_check_early_end(ctx);
        return NULL;
    }
    ctx->early_check = NULL;
    *r = instcheck_finish(c, FSCK_TIMEOUT_S);
    if (*r == 0 && c->look == LOOK_NOT_TRIED) {
        log_debug("instance: the early check of %s stopped before its look (%s)", dev,
                  strerror(c->look_err));
        free(c);
        return NULL;
    }
    return c;
}

int mount_instance_device(struct boot_ctx *ctx, const char *what, const char *spec,
                          const char *fstype, const char *options, int passno, const char *target,
                          char *dev, size_t dev_size, enum instance_inspect inspect)
{
    _cleanup_free_ struct instcheck *early = NULL;
    char type[64];
    unsigned long flags;
    char *data = NULL;
    int r, early_r = 0;

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
    early = take_early_check(ctx, dev, fstype, target, passno, inspect, &early_r);
    if (early) {
        snprintf(type, sizeof type, "%s", early->type); /* probed by the check */
    } else if (fstype && *fstype && strcmp(fstype, "auto") != 0) {
        snprintf(type, sizeof type, "%s", fstype);
    } else {
        r = blockdev_probe_fstype(dev, type, sizeof type);
        /* a partitioned disk is no blank disk: never suggest mkfs on it */
        if (r == -ENOENT &&
            devices_explain_partitioned(ctx, what, spec, dev, "the instance filesystem") < 0)
            return r; /* said */
        if (r == -ENOENT)
            return log_error_errno(r,
                                   "%s=%s: %s holds no filesystem. sharedroot never creates "
                                   "one: make it from the host, e.g. mkfs.ext4 -L instance "
                                   "%s (that erases the disk)",
                                   what, spec, dev, dev);
        if (r < 0)
            return log_error_errno(r, "%s=%s: cannot probe %s: %m", what, spec, dev);
    }
    if (early) {
        r = report_check(what, early, early_r);
    } else {
        devices_load_fs(ctx, type);
        r = check_now(what, dev, type, target, passno, inspect);
    }
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

/* sharedroot.instance= names the one device from the command line (no layout file, which may
 * come from the base), a local disk whose node the kernel makes (devtmpfs), and nothing runs
 * between the root stage and the instance stage that could touch the disk while it is
 * checked, or after (a break point or hooks after the root stage; a failure's shell ends the
 * check first, see stage.c). */
bool instance_check_may_start_early(const struct boot_ctx *ctx)
{
    return !ctx->early_check && !ctx->cmd.off && ctx->cmd.instance && !ctx->cmd.layout &&
           !ctx->in_root && !ctx->dev_is_tmpfs && !nbd_spec_is(ctx->cmd.instance) &&
           !stage_break_wanted(ctx->cmd.breaks, STAGE_ROOT) && !stage_has_hooks(ctx, STAGE_ROOT);
}

/* The instance filesystem as the instance stage will take it (layout_from_instance): its
 * device, if it exists already (the type is probed by the check itself, in its child). 0, or
 * -errno when it cannot be told now (the instance stage then says why, or waits for the
 * device). */
static int early_check_target(struct boot_ctx *ctx, struct instcheck *c)
{
    struct layout l;
    struct blockdev_spec spec;
    char err[1024], dev[256];
    const struct layout_entry *part = NULL;
    bool uppers = false;
    int r;

    r = layout_from_instance(ctx->cmd.instance, ctx->cmd.overlays, &l, err, sizeof err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < l.n; i++) {
        if (l.entries[i].kind == LAYOUT_PART && !part)
            part = &l.entries[i];
        else if (l.entries[i].kind == LAYOUT_OVERLAY)
            uppers = true;
    }
    r = -EINVAL;
    if (part && (!part->fstype || strcmp(part->fstype, "auto") == 0) &&
        blockdev_spec_parse(part->source, &spec, err, sizeof err) == 0 &&
        blockdev_resolve_full(&spec, dev, sizeof dev, NULL, 0) == 0) {
        instcheck_init(c, dev, NULL, part->target, part->passno,
                       uppers ? INSPECT_UPPER : INSPECT_CLAIM);
        r = 0;
    }
    layout_free(&l);
    return r;
}

void instance_check_start_early(struct boot_ctx *ctx)
{
    _cleanup_free_ struct instcheck *c = NULL;
    int r;

    if (!instance_check_may_start_early(ctx))
        return;
    /* On one CPU the check cannot run beside the root stage, only take turns with it: under
     * TCG it made the boot slower (docs/performance.md, "The instance check off the critical
     * path"): the forked PID 1's pages are copied on write while both run. */
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return;
    c = malloc(sizeof *c);
    if (!c || early_check_target(ctx, c) < 0)
        return;
    if (mkdir(SHAREDROOT_RUN, 0755) < 0 && errno != EEXIST)
        return;
    r = instcheck_start(c);
    if (r < 0) {
        log_debug("instance: the check of %s cannot start early (%s); it runs in the instance "
                  "stage",
                  c->dev, strerror(-r));
        return;
    }
    log_info("instance: checking %s while the base is mounted", c->dev);
    ctx->early_check = TAKE_PTR(c);
}

void instance_check_early_end(struct boot_ctx *ctx)
{
    _cleanup_free_ struct instcheck *c = TAKE_PTR(ctx->early_check);

    if (c && instcheck_running(c)) {
        log_debug("instance: waiting for the early check of %s; the instance stage checks "
                  "it again",
                  c->dev);
        instcheck_finish(c, FSCK_TIMEOUT_S);
    }
}

static bool layout_has_overlays(const struct layout *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->entries[i].kind == LAYOUT_OVERLAY)
            return true;
    return false;
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
    /* overlayfs is a module in distribution kernels: loaded here, where it overlaps the check
     * of the instance disk when that runs (instance_check_start_early), not at the overlay
     * stage, where nothing else waits */
    if (layout_has_overlays(&ctx->layout))
        devices_load_fs(ctx, "overlay");
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
