/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A filesystem tree to put into a new image, staged in a private temporary dir and kept as a
 * list with the exact metadata every entry must end up with (owner, mode, times, xattrs).
 * Staging needs no privilege: files are written as the caller, and what only root could set
 * (other owners, trusted.* xattrs, ctime) is set in the image afterwards (ext4meta.h).
 *
 * Paths are relative to the image root ("" is the root itself) and checked with
 * rc_path_is_safe; a parent must be added before its children; nothing below the staging dir
 * is ever followed through a symlink.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct tree_xattr {
    char *name;
    void *value;
    size_t len;
};

struct tree_entry {
    char *path;
    mode_t mode; /* type and permission bits */
    uid_t uid;
    gid_t gid;
    dev_t rdev;
    char *hardlink; /* a hard link to this earlier path: no metadata of its own */
    bool has_times; /* else: as staged (now) */
    struct timespec atime, mtime, ctime;
    struct tree_xattr *xattrs;
    size_t nxattrs, capxattrs;
};

struct tree {
    char *dir; /* the staging dir */
    int dfd;
    struct tree_entry *e;
    size_t n, cap;
};

/* Make a staging dir below $TMPDIR (or /tmp). */
int tree_init(struct tree *t);
/* Remove the staging dir and free everything. */
void tree_done(struct tree *t);

/* Stage an entry as m describes (m->path, m->mode, owners, times, hardlink are copied; the
 * xattrs are added with tree_add_xattr on the returned entry). Symlinks need target. For a
 * regular file that is not a hard link, *fd (when fd is not NULL) receives a write fd for its
 * content; else content is written first. -EEXIST when the path was staged already. */
int tree_add(struct tree *t, const struct tree_entry *m, const char *target, const void *content,
             size_t len, int *fd, struct tree_entry **out);
int tree_add_xattr(struct tree_entry *e, const char *name, const void *value, size_t len);

/* Shorthands: a dir, every missing parent dir of path (mode 0755, root's), a file. */
int tree_add_dir(struct tree *t, const char *path, mode_t perm, uid_t uid, gid_t gid);
int tree_add_parents(struct tree *t, const char *path);
int tree_add_file(struct tree *t, const char *path, mode_t perm, uid_t uid, gid_t gid,
                  const void *content, size_t len);

/* The entry staged for path, or NULL. */
struct tree_entry *tree_find(const struct tree *t, const char *path);
