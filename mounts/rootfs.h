/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mounting the shared root. Read-only is not enough: ext3/ext4 replay their journal and xfs
 * its log even on a read-only mount, writing to the device. So the options always disable
 * replay (ext4 "noload", xfs "norecovery") and the block device is set read-only (BLKROSET)
 * as defence in depth.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Compute mount(2) flags and data for fstype. user_flags is rootflags= (may be NULL); rw is
 * only honoured when maintenance is true (sharedroot=off). Pure function.
 *
 * Not maintenance (the shared base): MS_RDONLY; data starts with the option that stops
 * journal replay ("noload" for ext3/ext4, "norecovery" for xfs/f2fs/nilfs2,
 * "rescue=nologreplay" for btrfs; nothing for ext2, erofs, squashfs, iso9660, ...); a type
 * not in that table is refused with -EOPNOTSUPP. "rw" in user_flags is refused with -EINVAL.
 *
 * Maintenance: mounted as a plain boot would (read-only unless rw, journal replayed, no
 * BLKROSET), so the real init can remount it read-write.
 *
 * user_flags is parsed with libmount: generic options (ro, nodev, noatime, ...) go to the
 * flags; options that change the operation (bind, remount, shared, ...) are refused
 * with -EINVAL; userspace-only options (defaults, x-*) are dropped; the rest is appended to
 * data after a comma. Control bytes give -EINVAL; data not fitting data_size gives
 * -ENAMETOOLONG. On error why (mounts/why.h) says why, for the user. */
int rootfs_options(const char *fstype, const char *user_flags, bool rw, bool maintenance,
                   unsigned long *mflags, char *data, size_t data_size, char *why, size_t n);

/* Set dev read-only with BLKROSET and check with BLKROGET (-EIO when it did not stick). When dev
 * is a partition its whole disk is set read-only too: every partition of a shared disk is
 * shared (a base image's ESP or /boot that the base's fstab mounts read-write would be written
 * by every guest at once), and the kernel then refuses writes to all of them. */
int rootfs_set_readonly(const char *dev);

/* Mount dev (type fstype) at target with the options above. Outside maintenance the device
 * is set read-only first; a mount meant read-only that the kernel reports writable is
 * detached again (-EIO). Negative errno on failure, and why (mounts/why.h) names the step
 * that failed and what to change: the options, BLKROSET, a read-write mount of a read-only
 * device, an unknown filesystem type, a damaged filesystem, a root the kernel made writable. */
int rootfs_mount(const char *dev, const char *fstype, const char *user_flags, bool rw,
                 bool maintenance, const char *target, char *why, size_t n);
