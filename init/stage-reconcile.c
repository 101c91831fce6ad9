// SPDX-License-Identifier: GPL-2.0-or-later
#include "stage-reconcile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "instance.h"
#include "log.h"
#include "reconcile.h"

static int policy_of(struct boot_ctx *ctx, enum rc_policy *policy, bool *off)
{
    const char *p = ctx->cmd.reconcile ? ctx->cmd.reconcile : "safe";

    *off = strcmp(p, "off") == 0;
    if (*off)
        return 0;
    if (rc_policy_from_name(p, policy) < 0) {
        log_warning("sharedroot.reconcile=%s: use off, report, safe or merge; using safe", p);
        *policy = RC_POLICY_SAFE;
    }
    if (*policy == RC_POLICY_MERGE && !rc_merge_available()) {
        log_warning("sharedroot.reconcile=merge: this initramfs has no libgit2 for line merges "
                    "(build it with sharedroot-mkinitramfs --with-merge); using safe");
        *policy = RC_POLICY_SAFE;
    }
    return 0;
}

int reconcile_store_path(const struct layout *l, const struct layout_entry *e, char *store,
                         size_t n, char *rel, size_t reln, const char **part_dir)
{
    const struct layout_entry *part = layout_part_for(l, e->upper);
    char name[256];
    int r = layout_dir_name(e->target, name, sizeof name);

    *part_dir = part ? part->target : SHAREDROOT_INSTANCE;
    if (r < 0)
        return r;
    if ((size_t)snprintf(rel, reln, "reconcile/%s", name) >= reln ||
        (size_t)snprintf(store, n, "%s/%s", *part_dir, rel) >= n)
        return -ENAMETOOLONG;
    return 0;
}

/* The store lives next to the upper, on the same instance partition (and the state file
 * names it for overlay-reconcile --report). Made once per overlay (*made: 0 not yet, 1 made,
 * negative errno), shared by the reset step and the reconcile step. */
static int store_for(struct boot_ctx *ctx, const struct layout_entry *e, char *store, size_t n,
                     int *made)
{
    char rel[PATH_MAX];
    const char *part_dir;
    int r;

    if (!layout_part_for(&ctx->layout, e->upper))
        return -EINVAL;
    r = reconcile_store_path(&ctx->layout, e, store, n, rel, sizeof rel, &part_dir);
    if (r < 0)
        return r;
    if (*made == 0)
        *made = (r = instance_mkdirs(part_dir, rel, 0700)) < 0 ? r : 1;
    return *made < 0 ? *made : 0;
}

/* mkdir -p of the upper (a first boot has none yet), from the partition's mount point when
 * the upper is below it (that dir and those above it are this init's own) */
static int make_upper(const char *part_dir, const char *upper)
{
    size_t n = strlen(part_dir);
    if (part_dir[0] == '/' && part_dir[1] && strncmp(upper, part_dir, n) == 0 && upper[n] == '/')
        return instance_mkdirs(part_dir, upper + n + 1, 0755);
    return instance_mkdirs("/", upper + 1, 0755);
}

/* Keep what the policy changed in overlay dir, said once, plainly, in the state file. */
static void remember_applied(struct boot_ctx *ctx, const char *dir, const struct rc_report *rep)
{
    struct reconciled *nv = reallocarray(ctx->reconciled, ctx->n_reconciled + 1, sizeof *nv);
    if (!nv)
        return;
    ctx->reconciled = nv;
    char *applied = rc_report_applied_text(rep);
    nv[ctx->n_reconciled] = (struct reconciled){strdup(dir), applied ? applied : strdup("")};
    if (nv[ctx->n_reconciled].dir && nv[ctx->n_reconciled].applied)
        ctx->n_reconciled++;
    else {
        free(nv[ctx->n_reconciled].dir);
        free(nv[ctx->n_reconciled].applied);
    }
}

