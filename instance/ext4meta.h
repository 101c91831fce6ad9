/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Setting what an unprivileged mkfs.ext4 -d cannot copy from a staged tree: owners other
 * than the caller, trusted.* xattrs, the exact xattr set, and ctimes (which no system call
 * sets, and which the reconcile engine reads to find a file's merge base). Done with
 * libext2fs on the unmounted new image, entry by entry, each found by exact name bytes from
 * the root, never through a symlink.
 */
#pragma once

#include <stddef.h>

#include "tree.h"

/* Give every entry of t (but hard links, which share their inode) exactly its owner,
 * permission bits, xattrs and (when has_times) times in the ext4 image at path. why names
 * the entry that failed. */
int ext4meta_apply(const char *image, const struct tree *t, char *why, size_t n);

/* Whether the ext4 image at path has the instance marker at its top: 0, or -EMEDIUMTYPE
 * (why says), or another negative errno. Read-only, no mount, no root needed. */
int ext4meta_has_marker(const char *image, char *why, size_t n);
