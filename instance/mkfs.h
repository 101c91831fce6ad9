/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Making a filesystem in a new image file from a staged tree, without root and without a
 * mount: ext4 with mkfs.ext4 -d (then ext4meta for owners, xattrs and ctimes), xfs with a
 * mkfs.xfs prototype file (owners and modes; no xattrs, no sticky bit, no names with
 * blanks).
 */
#pragma once

#include <stddef.h>

#include "tree.h"

enum inst_fs { FS_EXT4, FS_XFS };

/* "ext4" or "xfs"; -EINVAL for anything else. */
int mkfs_parse_fs(const char *name, enum inst_fs *fs);

/* Make the filesystem in image (an existing file of the right size) from t. label and uuid
 * may be NULL. why says what failed. */
int mkfs_from_tree(const char *image, enum inst_fs fs, const char *label, const char *uuid,
                   const struct tree *t, char *why, size_t n);
