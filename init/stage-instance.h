/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stage "instance": decide the instance layout (sharedroot.instance=, a layout file, or
 * volatile), publish the base read-only at /run/sharedroot/base, then fsck, mount and claim
 * each instance filesystem. Nothing is ever formatted; a filesystem that is not empty and not
 * ours is refused untouched.
 */
#pragma once

#include "context.h"

int stage_instance(struct boot_ctx *ctx);

/* How much mount_instance_device looks at a filesystem, READ-ONLY, before fsck and the
 * read-write mount (either of which may write): */
enum instance_inspect {
    INSPECT_NONE,  /* a /tmp partition */
    INSPECT_CLAIM, /* instance storage: ours or empty, else refused untouched */
    INSPECT_UPPER, /* the same, and it must be able to hold overlay upper dirs */
};

/* Mount a device named by a spec read-write at target after fsck; used for instance
 * partitions and a /tmp partition. what names the option or layout line in messages. */
int mount_instance_device(struct boot_ctx *ctx, const char *what, const char *spec,
                          const char *fstype, const char *options, int passno, const char *target,
                          char *dev, size_t dev_size, enum instance_inspect inspect);
