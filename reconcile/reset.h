/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resetting paths of an upper dir: the instance's version of a path (a copy, its own file, a
 * deletion, an opaque dir with everything below it) is moved whole into the store's
 * backups/<run>/<path>, one rename each, so that the base shows through again. The store is on
 * the instance filesystem of the upper, so the move is atomic: a crash leaves the path either
 * in the upper or in the backups, never lost.
 *
 * A running guest cannot touch its mounted upper, so it records the request in the store:
 *
 *   sharedroot-reset 1
 *   path <escaped path>      (rc_escape_c, relative to the overlaid dir)
 *   all                      (every entry of the upper)
 *
 * and the boot's reconcile stage carries it out before the overlay is mounted.
 */
#pragma once

#include "reconcile.h"
#include "util.h"

/* Parse len bytes of a request (data on a guest's disk): -EBADMSG on a bad header, an unknown
 * line, an unsafe or empty path, a NUL byte; "all" gives the path "". A torn last line (no
 * newline) is an error too: a request is written atomically. */
int rc_reset_parse(const char *text, size_t len, char ***paths, size_t *n);
int rc_reset_format(char *const *paths, size_t n, struct rc_buf *out);
