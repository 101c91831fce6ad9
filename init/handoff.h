/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The handoff line: the one machine-readable line the init prints on the console just before
 * it executes the real init, for boot test harnesses (sharedroot-boottest(1)) that read only
 * the serial console:
 *
 *   sharedroot-handoff: v=1 uptime_ms=2345 init_ms=812 early=10 devices=500 root=30
 *   instance=0 reconcile=0 overlay=5 tmp-swap=1 switch=4 mode=volatile
 *
 * (one line). Stable: keys are only ever added; a reader ignores keys it does not know, and v
 * changes only when a key changes its meaning. Documented in sharedroot-init(8).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* (no context.h: sharedroot-boottest reads the prefix and version from here) */
struct boot_ctx;

#define HANDOFF_PREFIX "sharedroot-handoff:"
#define HANDOFF_VERSION 1

/* The line, newline-terminated, for a boot whose guest uptime is uptime_ms and whose
 * monotonic clock reads now (same clock as ctx->t_start). The switch stage counts from
 * ctx->stage_t0 to now. Returns the length, or -ENOSPC when size is too small. Pure. */
int handoff_format(const struct boot_ctx *ctx, uint64_t uptime_ms, uint64_t now, char *buf,
                   size_t size);

/* Write the line to fd (the console as PID 1, stdout in a test run). Errors are ignored: a
 * missing line must never stop a boot. */
void handoff_announce(const struct boot_ctx *ctx, int fd);
