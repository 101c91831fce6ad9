/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The walk of the tree a base is built from: counts and sizes for the image size, the newest
 * mtime for the filesystem's time, and a fingerprint of names, metadata, xattrs and content for its
 * UUID (every file is read once more than mkfs reads it: a build cost, for a UUID that tells a
 * base whose content changed from the old one even when sizes and times were settled). No
 * symlink is followed; a mount point inside the tree (a chroot's /proc, /sys or /dev left
 * mounted) is refused, since mkfs would copy what is mounted there.
 */
#pragma once

#include "baseplan.h"

#define TREE_MAX_DEPTH 256

/* Walk dir. 0 and *st; negative errno after printing what and where (-EXDEV: a mount point,
 * named in bad; -ELOOP: deeper than TREE_MAX_DEPTH). bad (n bytes) gets the path that
 * stopped the walk. */
int tree_walk(const char *dir, struct tree_stats *st, char *bad, size_t n);
