/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mounting an image file through a loop device with libmount, for the commands that look into
 * an image inside a private mount namespace of their own (sharedroot-instance,
 * sharedroot-check-base): no utab entry is written, since the mount lives and dies with that
 * namespace; the loop device is set up by libmount (opts holds "loop") and goes away with the
 * mount (autoclear).
 */
#pragma once

#include <stddef.h>

/* Mount the image file path (fstype, with the mount options opts) on target. On success the
 * device mounted (the loop device) is in dev (when dev is not NULL). On failure: a negative
 * errno, and why says what libmount said. */
int loop_mount(const char *path, const char *target, const char *fstype, const char *opts,
               char *dev, size_t devn, char *why, size_t n);
