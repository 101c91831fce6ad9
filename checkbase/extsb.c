// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ext superblock reading. Offsets are those of struct ext4_super_block in Linux
 * fs/ext4/ext4.h; the feature tables are Linux 6.1's EXT4_FEATURE_*_SUPP.
 */
#include "extsb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define OFF_BLOCKS_COUNT_LO 0x04
#define OFF_LOG_BLOCK_SIZE 0x18
#define OFF_BLOCKS_COUNT_HI 0x150
#define OFF_MAGIC 0x38
#define OFF_STATE 0x3A
#define OFF_REV_LEVEL 0x4C
#define OFF_FEATURE_COMPAT 0x5C
#define OFF_FEATURE_INCOMPAT 0x60
#define OFF_FEATURE_RO_COMPAT 0x64
#define OFF_LAST_ORPHAN 0xE8
#define EXT_MAGIC 0xEF53
#define INCOMPAT_64BIT 0x0080
#define MAX_LOG_BLOCK_SIZE 6 /* 64 KiB, the largest ext4 block */

struct feature {
    uint32_t bit;
    const char *name;
    int known; /* mountable by Linux 6.1 */
};

static const struct feature incompat_features[] = {
    {0x0001, "compression", 0}, {0x0002, "filetype", 1},    {0x0004, "needs_recovery", 1},
    {0x0008, "journal_dev", 0}, {0x0010, "meta_bg", 1},     {0x0040, "extent", 1},
    {0x0080, "64bit", 1},       {0x0100, "mmp", 1},         {0x0200, "flex_bg", 1},
    {0x0400, "ea_inode", 1},    {0x1000, "dirdata", 0},     {0x2000, "metadata_csum_seed", 1},
    {0x4000, "large_dir", 1},   {0x8000, "inline_data", 1}, {0x10000, "encrypt", 1},
    {0x20000, "casefold", 1},
};

static const struct feature ro_compat_features[] = {
    {0x0001, "sparse_super", 1}, {0x0002, "large_file", 1},      {0x0004, "btree_dir", 1},
    {0x0008, "huge_file", 1},    {0x0010, "uninit_bg", 1},       {0x0020, "dir_nlink", 1},
    {0x0040, "extra_isize", 1},  {0x0080, "snapshot", 0},        {0x0100, "quota", 1},
    {0x0200, "bigalloc", 1},     {0x0400, "metadata_csum", 1},   {0x0800, "replica", 0},
    {0x1000, "read-only", 1},    {0x2000, "project", 1},         {0x4000, "shared_blocks", 1},
    {0x8000, "verity", 1},       {0x10000, "orphan_present", 1},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int ext_sb_parse(const uint8_t *buf, struct ext_sb *sb)
{
    if (le16(buf + OFF_MAGIC) != EXT_MAGIC)
        return -EINVAL;
    *sb = (struct ext_sb){
        .state = le16(buf + OFF_STATE),
        .rev_level = le32(buf + OFF_REV_LEVEL),
        .last_orphan = le32(buf + OFF_LAST_ORPHAN),
    };
    /* Revision 0 filesystems have no feature fields; whatever is there is not meant. */
    if (sb->rev_level >= 1) {
        sb->feature_compat = le32(buf + OFF_FEATURE_COMPAT);
        sb->feature_incompat = le32(buf + OFF_FEATURE_INCOMPAT);
        sb->feature_ro_compat = le32(buf + OFF_FEATURE_RO_COMPAT);
    }
    uint32_t log_bs = le32(buf + OFF_LOG_BLOCK_SIZE);
    if (log_bs > MAX_LOG_BLOCK_SIZE)
        return -EUCLEAN;
    uint64_t blocks = le32(buf + OFF_BLOCKS_COUNT_LO);
    if (sb->feature_incompat & INCOMPAT_64BIT)
        blocks |= (uint64_t)le32(buf + OFF_BLOCKS_COUNT_HI) << 32;
    sb->size = blocks << (10 + log_bs);
    return 0;
}

int ext_sb_read(int fd, uint64_t base, struct ext_sb *sb)
{
    uint8_t buf[EXT_SB_SIZE];
    size_t got = 0;
    while (got < sizeof(buf)) {
        ssize_t k = pread(fd, buf + got, sizeof(buf) - got, (off_t)(base + EXT_SB_OFFSET + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            return -EIO;
        got += (size_t)k;
    }
    return ext_sb_parse(buf, sb);
}

static uint32_t unknown_bits(uint32_t v, const struct feature *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].known)
            v &= ~t[i].bit;
    return v;
}

uint32_t ext_sb_unknown_incompat(const struct ext_sb *sb)
{
    return unknown_bits(sb->feature_incompat, incompat_features, N(incompat_features));
}

uint32_t ext_sb_unknown_ro_compat(const struct ext_sb *sb)
{
    return unknown_bits(sb->feature_ro_compat, ro_compat_features, N(ro_compat_features));
}

static const char *feature_name(uint32_t bit, const struct feature *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].bit == bit)
            return t[i].name;
    return NULL;
}

void ext_sb_feature_names(uint32_t mask, int ro_compat, char *buf, size_t n)
{
    const struct feature *t = ro_compat ? ro_compat_features : incompat_features;
    size_t nt = ro_compat ? N(ro_compat_features) : N(incompat_features);
    size_t len = 0;
    if (n)
        buf[0] = '\0';
    for (int i = 0; i < 32; i++) {
        uint32_t bit = (uint32_t)1 << i;
        if (!(mask & bit))
            continue;
        const char *name = feature_name(bit, t, nt);
        char unknown[16];
        if (!name) {
            snprintf(unknown, sizeof(unknown), "0x%x", (unsigned)bit);
            name = unknown;
        }
        int k = snprintf(buf + len, n - len, "%s%s", len ? "," : "", name);
        if (k < 0 || (size_t)k >= n - len)
            return; /* truncated, still NUL-terminated */
        len += (size_t)k;
    }
}
