/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DAX for the shared base: a base on a (virtio-)pmem device mapped from the image file on the
 * host, mounted with dax, is read by every guest straight from the host's one page-cache copy
 * instead of each guest's own page cache. Whether dax can be used depends on the device (it
 * must offer dax: /sys/class/block/DEV/queue/dax), the filesystem (ext2/ext4, xfs, erofs) and
 * its block size (the page size). sharedroot.dax=auto|always|off says what to do when it
 * cannot; see sharedroot-init(8) "Shared in host memory".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum dax_mode {
    DAX_AUTO,   /* dax when the device and the filesystem allow it; a warning when a dax
                 * device holds a filesystem that cannot use it */
    DAX_ALWAYS, /* dax or an error */
    DAX_OFF,    /* never added (rootflags= may still name it) */
};

/* sharedroot.dax= value: NULL is auto; -EINVAL for anything but auto, always, off. */
int dax_mode_parse(const char *value);

/* What the root stage knows before mounting. */
struct dax_facts {
    const char *fstype;
    int dev_dax;            /* 1: the device offers dax, 0: it does not, <0: unknown */
    unsigned long fs_bsize; /* the filesystem's block size, 0 when not known */
    unsigned long page_size;
    int misaligned; /* 1: a partition that does not start and end on a page boundary (the
                     * kernel maps no such partition with dax), 0: aligned or a whole disk,
                     * <0: unknown */
    bool user_dax;  /* rootflags= already holds a dax option: the user decided */
};

enum dax_verdict {
    DAX_NO,    /* mount without dax, nothing to say */
    DAX_USE,   /* add *option to the mount data */
    DAX_WARN,  /* mount without dax and warn with *why */
    DAX_ERROR, /* refuse the boot with *why */
};

/* Decide, purely from the facts. *option gets the mount option to add on DAX_USE ("dax" for
 * ext2, "dax=always" otherwise), *why a sentence for the user (what stops dax and what to
 * change) on DAX_WARN and DAX_ERROR; either may be NULL. */
enum dax_verdict dax_decide(enum dax_mode mode, const struct dax_facts *f, const char **option,
                            const char **why);

/* Does the mount data string hold a dax option ("dax", "dax=always", "dax=inode"; not
 * "dax=never")? */
bool dax_in_options(const char *opts);

/* 1 when the block device dev (/dev/NAME) offers dax (its queue/dax in sysfs; a partition's
 * disk's), 0 when not, negative errno when sysfs cannot say. sysfs is the root of /sys (NULL:
 * "/sys"). */
int dax_device_supported(const char *sysfs, const char *dev);

/* The filesystem block size libblkid reports for dev, for the types where its BLOCK_SIZE is
 * the filesystem's block size (ext2/3/4, erofs; for xfs it is the sector size). 0 when not
 * known. */
unsigned long dax_probe_fs_bsize(const char *dev, const char *fstype);

/* 1 when the block device dev (/dev/NAME) is a partition whose start or size (its sysfs
 * start and size, in 512-byte sectors) is not a multiple of page_size: the kernel refuses to
 * map it with dax. 0 for an aligned partition or a whole disk; -errno when sysfs (NULL:
 * /sys) cannot tell. *start and *sectors (either may be NULL) get the partition's. */
int dax_partition_misaligned(const char *sysfs, const char *dev, unsigned long page_size,
                             unsigned long long *start, unsigned long long *sectors);

/* Is the filesystem mounted at target using dax (a dax option in its mountinfo line)?
 * 1 yes, 0 no, negative errno when it cannot be read. */
int dax_mounted(const char *target);

/* A pmem namespace the kernel could not map (nd_pmem "misaligned, unable to map"): no block
 * device behind it. Writes its name ("namespace0.0") to name and returns 1; 0 when every
 * namespace has a driver or there is none. For the "did not appear" message. */
int dax_unmapped_namespace(const char *sysfs, char *name, size_t n);
