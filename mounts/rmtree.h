/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deleting a directory's contents safely: used to free the initramfs at switch_root and to
 * clean /tmp on instance storage at boot. The tree is data, never trusted: symlinks are
 * removed, never followed; other mounts (by mount id, so bind mounts of the same filesystem
 * too) and other filesystems are left alone; any depth and any name bytes are handled.
 */
#pragma once

#include <sys/types.h>

/* Delete everything below the directory dir_fd (any fd of it, O_PATH is fine; its offset is
 * not used) that lies on device dev and on the same mount as dir_fd. keep (may be NULL)
 * names one entry directly below dir_fd that is left alone.
 *
 * Never follows a symlink, never enters another mount (a mount point and everything below
 * it survive; its parent directories are then left in place too, not counted as failures).
 * Iterative: the depth of the tree is bounded by memory only, not by the stack or by fds
 * (a few fds are used whatever the depth). Stops descending, and counts a failure, when a
 * directory is moved while being deleted (its ".." is no longer the directory we came from).
 *
 * Returns the number of entries that could not be removed (0 when all went; an immutable
 * file counts 1 and its parents are left), or a negative errno when dir_fd itself cannot be
 * read or memory runs out. */
int rmtree_contents(int dir_fd, dev_t dev, const char *keep);
