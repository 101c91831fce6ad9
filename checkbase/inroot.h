/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading and changing files inside the checked root. The root is data, not trusted: every
 * path is resolved with openat2(RESOLVE_IN_ROOT), so an absolute symlink such as
 * /etc/resolv.conf -> /run/... or a "../../" chain stays inside the root and never reaches
 * the host's files.
 */
#pragma once

#include <stddef.h>
#include <sys/stat.h>

/* Open path (absolute or relative, taken relative to the root) under rootfd. flags as for
 * openat(2); O_CLOEXEC is added. Returns the fd or negative errno. */
int inroot_open(int rootfd, const char *path, int flags, mode_t mode);

/* lstat of path: symlinks in the directory part are followed (inside the root), the last
 * component is not. */
int inroot_lstat(int rootfd, const char *path, struct stat *st);

/* stat of path, following symlinks inside the root. */
int inroot_stat(int rootfd, const char *path, struct stat *st);

/* Read a regular file of at most max bytes (following symlinks inside the root) into a
 * NUL-terminated buffer the caller frees. -EFBIG when it is larger, -EINVAL when not a
 * regular file. */
int inroot_read(int rootfd, const char *path, size_t max, char **ret, size_t *ret_len);

/* The target of the symlink path, into buf. -EINVAL when path is not a symlink. */
int inroot_readlink(int rootfd, const char *path, char *buf, size_t n);

/* Open the directory holding path (O_PATH is not enough for *at changes: O_DIRECTORY) and
 * point *base at the last component inside path. -EINVAL for "/" or a trailing slash. */
int inroot_open_parent(int rootfd, const char *path, const char **base);

/* mkdir -p of path inside the root with mode. */
int inroot_mkdir_p(int rootfd, const char *path, mode_t mode);
