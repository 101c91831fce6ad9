/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stage "reconcile": before the overlays are mounted (overlayfs forbids touching an upper
 * while it is mounted), record the base of each overlay for next time and reconcile the
 * host's copies against base updates by the sharedroot.reconcile= policy. Never blocks the
 * boot: a failure is reported and the overlay is mounted as it was.
 */
#pragma once

#include "context.h"

#define RECONCILE_REPORT SHAREDROOT_RUN "/reconcile.json"

int stage_reconcile(struct boot_ctx *ctx);

/* What the policy changed in the overlay of dir at this boot, one sentence ("" nothing), or
 * NULL when it was not reconciled. */
const char *reconcile_applied(const struct boot_ctx *ctx, const char *dir);
/* The ignore list in effect (sharedroot.reconcile.ignore=, or the default). */
const char *reconcile_ignore_list(const struct boot_ctx *ctx);

/* Where overlay e keeps its record store: "reconcile/NAME" (NAME from layout_dir_name: etc,
 * var, usr-local) on the instance partition that holds its upper. Each overlay has its own:
 * two overlays on one filesystem must not share a record history. Writes the absolute path
 * to store and returns the partition's mount point (SHAREDROOT_INSTANCE when none holds the
 * upper) in *part_dir and the relative path in rel; negative errno when too long. */
int reconcile_store_path(const struct layout *l, const struct layout_entry *e, char *store,
                         size_t n, char *rel, size_t reln, const char **part_dir);
