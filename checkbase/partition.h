/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A partitioned disk image (GPT or MBR, the way distributions ship cloud images): its
 * partitions read with libblkid, each checked against the image's size and the others, the
 * filesystem in each, and the choice of the one that is the root. Everything the table says
 * comes from the image and is untrusted: a partition past the end of the image, overlapping
 * another or empty is never probed, never chosen, and named with its problem.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* More entries than any disk image has (GPT's default table holds 128). */
#define DISK_MAX_PARTS 256

/* The Discoverable Partitions Specification's root partition type for x86-64. */
#define GPT_TYPE_ROOT_X86_64 "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"

struct part {
    int number;               /* as the table numbers it (sda1 is 1) */
    uint64_t start, size;     /* bytes from the start of the image */
    char type[40];            /* GPT type GUID in lower case, or "0x83" for MBR */
    char name[80];            /* GPT partition name, printable; "" when none */
    char partuuid[40];        /* "" when none */
    char fstype[32];          /* the filesystem in it; "" when none was found */
    char uuid[64], label[80]; /* the filesystem's UUID and LABEL; "" when none */
    bool extended;            /* an MBR extended partition: a container of others */
    bool fs_ambiguous;        /* more than one filesystem signature in it */
    const char *problem;      /* why it is not usable (static text), NULL when fine */
};

struct disk {
    char pttype[8]; /* "gpt", "dos" */
    uint64_t size;  /* of the image */
    struct part *v;
    size_t n;
};

/* Read the partition table of the image open at fd (size bytes), then the filesystem of every
 * usable partition (only within its range). 1: a table was found (free it with disk_done), 0:
 * none, negative errno with why saying what is wrong (a table too large, out of memory). */
int disk_probe(int fd, uint64_t size, struct disk *d, char *why, size_t n);
void disk_done(struct disk *d);

/* Mark the partitions an image cannot hold: empty, past the end of the image, overlapping
 * another (extended MBR partitions contain the logical ones and are left out). Pure. */
void disk_validate(struct disk *d);

/* The partition to check as the root: number want when want > 0; otherwise the only partition
 * of the x86-64 root type, else the only one holding a filesystem a root can be whose type
 * does not name another use (ESP, XBOOTLDR /boot, swap, /home, /srv, /var, /usr). Its index, or
 * a negative errno with why saying why none was chosen: -ENOENT no candidate or no such
 * number, -ENOTUNIQ more than one, -EINVAL the partition asked for is not usable. Pure. */
int disk_choose(const struct disk *d, int want, char *why, size_t n);

/* A filesystem type a root can be: ext2/3/4, xfs, btrfs, erofs, squashfs. */
bool fstype_can_be_root(const char *fstype);

/* What a partition type is called ("linux-root-x86-64", "esp", ...), NULL when unknown. */
const char *part_type_name(const char *type);

/* One line describing p: "2: 200 MiB, type esp (c12a...), vfat, label "EFI", PARTUUID ...". */
void part_describe(const struct part *p, char *buf, size_t n);

/* Print every partition of d, one per line, each indented by two spaces. */
void disk_list(const struct disk *d, FILE *out);

/* The partition of d that an fstab source names (tag is PARTUUID, PARTLABEL, UUID or LABEL,
 * as in "UUID=..."): its index, or -1. UUIDs compare without regard to case. Pure. */
int disk_find(const struct disk *d, const char *tag, const char *value);
