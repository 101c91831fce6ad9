/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Backups of an instance: a pax archive (libarchive) of everything on the instance filesystem
 * that is the instance's own: the marker, the upper dirs (whiteouts as char 0:0 devices,
 * xattr whiteouts and opaque dirs as their trusted./user.overlay.* xattrs), the reconcile
 * stores, with owners, modes, all xattrs, hard links and a/m/ctimes. Not kept: lost+found,
 * the contents of tmp and of the overlay work dirs, the swap file (memory of the guest).
 *
 * The first member, ".sharedroot-instance-backup", says what the archive is:
 *
 *   sharedroot-instance-backup 1
 *   fstype ext4
 *   size 268435456
 *   label inst-a            (optional)
 *   uuid 0f1e...            (optional)
 *
 * Restoring reads the archive as untrusted input: every path is checked (relative, no "."
 * or "..", no empty component, parents before children), nothing is followed through a
 * symlink, sizes are bounded.
 */
#pragma once

#include <archive.h>
#include <stddef.h>
#include <stdint.h>

#include "tree.h"

#define BACKUP_META_NAME ".sharedroot-instance-backup"

struct backup_meta {
    char fstype[32];
    uint64_t size;
    char label[64];
    char uuid[40];
};

/* Parse the metadata member's text. -EBADMSG (why says) when it is not ours or malformed. */
int backup_meta_parse(const char *text, size_t len, struct backup_meta *m, char *why, size_t n);

/* Write the instance below rootfd (mounted at root, for xattr access) to the archive a. */
int backup_write(struct archive *a, int rootfd, const struct backup_meta *m, char *why, size_t n);

/* Read archive a (opened for reading) into the tree t (initialised, empty). */
int backup_read(struct archive *a, struct tree *t, struct backup_meta *m, char *why, size_t n);
