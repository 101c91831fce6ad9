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
/* Hash a file version described without its hash (want_hash false), when not done yet:
 * -ESTALE when dirfd/name is no longer that file. */
int rc_version_hash(int dirfd, const char *name, struct rc_version *v);
/* Describe an open dir itself (the root of a walk): markers and metadata. */
int rc_inspect_dirfd(int fd, enum rc_markers mk, struct rc_version *v);

/* A symlink's target, any length. */
int rc_read_symlink(int dirfd, const char *name, struct rc_buf *out);

/* One entry met by rc_walk. */
struct rc_walk_entry {
    const char *path;       /* relative to the root of the walk */
    const char *name;       /* its last component */
    int dirfd;              /* the dir holding it */
    int dirfd2;             /* the same dir in the second tree, or -1 */
    const struct stat *st;  /* its lstat */
    unsigned parent_flags;  /* what the visit of its dir set in descend_flags */
    unsigned depth;         /* 1 for an entry of the root */
    bool descend;           /* out: walk into this dir (preset: it is a dir) */
    unsigned descend_flags; /* out: handed to the visits of its entries */
};
typedef int (*rc_walk_fn)(void *ud, struct rc_walk_entry *e);

/* A depth-first walk below rootfd/start, with an optional second tree (rootfd2, e.g. the
 * lower beside an upper) opened in lockstep: each dir's entries are visited, names sorted by
 * bytes, then the subdirs the visits asked for, in name order. Dir fds are held along the
 * current path (the deepest RC_WALK_OPEN levels; a shallower one is reopened by path when
 * it still has subdirs to walk), so a walk is linear in the entries at any depth and never
 * recursive. A non-zero return of fn stops the walk and is returned. A dir deeper than
 * max_depth gives -ENAMETOOLONG and its path in *too_deep (when not NULL; free it). */
#define RC_WALK_OPEN 32u
struct rc_walk {
    int rootfd, rootfd2;
    const char *start;
    unsigned max_depth;
    unsigned root_flags;
    rc_walk_fn fn;
    void *ud;
    char **too_deep;
};
int rc_walk(const struct rc_walk *w);
/* "a dir deeper than N levels (its path shortened)", for messages. */
char *rc_too_deep_text(const char *path, unsigned max_depth);

/* Whether two versions have equal content (same kind and hash; dirs: same kind). */
bool rc_version_same_content(const struct rc_version *a, const struct rc_version *b);
/* Content, mode (not for symlinks), owner and xattr digest equal. */
bool rc_version_same(const struct rc_version *a, const struct rc_version *b);
