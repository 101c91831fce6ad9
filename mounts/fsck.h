/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fsck of instance filesystems before they are mounted read-write: which checker, and what its
 * exit status means. */
#pragma once

#include <stddef.h>

/* Where the fsck programs are looked up (the initramfs puts them in /sbin). */
#define FSCK_SEARCH_DIRS "/sbin:/usr/sbin:/bin:/usr/bin"

/* Find the checker for fstype ("fsck.ext4", or e2fsck for ext2/3/4) in the colon-separated
 * directories search (the init's: FSCK_SEARCH_DIRS). -ENOENT when there is none. */
int fsck_find_in(const char *search, const char *fstype, char *path, size_t n);

/* What the wait status of "PROG -p DEV" means (fsck(8): 0 clean, 1 errors corrected, 2
 * corrected and a reboot wanted, 4 and up left uncorrected or failed; 127 or a signal: it did
 * not run to its end): 0 clean or repaired; -EUCLEAN errors left that need a human, -EIO it
 * could not run, with why saying what to do. (mounts/instcheck.h runs it.) */
int fsck_verdict(int status, const char *prog, const char *dev, char *why, size_t n);
