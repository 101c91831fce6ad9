/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's own helpers around rc_inspect and rc_walk (declared in reconcile.h): hashing a
 * version described without its hash, comparing versions, the message for a too deep dir.
 */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "reconcile.h"
#include "util.h"

/* Hash a file version described without its hash (want_hash false), when not done yet:
 * -ESTALE when dirfd/name is no longer that file. */
int rc_version_hash(int dirfd, const char *name, struct rc_version *v);
/* "a dir deeper than N levels (its path shortened)", for messages. */
char *rc_too_deep_text(const char *path, unsigned max_depth);

/* Whether two versions have equal content (same kind and hash; dirs: same kind). */
bool rc_version_same_content(const struct rc_version *a, const struct rc_version *b);
/* Content, mode (not for symlinks), owner and xattr digest equal. */
bool rc_version_same(const struct rc_version *a, const struct rc_version *b);
