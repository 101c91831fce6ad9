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

/* A disk named where a filesystem was expected that holds a partition table instead (a
 * distribution's cloud image is a GPT disk with the root on a partition): the table's type
 * and the partitions the kernel found on the disk, for a message that names the one to use. */
#define BLOCKDEV_PARTS_MAX 16

struct blockdev_part {
    char node[64];      /* /dev/vda1 */
    char fstype[32];    /* "ext4", "" when no filesystem was found */
    char label[64];     /* LABEL= of the filesystem, "" none */
    char uuid[64];      /* UUID= of the filesystem */
    char partuuid[64];  /* PARTUUID= of the partition table entry */
    char partlabel[64]; /* PARTLABEL= */
};

struct blockdev_ptable {
    char type[16]; /* libblkid's PTTYPE: "gpt", "dos", ... */
    size_t n;      /* partitions in parts[], in the kernel's order */
    size_t n_more; /* partitions beyond BLOCKDEV_PARTS_MAX, not in parts[] */
    struct blockdev_part parts[BLOCKDEV_PARTS_MAX];
};

/* Probe dev (a whole disk) for a partition table with libblkid and list the partitions the
 * kernel made of it (/sys/class/block/DISK/DISKn: their device nodes), each probed for its
 * filesystem type, LABEL, UUID, PARTUUID and PARTLABEL. 0 when dev holds a partition table
 * (n may be 0: a table the kernel did not read, or an empty one); -ENOENT when it holds none;
 * other negative errno when it cannot be probed. */
int blockdev_probe_ptable(const char *dev, struct blockdev_ptable *pt);

/* One partition for a message: "ext4, LABEL=root, UUID=..., PARTUUID=..." (the parts that
 * are known), or "no filesystem found". Pure. */
void blockdev_part_describe(const struct blockdev_part *p, char *buf, size_t n);

/* The partition to suggest instead of the whole disk: the first whose filesystem can be
 * mounted as a root or an instance filesystem (not vfat: an EFI system partition; not swap);
 * else the first with any filesystem; NULL when none has one. Pure. */
const struct blockdev_part *blockdev_ptable_pick(const struct blockdev_ptable *pt);

/* The specs that name p, for the fix a message suggests: "root=/dev/vda1, root=PARTUUID=...
 * or root=LABEL=..." (those p has) with key "root"; without a key (NULL: a layout file's
 * source column) "/dev/vda1, PARTUUID=... or LABEL=...". Pure. */
void blockdev_part_specs(const struct blockdev_part *p, const char *key, char *buf, size_t n);

/* When dev is a partition (sysfs has a "partition" file for it): its whole disk's device node
 * (the kernel's DEVNAME), checked to be that disk's block device. 1 and disk filled; 0 when dev
 * is a whole disk or not a block device (disk empty); negative errno when the disk cannot be
 * found (-ENODEV: no node for it in /dev). */
int blockdev_partition_disk(const char *dev, char *disk, size_t n);
