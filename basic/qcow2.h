/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A qcow2 image an admin hands over (a cloud image, a download): its header, read here before
 * any QEMU program opens it, and whether every file QEMU would open to read it is safe to
 * open. A backing file or external data file named with a protocol (nbd:, http:, json:...)
 * would make QEMU reach out of the host, a device would hand a host disk over: such an image
 * is not given to QEMU at all. A chain is followed only through plain files in raw or qcow2
 * format. Used by sharedroot-boottest (boottest/qcow2view.c, boottest/runner.c) and
 * sharedroot-check-base (checkbase/qcow2raw.c); both then name the image to QEMU with
 * driver=file (qemu_escape), so its own name is never read as a protocol either.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* A qcow2 image and its backing chain, as qcow2_chain_check read them. */
struct qcow2_chain {
    struct qcow2_header top; /* the image's own header */
    uint64_t allocated;      /* the bytes the chain's files take on disk (st_blocks) */
};

/* Whether the qcow2 image at path may be given to QEMU, which opens its backing chain: its
 * header and every backing file as QEMU finds it (a relative name beside the image that names
 * it) are plain files in raw or qcow2 format, no name is a protocol or json:, no image keeps
 * an external data file or is encrypted, and the chain is at most 16 deep. 0 (and what was
 * read in *chain unless chain is NULL), or a negative errno with why saying which file and
 * what: -EPERM not opened for safety, -ELOOP too deep, -EINVAL a broken header, else why a
 * file cannot be read. Reads the headers only; runs nothing. */
int qcow2_chain_check(const char *path, struct qcow2_chain *chain, char *why, size_t n);

/* path as QEMU names it when given path: made absolute against the working directory, its
 * symbolic links kept (QEMU looks for a relative backing name beside the name it was given,
 * not beside the link's target). Newly allocated; NULL with errno set. */
char *qemu_path(const char *path);

/* s in QEMU's option syntax, where a comma inside a value is written twice. Newly
 * allocated, NULL when out of memory. */
char *qemu_escape(const char *s);

/* qemu-img as found in PATH (package qemu-utils). Newly allocated, NULL when not found. */
char *qemu_img_find(void);
