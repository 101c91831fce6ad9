/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Making an ext4 image from mkfs.ext4 -d the same for the same tree. mke2fs copies each
 * file's access time (which reading the tree for the previous build changed) and stamps
 * creation times with the clock (e2fsprogs 1.47.0 ignores E2FSPROGS_FAKE_TIME there). Both
 * are set from what does not move: access and change time to the file's mtime, creation
 * time to the image's timestamp. With libext2fs, never by hand.
 */
#pragma once

#include <stdint.h>

/* Rewrite the times of every inode in use in the ext4 image at path. 0, or a negative errno
 * with *what naming the step that failed. */
int ext4_settle_times(const char *path, int64_t timestamp, const char **what);

/* Seal the write state of the ext4 image at path (sharedroot-mkbase's UUID, sealed by its hash
 * seed): mount count, mount time, state, error count, write time and kilobytes written set to
 * what rc_base_write_seal (reconcile.h) derives from the UUID, so that the reconcile engine
 * can tell it was never written since (rc_ext_sb_untouched). Superblocks only. 0, or a
 * negative errno with *what naming the step that failed. */
int ext4_seal_write_state(const char *path, const char **what);
