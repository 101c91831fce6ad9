/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The partition table of a qcow2 base, read as disk_probe() reads a raw one: through QEMU's
 * own qemu-img, which copies the bytes libblkid looks at (the disk's first and last MiB, the
 * first and last MiB of each partition) into a sparse raw file of the disk's virtual size.
 * Nothing else of the image is read: a cloud image is gigabytes.
 *
 * The image is untrusted (a user's, a download): qcow2_chain_check (basic/qcow2.h) reads its
 * header and its backing chain first, before qemu-img opens it, and an image QEMU must not
 * open is not read at all.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "partition.h"
#include "qcow2.h"

/* The partition table of the qcow2 image at path, read through qemu-img (found in PATH), as
 * disk_probe() returns it (1 a table, free it with disk_done; 0 none) with d->size its virtual
 * size. Negative errno with why saying what and what to do: -ENOPKG no qemu-img, -EPERM an
 * image not read for safety (a protocol or json: name, an external data file, encryption, a
 * backing file in another format), -ETIMEDOUT a qemu-img run that did not end in time, else
 * what failed. Temporary files live in $TMPDIR (/tmp) and are removed on every path. */
int qcow2_disk_probe(const char *path, struct disk *d, char *why, size_t n);
