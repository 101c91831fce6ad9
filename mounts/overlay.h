/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Overlay mounts. redirect_dir, index, metacopy and xino are set OFF explicitly, whatever the
 * kernel's defaults: the kernel's overlayfs documentation allows changing the lower tree
 * offline (a new base image) only when these features were never used, and overlay-reconcile
 * must be able to read an upper dir offline as plain files.
 */
#pragma once

#include <stddef.h>

#define OVERLAY_FIXED_OPTIONS "redirect_dir=off,index=off,metacopy=off,xino=off"

/* Build the mount data. -EINVAL for paths that cannot be expressed (',' or ':' in them),
 * -ENAMETOOLONG when it does not fit (the kernel takes one page). Pure. */
int overlay_options(const char *lower, const char *upper, const char *work, const char *extra,
                    char *out, size_t n);

/* Check that upper and work are directories on the same filesystem (overlayfs requires it). */
int overlay_check_dirs(const char *upper, const char *work, char *why, size_t n);

/* The upper and work dirs of all overlays (own, n_own paths) and their lower dirs, as the
 * kernel will find them (by device and inode, walking up through ".."): no two of own are
 * the same directory or inside one another, and none of own is inside a lower dir or holds
 * one. overlayfs itself lets two overlays share an upper dir when index=off (a file written
 * in one appeared in the other); a symlink or one filesystem mounted at two places would
 * hide that from a check of the path strings. 0, or -EEXIST/-ELOOP with why filled (or
 * -errno when a dir cannot be looked at). */
int overlay_check_separate(const char *const *own, size_t n_own, const char *const *lowers,
                           size_t n_lowers, char *why, size_t n);

/* Mount the overlay on target. */
int overlay_mount(const char *target, const char *lower, const char *upper, const char *work,
                  const char *extra, char *why, size_t n);
