/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stage sequencing: names (used in logs, timings, and later by hooks and break points),
 * timing, and what happens when a stage fails.
 */
#pragma once

#include "context.h"

typedef int (*stage_fn)(struct boot_ctx *ctx);

const char *stage_name(enum stage s);
/* -EINVAL for an unknown name. */
int stage_from_name(const char *name, enum stage *out);

/* Run one stage: log it, time it, and on failure hand over to the emergency path (which
 * returns only when the user asks for a retry, and in a test run exits with status 1).
 * Then the stage's hooks (a failed required hook goes to the emergency path too; a retry
 * re-runs the hooks, not the stage), then the break point if sharedroot.break= names the
 * stage. For "switch" the hooks and the break point come before the stage, as nothing runs
 * after it. In a test run, exits after ctx->until. */
void stage_run(struct boot_ctx *ctx, enum stage s, stage_fn fn);

/* Whether the comma list breaks (sharedroot.break=, may be NULL) names stage s. Pure. */
bool stage_break_wanted(const char *breaks, enum stage s);

/* Whether stage s has hooks to run: its hook directory holds anything (an unreadable one
 * counts). */
bool stage_has_hooks(const struct boot_ctx *ctx, enum stage s);
