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
/* Check that the output's directory exists (before the slow work); reports on stderr. */
int image_check_output(const char *output);
int image_write(const struct plan *p, const char *output, enum compression c, int64_t mtime);
