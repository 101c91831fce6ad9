/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fsck of instance filesystems before they are mounted read-write. */
#pragma once

#include <stddef.h>

/* Where the fsck programs are looked up (the initramfs puts them in /sbin). */
#define FSCK_SEARCH_DIRS "/sbin:/usr/sbin:/bin:/usr/bin"

/* Find the checker for fstype ("fsck.ext4", or e2fsck for ext2/3/4) in FSCK_SEARCH_DIRS.
 * -ENOENT when there is none. */
int fsck_find(const char *fstype, char *path, size_t n);

/* Run "fsck -p dev" (preen: repairs what is safe without questions), bounded by timeout_s.
 * 0: clean or repaired; -ENOENT: no checker for the type; -EUCLEAN: errors left that need a
 * human (why says how); other negative errno when it could not run. */
int fsck_run(const char *dev, const char *fstype, int timeout_s, char *why, size_t n);
