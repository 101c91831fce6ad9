/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ext2/3/4 superblock fields that tell whether an image is clean enough to share: read
 * from the image itself (1024 bytes at offset 1024), before and without mounting it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define EXT_SB_OFFSET 1024
#define EXT_SB_SIZE 1024

#define EXT_STATE_ERROR 0x0002               /* s_state: errors detected */
#define EXT_INCOMPAT_RECOVER 0x0004          /* journal needs recovery */
#define EXT_RO_COMPAT_ORPHAN_PRESENT 0x10000 /* orphan_file has entries */

struct ext_sb {
    uint16_t state;
    uint32_t rev_level;
    uint32_t feature_compat, feature_incompat, feature_ro_compat;
    uint32_t last_orphan;
    uint64_t size; /* bytes the filesystem spans: blocks count times block size */
};

/* Parse a superblock of EXT_SB_SIZE bytes (little endian on disk). -EINVAL when the magic
 * is not 0xEF53, -EUCLEAN when the block size is impossible (a corrupt superblock). Pure. */
int ext_sb_parse(const uint8_t *buf, struct ext_sb *sb);

/* Read and parse the superblock of the filesystem that starts base bytes into the image or
 * device open at fd (a partition's start, or 0). -EINVAL for no ext magic, -EIO for a short
 * read (a truncated image). */
int ext_sb_read(int fd, uint64_t base, struct ext_sb *sb);

/* Incompat and ro_compat bits Linux 6.1 (Debian 12's kernel) does not know. An unknown
 * incompat bit stops any mount; an unknown ro_compat bit stops a read-write mount only. */
uint32_t ext_sb_unknown_incompat(const struct ext_sb *sb);
uint32_t ext_sb_unknown_ro_compat(const struct ext_sb *sb);

/* "dirdata,0x40000000" for the bits in mask (incompat or ro_compat table), into buf. */
void ext_sb_feature_names(uint32_t mask, int ro_compat, char *buf, size_t n);