const char *reconcile_applied(const struct boot_ctx *ctx, const char *dir)
{
    for (size_t i = 0; i < ctx->n_reconciled; i++)
        if (strcmp(ctx->reconciled[i].dir, dir) == 0)
            return ctx->reconciled[i].applied;
    return NULL;
}

const char *reconcile_ignore_list(const struct boot_ctx *ctx)
{
    return ctx->cmd.reconcile_ignore ? ctx->cmd.reconcile_ignore : RC_IGNORE_DEFAULT;
}

/* Where the console sends the admin: overlay-reconcile in the guest, when the base has it. */
static const char *report_hint(const struct boot_ctx *ctx)
{
    static const char *const where[] = {"usr/sbin", "usr/local/sbin", "sbin",
                                        "usr/bin",  "usr/local/bin",  "bin"};
    char p[PATH_MAX];
    struct stat st;
    for (size_t i = 0; i < sizeof where / sizeof *where; i++) {
        snprintf(p, sizeof p, "%s/%s/overlay-reconcile", ctx->sysroot, where[i]);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            return "run overlay-reconcile --report";
    }
    return "this base has no overlay-reconcile to run: see INSTALLING IN A GUEST in "
           "overlay-reconcile(8), or run it on Dom0";
}

static void log_record(const char *dir, const struct rc_record_result *rec, int r)
{
    if (r < 0)
        log_warning("reconcile %s: recording the base failed: %s", dir, rec->why);
    else if (rec->skipped) {
        char how[160];
        rc_fp_evidence_text(&rec->fp, how, sizeof how);
        log_info("reconcile %s: base unchanged since the last boot (%s)", dir, how);
    } else if (rec->same_content)
        log_info("reconcile %s: base recorded: the same content as the last record (its stat "
                 "evidence changed, or the record is of an older release)",
                 dir);
    else
        log_info("reconcile %s: base recorded", dir);
}

/* What the guest asked for with sharedroot-instance reset --next-boot: its versions of those
 * paths go to the store's backups, before anything else looks at the upper. Done whatever
 * the policy (an admin's explicit request), said on the console. */
