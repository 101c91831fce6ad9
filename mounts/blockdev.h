/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block device specs as the kernel command line and fstab write them: /dev/PATH, UUID=,
 * LABEL=, PARTUUID=, PARTLABEL=. Parsing is pure; resolving probes with libblkid.
 */
#pragma once

#include <stddef.h>

#include "why.h"

enum blockdev_spec_kind {
    SPEC_PATH,
    SPEC_UUID,
    SPEC_LABEL,
    SPEC_PARTUUID,
    SPEC_PARTLABEL,
    SPEC_NBD, /* nbd:... (nbd/nbd-spec.h): attached by the init, never resolved here */
};

struct blockdev_spec {
    enum blockdev_spec_kind kind;
    char value[256]; /* the path, or the tag value without quotes, or the whole nbd: spec */
};

/* Parse spec. An nbd: spec (nbd-spec.h, up to 255 bytes) is checked and kept whole as
 * SPEC_NBD. A path must be absolute (root=/dev/NAME is the documented form; other absolute
 * paths are accepted). Tag names are matched case-insensitively; values may be quoted "..."
 * or '...' (the quotes are stripped) and may contain spaces. -EINVAL for an empty, overlong
 * (> 255 bytes) or malformed spec ("UUID=", "foo", a relative path, control bytes, an
 * unknown TAG=, kernel-style "0801" or "8:1" device numbers, PARTUUID=.../PARTNROFF=), with
 * why (mounts/why.h) saying what is wrong, for the user. */
int blockdev_spec_parse(const char *spec, struct blockdev_spec *out, char *why, size_t n);

/* The tag name for libblkid ("UUID", ...) or NULL for SPEC_PATH. */
const char *blockdev_spec_tag(enum blockdev_spec_kind kind);

/* Find the device node for spec now. 0 and the node in dev; -ENOENT when no such device
 * exists (yet); -ENOTBLK when a path names something that is not a block device; -ENOTUNIQ
 * when two devices carry the tag (a cloned disk; dev then holds the first in sysfs name
 * order); other negative errno on errors. Never waits; sees devices that appeared since the
 * last call (no cache); needs /sys and /dev (devtmpfs), not udev. UUID and PARTUUID compare
 * case-insensitively like the kernel, LABEL and PARTLABEL exactly. A device whose
 * signatures are ambiguous matches nothing. */
int blockdev_resolve(const struct blockdev_spec *spec, char *dev, size_t n);

/* As blockdev_resolve; on -ENOTUNIQ the second matching device is written to dup (may be
 * NULL), so the caller can name both in its message. */
int blockdev_resolve_full(const struct blockdev_spec *spec, char *dev, size_t n, char *dup,
                          size_t dup_n);

/* Probe the filesystem type of dev with libblkid ("ext4", "erofs", ...). -ENOENT when
 * no filesystem signature is found (or dev is missing); -ENOTUNIQ when two signatures
 * conflict (see wipefs(8)); -EIO or other errno when probing failed. */
int blockdev_probe_fstype(const char *dev, char *type, size_t n);
