/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File access that never leaves a root dir: upper dirs are hostile data (a guest controls
 * its own), so every path is resolved one component at a time with O_NOFOLLOW from an open
 * root fd, and every write is a temp file + fsync + rename + fsync of the dir.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/* Open relpath below rootfd. Every component but the last must be a real directory (no
 * symlink); the last is opened with flags | O_NOFOLLOW | O_CLOEXEC (a symlink gives -ELOOP).
 * relpath "" opens rootfd itself again. */
int rc_open_beneath(int rootfd, const char *relpath, int flags);
/* Open the dir holding relpath's last component; *name points into relpath at it. */
int rc_open_parent(int rootfd, const char *relpath, const char **name);
/* mkdir -p of reldir below rootfd (no symlink followed); returns an fd of the last dir. */
int rc_mkdirs(int rootfd, const char *reldir, mode_t mode);
/* mkdir -p of an absolute or cwd-relative path, as the admin typed it. */
int rc_mkdirs_path(const char *path, mode_t mode);

/* Read all of fd; -EFBIG when it holds more than max bytes. */
int rc_read_all(int fd, size_t max, struct rc_buf *out);
int rc_write_all(int fd, const void *p, size_t n);
/* Copy the rest of in to out. */
int rc_copy_fd(int in, int out);
int rc_fsync_dir(int dirfd);

/* Write data to dirfd/name atomically: dirfd/.name.rc-tmp, fsync, rename, fsync dirfd. */
int rc_write_atomic(int dirfd, const char *name, const void *data, size_t n, mode_t mode);
