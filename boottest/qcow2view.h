/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The partition table of a qcow2 base, read as disk_probe() reads a raw one: through QEMU's
 * own qemu-img, which copies the bytes libblkid looks at (the disk's first and last MiB, the
 * first and last MiB of each partition) into a sparse raw file of the disk's virtual size.
 * Nothing else of the image is read: a cloud image is gigabytes.
 *
 * The image is untrusted (a user's, a download). Its header is read here first, before
 * qemu-img opens it: a backing file or external data file named with a protocol (nbd:,
 * http:, json:...) would make qemu-img reach out of the host, so such an image is not read at
 * all; a backing chain is followed only through plain files in raw or qcow2 format (the files
 * QEMU opens anyway when the guest boots).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "partition.h"

/* What the header of a qcow2 image says about where its data lives. */
struct qcow2_header {
    uint32_t version;      /* 2 or 3 */
    unsigned cluster_bits; /* 9..21 */
    uint64_t size;         /* the virtual disk's size in bytes */
    uint32_t crypt_method; /* 0: not encrypted */
    bool data_file;        /* an external data file (incompatible feature bit 2) */
    char backing[1024];    /* the backing file's name as stored, "" for none */
    char backing_fmt[16];  /* its format from the header extension, "" when not given */
};

/* Parse the start of a qcow2 image (buf, len bytes: its first cluster or all of a smaller
 * file). 0, or -EINVAL with why saying what is wrong: not qcow2, a version other than 2 or 3,
 * a cluster size, backing name or header extension out of bounds. Pure. */
int qcow2_header_parse(const unsigned char *buf, size_t len, struct qcow2_header *h, char *why,
                       size_t n);

/* Whether QEMU reads name as a protocol ("nbd://...", "http:...", "json:{...}", "file:...")
 * rather than a file: a ':' before any '/', as QEMU's path_has_protocol() says. Pure. */
bool qemu_name_has_protocol(const char *name);

/* Whether the qcow2 image at path may be given to QEMU, which opens its backing chain when the
 * guest boots: its header and every backing file as QEMU finds it (a relative name beside the
 * image that names it) are plain files in raw or qcow2 format, no name is a protocol or json:,
 * no image keeps an external data file or is encrypted, and the chain is at most 16 deep.
 * 0, or a negative errno with why saying which file and what: -EPERM not opened for safety,
 * -ELOOP too deep, -EINVAL a broken header, else why a file cannot be read. Reads the headers
 * only; runs nothing. */
int qcow2_chain_check(const char *path, char *why, size_t n);

/* The partition table of the qcow2 image at path, read through qemu-img (found in PATH), as
 * disk_probe() returns it (1 a table, free it with disk_done; 0 none) with d->size its virtual
 * size. Negative errno with why saying what and what to do: -ENOPKG no qemu-img, -EPERM an
 * image not read for safety (a protocol or json: name, an external data file, encryption, a
 * backing file in another format), -ETIMEDOUT a qemu-img run that did not end in time, else
 * what failed. Temporary files live in $TMPDIR (/tmp) and are removed on every path. */
int qcow2_disk_probe(const char *path, struct disk *d, char *why, size_t n);
