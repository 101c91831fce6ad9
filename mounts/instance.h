/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Instance storage: the per-instance filesystems that hold overlay uppers, /tmp and state.
 * We never create a filesystem; on an EMPTY one we create our own structure, on one that is
 * ours we use it, and anything else is refused untouched.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The file that marks a filesystem as a sharedroot instance (at its root). */
#define INSTANCE_MARKER ".sharedroot-instance"

/* Can overlayfs use the filesystem mounted at dir as upper? Checks d_type support and
 * trusted.* xattrs WITHOUT writing anything. -EOPNOTSUPP with why filled when not. */
int instance_check_upper_fs(const char *dir, char *why, size_t n);

/* Decide whether the filesystem mounted at dir may be used: 0 when it is ours, 1 when it was
 * empty (only an empty lost+found) and is now marked ours, -ENOTEMPTY when it holds
 * something else (why names an example entry). */
int instance_claim(const char *dir, char *why, size_t n);

/* The same decision without writing anything (for a read-only mount): 0 ours, 1 empty,
 * -ENOTEMPTY (why filled) when it holds something else. */
int instance_inspect(const char *dir, char *why, size_t n);

/* mkdir -p below base (which must exist); never follows symlinks: an existing symlink in the
 * path is an error (-ELOOP), since the instance filesystem is the guest's to tamper with. */
int instance_mkdirs(const char *base, const char *rel, unsigned mode);

/* Free space warning threshold check: true when the filesystem at dir has no free blocks or
 * inodes for ordinary users. */
bool instance_is_full(const char *dir);
