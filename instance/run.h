/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running the filesystem tools (mkfs.ext4, mkfs.xfs, tune2fs, xfs_admin). */
#pragma once

#include <stddef.h>

/* Run program name (found in $PATH, then /usr/sbin:/sbin) with args (argv[1..], NULL-
 * terminated), stdin and stdout /dev/null. 0 when it exits 0; else -ENOENT (not installed)
 * or -EIO, and why holds its last lines of stderr (or why it could not run). */
int run_tool(const char *name, const char *const args[], char *why, size_t n);
