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
 * never returns in PID 1 mode). In a test run, exits after ctx->until. */
void stage_run(struct boot_ctx *ctx, enum stage s, stage_fn fn);
