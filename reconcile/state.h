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
 *   OVERLAY_0_APPLIED="..."                  (optional: what the boot's policy changed)
 *   RECONCILE_IGNORE="/etc/.pwd.lock,..."    (optional: the boot's ignore list)
 *
 * Other keys are ignored. An overlay without LOWER or UPPER, or a path key that is present
 * but empty, is an error naming the key. The file is data from a guest: bounded in size,
 * never read past what was read.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "reconcile.h" /* struct rc_state, rc_state_load: public */

/* Parse len bytes of state file text. -EBADMSG with why ("line 3: OVERLAY_0_STORE is empty")
 * when malformed; *st is empty then. */
int rc_state_parse(const char *text, size_t len, struct rc_state *st, char *why, size_t whylen);
/* Unquote an os-release style value into a new string. */
int rc_state_unquote(const char *v, char **out);
