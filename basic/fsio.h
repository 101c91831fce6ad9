/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File access that never leaves a root dir (the reconcile engine's and sharedroot-instance's;
 * a path an admin typed is resolved by rc_open_typed in reconcile.h): upper dirs and stores are
 * hostile data (a guest controls its own instance disk), so every path below a root is resolved
 * with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or on kernels without openat2 (before 5.6)
 * one component at a time with O_NOFOLLOW; and every write is a temp file + fsync + rename +
 * fsync of the dir.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util.h"

/* Open relpath below rootfd. No component may be a symlink (-ELOOP), none may leave rootfd;
 * the last is opened with flags | O_NOFOLLOW | O_CLOEXEC. relpath "" opens rootfd itself
 * again. */
int rc_open_beneath(int rootfd, const char *relpath, int flags);
/* Open the dir holding relpath's last component; *name points into relpath at it. */
int rc_open_parent(int rootfd, const char *relpath, const char **name);
/* lstat of relpath below rootfd, resolved as rc_open_beneath does. */
int rc_stat_beneath(int rootfd, const char *relpath, struct stat *st);
/* mkdir -p of reldir below rootfd (no symlink followed); returns an fd of the last dir. */
int rc_mkdirs(int rootfd, const char *reldir, mode_t mode);
/* The building blocks: the next component of *p ("a//b": "a", then "b"; 0 at the end) as a
 * malloc'ed string, *p advanced past it; openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
 * and extra resolve flags (-ENOSYS when the kernel has none: use rc_walk_dirs); the component
 * walk (each dir opened with O_NOFOLLOW; with create, missing ones made with mode; with
 * no_xdev, another device is -EXDEV), which returns the fd of the last dir. */
int rc_next_component(const char **p, char **out);
int rc_openat2_beneath(int rootfd, const char *relpath, int flags, unsigned long long extra);
int rc_walk_dirs(int rootfd, const char *reldir, bool create, mode_t mode, bool no_xdev);
/* Open the child dir name of dirfd: one component, never a symlink, never "." or "..". */
int rc_open_child_dir(int dirfd, const char *name);

/* Whether the dir a is the dir b or below it (walking up from a by ".."); negative errno when
 * that cannot be told. */
int rc_dir_within(int a, int b);
/* A dir and its ancestors up to this process's root, by device and inode: what rc_dir_within
 * walks, taken once, so that several dirs can be kept apart without walking each pair again
 * (*out: fd's dir first, the root last; free it). */
struct rc_dir_id {
    dev_t dev;
    ino_t ino;
};
int rc_dir_ancestry(int fd, struct rc_dir_id **out, size_t *n);
bool rc_dir_id_in(const struct rc_dir_id *ids, size_t n, const struct rc_dir_id *id);

/* Read all of fd; -EFBIG when it holds more than max bytes. */
int rc_read_all(int fd, size_t max, struct rc_buf *out);
/* Copy the rest of in to out. */
int rc_copy_fd(int in, int out);
int rc_fsync_dir(int dirfd);

/* Write data to dirfd/name atomically: dirfd/.name.rc-tmp, fsync, rename, fsync dirfd. */
int rc_write_atomic(int dirfd, const char *name, const void *data, size_t n, mode_t mode);

/* Sorted names of dirfd's entries (without . and ..). */
int rc_list_dir(int dirfd, char ***names, size_t *n);
void rc_names_free(char **names, size_t n);
/* Sort names by bytes (strcmp). */
void rc_sort_names(char **names, size_t n);
/* A symlink's target, any length. */
int rc_read_symlink(int dirfd, const char *name, struct rc_buf *out);
