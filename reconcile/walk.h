/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Looking at directory entries without trusting them: rc_inspect describes one entry
 * (kind, overlay markers, metadata, content hash) without following symlinks or opening
 * anything but regular files and dirs; rc_walk visits a tree iteratively (no recursion, so a
 * hostile deep tree cannot exhaust the stack), names sorted by bytes in each dir.
 */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "reconcile.h"
#include "util.h"

/* Which overlay markers to honour: none (a base dir), user.overlay.* only (userxattr
 * mounts), or trusted.overlay.* and user.overlay.*. */
enum rc_markers {
    RC_MARKERS_NONE,
    RC_MARKERS_USER,
    RC_MARKERS_ALL,
};

/* Sorted names of dirfd's entries (without . and ..). */
int rc_list_dir(int dirfd, char ***names, size_t *n);
void rc_names_free(char **names, size_t n);

/* Describe dirfd/name. -ENOENT when absent (v->kind = RC_ABSENT). parent_x: the parent dir is
 * marked overlay.opaque="x", so a zero-size file with overlay.whiteout is a whiteout. */
int rc_inspect(int dirfd, const char *name, enum rc_markers mk, bool parent_x, bool want_hash,
               struct rc_version *v);
/* Describe an open dir itself (the root of a walk): markers and metadata. */
int rc_inspect_dirfd(int fd, enum rc_markers mk, struct rc_version *v);

/* A symlink's target, any length. */
int rc_read_symlink(int dirfd, const char *name, struct rc_buf *out);

/* Visit every entry below rootfd (not the root itself). fn gets the path relative to the
 * root, the open parent dir and the entry's lstat; a non-zero return stops the walk and is
 * returned. Dirs deeper than max_depth give -ELOOP. */
typedef int (*rc_walk_fn)(void *ud, const char *relpath, int dirfd, const char *name,
                          const struct stat *st);
int rc_walk(int rootfd, const char *start, unsigned max_depth, rc_walk_fn fn, void *ud);

/* Whether two versions have equal content (same kind and hash; dirs: same kind). */
bool rc_version_same_content(const struct rc_version *a, const struct rc_version *b);
/* Content, mode (not for symlinks), owner and xattr digest equal. */
bool rc_version_same(const struct rc_version *a, const struct rc_version *b);
