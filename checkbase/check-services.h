/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Services that need a writable path to exist at boot: a base that lacks it makes them fail
 * wherever the path is not on a per-instance overlay.
 */
#pragma once

#include "checks.h"

/* The rows of service_paths[] in check-services.c: a program and a path it needs. */
int check_service_paths(struct check_ctx *ctx, const struct check *c);
/* Unit files whose StateDirectory= lies under a /var/lib directory the base lacks. */
int check_unit_state_dirs(struct check_ctx *ctx, const struct check *c);

/* The StateDirectory= lines of one unit file's text (NUL-terminated, changed in place), each
 * checked in the root: the reader's entry for the fuzz target (tests/fuzz). */
int check_unit_text(struct check_ctx *ctx, const struct check *c, const char *unit, char *text);
