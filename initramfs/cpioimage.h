/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the plan as a cpio "newc" archive (the format the kernel unpacks), compressed with
 * zstd, gzip or not at all. The output is reproducible: entries in path order, owner 0:0, one
 * mtime for all, inode numbers by position, no host data in the compression headers. It is
 * written to a temporary file beside the output and renamed over it only when complete.
 */
#pragma once

#include <stdint.h>

#include "plan.h"

enum compression {
    COMPRESS_ZSTD,
    COMPRESS_GZIP,
    COMPRESS_NONE,
};

/* "zstd", "gzip", "none" -> value; -EINVAL for anything else. */
int compression_from_string(const char *s);
/* Check that the output's directory exists and that the output is a regular file or does
 * not exist yet (before the slow work); reports on stderr. */
int image_check_output(const char *output);
/* A path we may replace by rename: a regular file or nothing. A device node, FIFO, socket,
 * directory or symlink is refused with a message naming option and path (-EEXIST). */
int output_check_replaceable(const char *path, const char *option);
int image_write(const struct plan *p, const char *output, enum compression c, int64_t mtime);
