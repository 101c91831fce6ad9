/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Three-way line merges and unified diffs, both by libgit2 (its xdiff): no hand-written
 * diff3 here. Binary contents (a NUL byte in the first 8000 bytes, git's own test) never get
 * a line merge.
 * libgit2 is loaded with dlopen when needed (RC_LIBGIT2_SONAME, or $SHAREDROOT_LIBGIT2):
 * both functions return -ENOSYS when it cannot be loaded.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

bool rc_is_binary(const char *p, size_t n);
/* rc_merge_available() is in reconcile.h: the boot asks it. */

/* Merge: base = the merge base, ours = the host's copy, theirs = the new base. Returns 1 for
 * a clean merge, 0 for a conflict (out then holds the diff3-style conflict markers),
 * -EMEDIUMTYPE for binary input, -ENOSYS without libgit2, other negative errno on failure. */
int rc_merge3(const struct rc_buf *base, const struct rc_buf *ours, const struct rc_buf *theirs,
              const char *path, struct rc_buf *out);

/* Unified diff of a -> b labelled a/path, b/path; empty when equal. */
int rc_unified_diff(const struct rc_buf *a, const struct rc_buf *b, const char *path,
                    struct rc_buf *out);
