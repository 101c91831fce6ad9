/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An image (filesystem image file, partitioned disk image, or block device) to check: probed
 * with libblkid (a partitioned disk: the root partition chosen, see partition.h), its ext
 * superblock read directly, then mounted read-only with journal replay disabled (the options
 * of mounts/rootfs.h) on a read-only loop device (libmount's "loop", limited to the partition
 * by "offset=" and "sizelimit="), in a private mount namespace of this process. Nothing is
 * ever written to the image.
 */
#pragma once

#include <stdbool.h>

#include <stdint.h>

#include "extsb.h"
#include "finding.h"
#include "partition.h"
#include "qcow2raw.h"

struct image {
    const char *path;      /* the file read: the path given, or a qcow2 image's raw copy */
    const char *user;      /* the path given, for messages */
    struct qcow2raw raw;   /* a qcow2 image's raw copy (qcow2raw.h) */
    char name[4200];       /* for messages: the path given, or "PATH partition N" */
    uint64_t offset, size; /* the filesystem's range in the image (size: of the image when whole) */
    struct disk disk;      /* the partition table, when the image is a partitioned disk */
    int part;              /* the index in disk of the partition checked; -1: the whole image */
    char fstype[32];
    bool has_extsb;
    struct ext_sb extsb;
    int xfs_log_dirty; /* xfs: 1 the log needs replay, 0 clean, -1 not known or not xfs */
    char *mountpoint;  /* while mounted */
};

/* Probe path's filesystem and read what the superblock says; on a partitioned disk, the
 * partition numbered want_part (> 0) or the one disk_choose picks. A qcow2 image is read
 * through a raw copy of its virtual disk (qcow2raw.h). Prints why on failure: another QEMU
 * container format, a qcow2 image not read, no filesystem, no root partition to choose, a truncated
 * image, a corrupt superblock. What is not checked for this type goes to notes. */
int image_probe(struct image *img, const char *path, int want_part, struct notes *notes);

/* The partition checked, NULL when the image is a filesystem image. */
const struct part *image_partition(const struct image *img);

/* Enter a private mount namespace and mount the image read-only under a new temporary
 * directory; returns an O_PATH fd of its root. Prints why on failure. The log of xfs in a
 * partition is read here, through the read-only loop device (notes as image_probe). */
int image_mount(struct image *img, struct notes *notes);

/* Unmount (the loop device detaches itself), remove the temporary directory and a qcow2
 * image's raw copy, free the partition table. */
void image_done(struct image *img);
