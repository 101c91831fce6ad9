/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How a room hands back why something failed (mounts/, instance/). A function that can fail for a
 * reason the user must read takes (char *why, size_t n): on failure it writes one sentence into why
 * (the step that failed, the object, and what to do when that is known here) and returns the
 * negative errno. The caller, which knows the context (the stage, the command-line key), logs both:
 *
 *     char why[WHY_MAX];
 *     r = rootfs_mount(dev, ..., why, sizeof why);
 *     if (r < 0)
 *         return log_error_errno(r, "Failed to mount %s on %s: %s (%m)", dev, target, why);
 *
 * why may be NULL (n is then ignored). On success why is left as it was.
 */
#pragma once

#include <stddef.h>

#define WHY_MAX 512

/* Write the sentence into why (when why is not NULL and n > 0); returns r. */
int why_fail(char *why, size_t n, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