static void reset_requested(struct boot_ctx *ctx, const struct layout_entry *e, int *made)
{
    const struct layout_entry *part = layout_part_for(&ctx->layout, e->upper);
    /* the base is known here: a path inside an opaque dir shows the base's version, and the
     * rest of what the dir hid stays hidden */
    struct rc_overlay ov = {.name = e->target,
                            .lower = e->lower,
                            .upper = e->upper,
                            .root = part ? part->target : SHAREDROOT_INSTANCE};
    struct rc_reset_result res;
    char store[PATH_MAX], list[512] = "";
    size_t len = 0;
    struct stat st;

    if (store_for(ctx, e, store, sizeof store, made) < 0)
        return;
    ov.store = store;
    if (stat(e->lower, &st) < 0 || !S_ISDIR(st.st_mode))
        ov.lower = NULL; /* a base without the dir: the plain resets still go */
    int r = rc_reset_pending(&ov, NULL, &res);
    if (r < 0)
        log_warning("reconcile %s: the reset asked for by sharedroot-instance reset --next-boot "
                    "failed: %s; it is tried again at the next boot",
                    e->target, res.why);
    for (size_t i = 0; r > 0 && i < res.n_done && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", res.done[i]);
    _cleanup_free_ char *changes = r > 0 ? rc_reset_changes_text(&res, "") : NULL;
    if (r > 0 && res.resumed)
        log_console("reconcile %s: an interrupted reset (or apply) was finished first", e->target);
    if (r > 0 && res.n_done)
        log_console("reconcile %s: reset as asked (sharedroot-instance reset --next-boot): %s; "
                    "the old versions are in %s/backups/%s%s%s",
                    e->target, list, store, res.run, changes ? "; " : "", changes ? changes : "");
    else if (r > 0)
        log_console("reconcile %s: reset as asked: nothing of it was left to reset", e->target);
    rc_reset_result_done(&res);
}

static struct rc_report *reconcile_one(struct boot_ctx *ctx, const struct layout_entry *e,
                                       enum rc_policy policy, int *made)
{
    struct rc_options opts = {.ignore = reconcile_ignore_list(ctx)};
    struct rc_record_result rec = {0};
    const struct layout_entry *part = layout_part_for(&ctx->layout, e->upper);
    /* Nothing on the instance disk is trusted: the upper and the store are resolved below
     * the partition's mount point without following a symlink (rc_open_typed). */
    struct rc_overlay ov = {.name = e->target,
                            .lower = e->lower,
                            .upper = e->upper,
                            .root = part ? part->target : SHAREDROOT_INSTANCE};
    struct rc_report *rep = NULL;
    char store[PATH_MAX], line[512];
    int r;

    r = store_for(ctx, e, store, sizeof store, made);
    if (r < 0) {
        log_warning_errno(r, "reconcile %s: cannot create the record store: %m; skipped",
                          e->target);
        return NULL;
    }
    ov.store = store;
    r = make_upper(ov.root, e->upper);
    if (r < 0)
        log_debug("reconcile %s: upper %s: %s", e->target, e->upper, strerror(-r));
    /* The base is recorded at every boot (a stat walk when unchanged): the merge base of a
     * host file is the newest record older than the file. A policy that applies records it
     * itself, after finishing an interrupted apply and before writing anything. */
    if (policy == RC_POLICY_REPORT)
        log_record(e->target, &rec, rc_record(&ov, &rec));
    r = rc_reconcile(&ov, policy, &opts, &rep);
    if (r < 0 && !rep) {
        log_warning_errno(r, "reconcile %s failed: %m; the overlay is mounted as it is", e->target);
        return NULL;
    }
    if (rep->recorded)
        log_record(e->target, &rep->record, 0);
    rc_report_summary(rep, line, sizeof line); /* with the error, when there is one */
    if (r < 0)
        log_warning("reconcile %s; the overlay is mounted as it is", line);
    else if (rc_report_needs_attention(rep))
        log_warning("reconcile %s (%s)", line, report_hint(ctx));
    else
        log_console("reconcile %s", line);
    remember_applied(ctx, e->target, rep);
    const char *applied = reconcile_applied(ctx, e->target);
    if (applied && *applied)
        log_console("reconcile %s: %s policy %s", e->target, rc_policy_name(policy), applied);
    return rep;
}

int stage_reconcile(struct boot_ctx *ctx)
{
    struct rc_report *reps[LAYOUT_MAX_ENTRIES];
    int made[LAYOUT_MAX_ENTRIES] = {0}; /* each overlay's store (store_for) */
    size_t n = 0;
    enum rc_policy policy = RC_POLICY_SAFE;
    bool off;
    int r;

    if (ctx->mode == MODE_OFF || ctx->mode == MODE_VOLATILE)
        return 0; /* nothing persists, nothing to reconcile */
    for (size_t i = 0; i < ctx->layout.n; i++)
        if (ctx->layout.entries[i].kind == LAYOUT_OVERLAY)
            reset_requested(ctx, &ctx->layout.entries[i], &made[i]);
    policy_of(ctx, &policy, &off);
    if (off) {
        log_info("sharedroot.reconcile=off: base updates are not checked against this host's "
                 "copies");
        return 0;
    }
    for (size_t i = 0; i < ctx->layout.n; i++) {
        if (ctx->layout.entries[i].kind != LAYOUT_OVERLAY)
            continue;
        struct rc_report *rep = reconcile_one(ctx, &ctx->layout.entries[i], policy, &made[i]);
        if (rep)
            reps[n++] = rep;
    }
    r = rc_report_save_json(reps, n, RECONCILE_REPORT);
    if (r < 0)
        log_warning_errno(r, "Failed to write %s: %m", RECONCILE_REPORT);
    for (size_t i = 0; i < n; i++)
        rc_report_free(reps[i]);
    return 0;
}
