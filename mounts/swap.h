/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Swap on a partition or a file of instance storage. Nothing is ever initialised over
 * data: mkswap runs only when allowed (sharedroot.mkswap) and libblkid finds either no
 * signature at all or an old swap signature on the target.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Smallest and largest swap we accept: mkswap needs 10 pages (40 KiB with 4 KiB pages); more
 * than 1 TiB on a small instance disk is a typo. */
#define SWAP_MIN_BYTES (40ULL * 1024)
#define SWAP_MAX_BYTES (1ULL << 40)

/* Probe path (a block device or a regular file) with libblkid, superblocks and partition
 * tables alike. 0: a swap signature (ready for swapon); -ENOENT: no signature at all (free to
 * initialise); -EEXIST: anything else, why names it ("ext4 filesystem", "dos partition
 * table", "swsuspend (a hibernation image)", "several signatures (ambiguous)"). Other
 * negative errno when path cannot be probed: -ENODEV when it does not exist (never
 * -ENOENT, which means "blank"), -ENOTBLK when it is neither a block device nor a regular
 * file, -EIO when libblkid fails; why says which. why may be NULL. */
int swap_check_target(const char *path, char *why, size_t n);

/* Initialise path as swap with the mkswap binary (the first executable of /sbin/mkswap,
 * /usr/sbin/mkswap, /bin/mkswap, /usr/bin/mkswap), only when allowed (else -EPERM) and
 * swap_check_target returned 0 or -ENOENT (else its error: -EEXIST for another signature).
 * Runs "mkswap PATH" with fork/execve, no shell, a fixed environment; stdin and stdout are
 * /dev/null and mkswap's stderr ends up in why on failure. The wait is bounded: after
 * SWAP_MKSWAP_TIMEOUT_MS the child is killed and -ETIMEDOUT returned. -ENOPKG when no mkswap
 * binary can be executed, -EIO when mkswap fails or the result is not a swap signature. */
#define SWAP_MKSWAP_TIMEOUT_MS 60000
int swap_mkswap(const char *path, bool allowed);

/* As swap_mkswap, with the mkswap binary to run (NULL: search as above), the timeout
 * (0: SWAP_MKSWAP_TIMEOUT_MS) and why (may be NULL): what was found or what failed. */
int swap_mkswap_full(const char *path, bool allowed, const char *mkswap, int timeout_ms, char *why,
                     size_t n);

/* Create the swap file path when missing: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 root:root,
 * bytes allocated with fallocate (zeros written where the filesystem cannot fallocate, so
 * there are no holes, which swapon refuses), then fsync'd. The file still needs mkswap.
 * An existing path is left alone: -EEXIST. bytes outside [SWAP_MIN_BYTES, SWAP_MAX_BYTES]:
 * -ERANGE. On failure (e.g. -ENOSPC) the partial file is removed. */
int swap_create_file(const char *path, unsigned long long bytes);

/* swapon(2) with the default priority. Negative errno from the kernel: -EINVAL when path
 * holds no swap signature (or is a file with holes, or on a filesystem that cannot swap),
 * -EBUSY when it is already in use, -ENOENT when it does not exist. */
int swap_on(const char *path);

/* Parse a size: decimal bytes, or followed by one of K, M, G, T (binary units, either case).
 * -EINVAL for empty, junk, a sign, spaces, 0; -ERANGE on overflow, above SWAP_MAX_BYTES or
 * below SWAP_MIN_BYTES. */
int swap_parse_size(const char *s, unsigned long long *bytes);
