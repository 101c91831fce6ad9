/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The overlays of the running guest, from /run/sharedroot/state (key=value, os-release
 * style: a value may be in double or single quotes, with \" \\ \$ \` escapes inside double
 * quotes; lines starting with # and blank lines are ignored). sharedroot-init writes, for
 * each overlay i = 0 .. OVERLAY_COUNT-1:
 *
 *   OVERLAY_COUNT=2
 *   OVERLAY_0_DIR=/etc                       the overlaid dir in the booted system
 *   OVERLAY_0_LOWER=/run/sharedroot/base/etc  the base dir (read-only)
 *   OVERLAY_0_UPPER=/run/sharedroot/instance/overlay/etc/upper
 *   OVERLAY_0_WORK=/run/sharedroot/instance/overlay/etc/work
 *   OVERLAY_0_STORE=/run/sharedroot/instance/reconcile/etc   (optional: the record store)
 *   OVERLAY_0_USERXATTR=1                    (optional: mounted with userxattr)
 *
 * Other keys are ignored. An overlay without LOWER or UPPER is an error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define RC_STATE_PATH "/run/sharedroot/state"

struct rc_state_overlay {
    char *dir, *lower, *upper, *work, *store;
    bool userxattr;
};

struct rc_state {
    struct rc_state_overlay *ov;
    size_t n;
};

/* -ENOENT when the file is missing, -EBADMSG (with *line set) when malformed. */
int rc_state_load(const char *path, struct rc_state *st, unsigned *line);
void rc_state_done(struct rc_state *st);
/* Unquote an os-release style value into a new string. */
int rc_state_unquote(const char *v, char **out);
