/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An image (filesystem image file or block device) to check: probed with libblkid, its ext
 * superblock read directly, then mounted read-only with journal replay disabled (the options
 * of mounts/rootfs.h) on a read-only loop device (libmount's "loop"), in a private mount
 * namespace of this process. Nothing is ever written to the image.
 */
#pragma once

#include <stdbool.h>

#include "extsb.h"
#include "finding.h"

struct image {
    const char *path;
    char fstype[32];
    bool has_extsb;
    struct ext_sb extsb;
    int xfs_log_dirty; /* xfs: 1 the log needs replay, 0 clean, -1 not known or not xfs */
    char *mountpoint;  /* while mounted */
};

/* Probe path's filesystem and read what the superblock says. Prints why on failure: no
 * filesystem, a truncated image, a corrupt superblock. What is not checked for this type
 * goes to notes. */
int image_probe(struct image *img, const char *path, struct notes *notes);

/* Enter a private mount namespace and mount the image read-only under a new temporary
 * directory; returns an O_PATH fd of its root. Prints why on failure. */
int image_mount(struct image *img);

/* Unmount (the loop device detaches itself) and remove the temporary directory. */
void image_done(struct image *img);
