/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /tmp for the booted system: on instance storage, emptied at every boot, or a tmpfs. Mode
 * 1777 owned by root, nosuid and nodev either way.
 */
#pragma once

/* Empty dir and set it to mode 1777 root:root. Cleaning goes through rmtree_contents: a
 * symlink (to a file or a directory, even "/etc") is removed itself, never followed; a mount
 * below dir (a bind mount, another filesystem) is not entered, and survives with its
 * contents. dir itself must not be a symlink (-ELOOP or -ENOTDIR).
 *
 * Returns the number of entries that could not be removed (0 when dir is now empty apart
 * from mounts; e.g. an immutable file counts 1; dir is still chmodded), or a negative errno
 * when dir cannot be opened, read or chmodded. */
int tmp_clean(const char *dir);

/* Mount a fresh tmpfs at target: mode=1777, nosuid, nodev. Negative errno on failure. */
int tmp_mount_tmpfs(const char *target);

/* Bind source_dir onto target, then remount the bind nosuid,nodev (keeping the source
 * mount's other flags such as ro or noexec). source_dir must be a directory and not a
 * symlink (-ELOOP or -ENOTDIR), so a hostile instance disk cannot redirect the bind out of
 * itself. When the remount fails the bind is detached again. Cleaning source_dir first (with
 * tmp_clean) is the caller's choice. Negative errno on failure. */
int tmp_bind(const char *source_dir, const char *target);
