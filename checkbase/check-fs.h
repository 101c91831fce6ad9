/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The image's filesystem, from its superblock: a shared image must be clean (no journal
 * waiting for replay, no orphans, no recorded errors), because guests mount it with replay
 * disabled and never repair it, and mountable by the guests' kernel.
 */
#pragma once

#include "checks.h"

int check_fs_needs_recovery(struct check_ctx *ctx, const struct check *c);
int check_fs_orphans(struct check_ctx *ctx, const struct check *c);
int check_fs_errors(struct check_ctx *ctx, const struct check *c);
int check_fs_incompat(struct check_ctx *ctx, const struct check *c);
int check_fs_ro_compat(struct check_ctx *ctx, const struct check *c);
