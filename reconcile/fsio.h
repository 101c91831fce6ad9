/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File access that never leaves a root dir: upper dirs and stores are hostile data (a guest
 * controls its own instance disk), so every path below a root is resolved with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or on kernels without openat2 (before 5.6)
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
/* Open the child dir name of dirfd: one component, never a symlink, never "." or "..". */
int rc_open_child_dir(int dirfd, const char *name);

/*
 * A path an admin typed (--upper, --store, a state file's paths): its trusted root is the
 * mount point of the filesystem holding it (the deepest mount point in /proc/self/mountinfo
 * that is a prefix of the path, or root when one is given). The path is made absolute (from
 * $PWD when it names the working directory, as the shell shows it), "." and ".." are taken
 * lexically, and then:
 *   - the dirs above the trusted root must be real dirs (no symlink), owned by root or by us,
 *     and not writable by group or others unless sticky;
 *   - everything from the trusted root down is resolved beneath it with no symlink and no
 *     other mount crossed (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV).
 * With create, missing dirs below the root are made with mode. Returns an fd of the dir, or a
 * negative errno with *msg (when msg is not NULL; free it) saying which prefix is at fault and
 * why ("/mnt/host1/overlay is a symlink ...").
 */
int rc_open_typed(const char *path, const char *root, bool create, mode_t mode, char **msg);

/* Whether the dir a is the dir b or below it (walking up from a by ".."); negative errno when
 * that cannot be told. */
int rc_dir_within(int a, int b);

/* Read all of fd; -EFBIG when it holds more than max bytes. */
int rc_read_all(int fd, size_t max, struct rc_buf *out);
/* Copy the rest of in to out. */
int rc_copy_fd(int in, int out);
int rc_fsync_dir(int dirfd);

/* Write data to dirfd/name atomically: dirfd/.name.rc-tmp, fsync, rename, fsync dirfd. */
int rc_write_atomic(int dirfd, const char *name, const void *data, size_t n, mode_t mode);
