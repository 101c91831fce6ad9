// SPDX-License-Identifier: GPL-2.0-or-later
#include "stage-reconcile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instance.h"
#include "log.h"
#include "merge.h"
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
 * names it for overlay-reconcile --report). */
static int store_for(struct boot_ctx *ctx, const struct layout_entry *e, char *store, size_t n)
{
    char rel[PATH_MAX];
    const char *part_dir;
    int r;

    if (!layout_part_for(&ctx->layout, e->upper))
        return -EINVAL;
    r = reconcile_store_path(&ctx->layout, e, store, n, rel, sizeof rel, &part_dir);
    if (r < 0)
        return r;
    return instance_mkdirs(part_dir, rel, 0700);
}

static struct rc_report *reconcile_one(struct boot_ctx *ctx, const struct layout_entry *e,
                                       enum rc_policy policy)
{
    struct rc_options opts = {0};
    struct rc_record_result rec = {0};
    struct rc_overlay ov = {.name = e->target, .lower = e->lower, .upper = e->upper};
    struct rc_report *rep = NULL;
    char store[PATH_MAX], line[512];
    int r;

    r = store_for(ctx, e, store, sizeof store);
    if (r < 0) {
        log_warning_errno(r, "reconcile %s: cannot create the record store: %m; skipped",
                          e->target);
        return NULL;
    }
    ov.store = store;
    r = instance_mkdirs("/", e->upper + 1, 0755); /* a first boot has no upper yet */
    if (r < 0)
        log_debug("reconcile %s: upper %s: %s", e->target, e->upper, strerror(-r));
    /* Record first: the merge base of a host file is the newest record older than the
     * file, so what apply writes below must be newer than this record. */
    r = rc_record(e->lower, store, &rec);
    if (r < 0)
        log_warning_errno(r, "reconcile %s: recording the base into %s failed: %m", e->target,
                          store);
    else
        log_info("reconcile %s: base %s", e->target,
                 rec.skipped ? "unchanged since the last boot (stat walk only)" : "recorded");
    r = rc_reconcile(&ov, policy, &opts, &rep);
    if (r < 0 && !rep) {
        log_warning_errno(r, "reconcile %s failed: %m; the overlay is mounted as it is", e->target);
        return NULL;
    }
    if (r < 0)
        log_warning_errno(r, "reconcile %s: %m; the overlay is mounted as it is", e->target);
    rc_report_summary(rep, line, sizeof line);
    if (rc_report_needs_attention(rep))
        log_warning("reconcile %s (run overlay-reconcile --report)", line);
    else
        log_console("reconcile %s", line);
    return rep;
}

int stage_reconcile(struct boot_ctx *ctx)
{
    struct rc_report *reps[LAYOUT_MAX_ENTRIES];
    size_t n = 0;
    enum rc_policy policy = RC_POLICY_SAFE;
    bool off;
    int r;

    if (ctx->mode == MODE_OFF || ctx->mode == MODE_VOLATILE)
        return 0; /* nothing persists, nothing to reconcile */
    policy_of(ctx, &policy, &off);
    if (off) {
        log_info("sharedroot.reconcile=off: base updates are not checked against this host's "
                 "copies");
        return 0;
    }
    for (size_t i = 0; i < ctx->layout.n; i++) {
        if (ctx->layout.entries[i].kind != LAYOUT_OVERLAY)
            continue;
        struct rc_report *rep = reconcile_one(ctx, &ctx->layout.entries[i], policy);
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
