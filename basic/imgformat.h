/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What container format a disk-image file is in, from its header (and, for VHD, its footer).
 * Programs that take an admin's image (sharedroot-check-base, sharedroot-boottest) use it to
 * say "this is a qcow2 image" instead of failing far from the cause. It only reads: pread at
 * fixed offsets, the file position is not moved. A file with none of these headers is
 * IMG_FORMAT_RAW (a filesystem, a partitioned disk, or anything else: the caller probes on).
 *
 * Never use it to decide how to open a disk a guest can write (an instance disk): a guest can
 * write any header into it. Such disks are raw, always.
 */
#pragma once

enum img_format {
    IMG_FORMAT_RAW = 0,
    IMG_FORMAT_QCOW2, /* "QFI\xfb", version 2 or 3 */
    IMG_FORMAT_QCOW,  /* "QFI\xfb", version 1 */
    IMG_FORMAT_QED,   /* "QED\0" */
    IMG_FORMAT_VMDK,  /* "KDMV" (sparse extent), "COWD" (ESX), or a text descriptor */
    IMG_FORMAT_VDI,   /* 0xbeda107f at offset 0x40 */
    IMG_FORMAT_VHDX,  /* "vhdxfile" */
    IMG_FORMAT_VPC,   /* VHD: "conectix" at 0 (dynamic) or in the last 512 bytes (fixed) */
    IMG_FORMAT_COUNT,
};

/* 0 and *fmt, or a negative errno when the file cannot be read (EBADF, EIO...). A file too short
 * for a header is raw. */
int img_format_detect(int fd, enum img_format *fmt);

/* QEMU's name of the format ("raw", "qcow2", "qcow", "qed", "vmdk", "vdi", "vhdx", "vpc"), as
 * -drive format= and qemu-img -O take it; "unknown" for a value out of range. */
const char *img_format_name(enum img_format fmt);
