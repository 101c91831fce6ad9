// SPDX-License-Identifier: GPL-2.0-or-later
#define TESTLIB_IMPLEMENTATION
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "extsb.h"

static void put32(uint8_t *b, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* A superblock of a clean 16 MiB, 1 KiB-block ext4 with revision 1. */
static void clean_sb(uint8_t *b)
{
    memset(b, 0, EXT_SB_SIZE);
    put32(b, 0x04, 16384);          /* blocks */
    put32(b, 0x18, 0);              /* log block size: 1 KiB */
    b[0x38] = 0x53, b[0x39] = 0xEF; /* magic */
    b[0x3A] = 1;                    /* state: clean */
    put32(b, 0x4C, 1);              /* revision */
    put32(b, 0x60, 0x2C2);          /* filetype, extent, 64bit, flex_bg */
    put32(b, 0x64, 0x46B);
}

TEST(extsb_parses_clean_superblock)
{
    uint8_t b[EXT_SB_SIZE];
    struct ext_sb sb;
    clean_sb(b);
    CHECK_INT(ext_sb_parse(b, &sb), 0);
    CHECK_INT(sb.feature_incompat, 0x2C2);
    CHECK_INT(sb.last_orphan, 0);
    CHECK_INT(sb.size, 16384 * 1024);
    CHECK_INT(ext_sb_unknown_incompat(&sb), 0);
    CHECK_INT(ext_sb_unknown_ro_compat(&sb), 0);
}

TEST(extsb_sees_needs_recovery_and_orphans)
{
    uint8_t b[EXT_SB_SIZE];
    struct ext_sb sb;
    clean_sb(b);
    put32(b, 0x60, 0x2C2 | EXT_INCOMPAT_RECOVER);
    put32(b, 0xE8, 14);
    b[0x3A] = 1 | EXT_STATE_ERROR;
    CHECK_INT(ext_sb_parse(b, &sb), 0);
    CHECK(sb.feature_incompat & EXT_INCOMPAT_RECOVER);
    CHECK_INT(sb.last_orphan, 14);
    CHECK(sb.state & EXT_STATE_ERROR);
    CHECK_INT(ext_sb_unknown_incompat(&sb), 0); /* needs_recovery is known, not a feature gap */
}

TEST(extsb_names_features_linux_6_1_cannot_mount)
{
    uint8_t b[EXT_SB_SIZE];
    struct ext_sb sb;
    char names[128];
    clean_sb(b);
    put32(b, 0x60, 0x2C2 | 0x1 | 0x1000 | 0x40000000);
    put32(b, 0x64, 0x46B | 0x800);
    CHECK_INT(ext_sb_parse(b, &sb), 0);
    CHECK_INT(ext_sb_unknown_incompat(&sb), 0x1 | 0x1000 | 0x40000000);
    ext_sb_feature_names(ext_sb_unknown_incompat(&sb), 0, names, sizeof(names));
    CHECK_STR(names, "compression,dirdata,0x40000000");
    ext_sb_feature_names(ext_sb_unknown_ro_compat(&sb), 1, names, sizeof(names));
    CHECK_STR(names, "replica");
}

TEST(extsb_feature_names_truncate_safely)
{
    char names[8];
    ext_sb_feature_names(0x1 | 0x1000, 0, names, sizeof(names));
    CHECK(strlen(names) < sizeof(names));
}

TEST(extsb_rejects_bad_magic_and_block_size)
{
    uint8_t b[EXT_SB_SIZE];
    struct ext_sb sb;
    memset(b, 0, sizeof(b));
    CHECK_INT(ext_sb_parse(b, &sb), -EINVAL);
    clean_sb(b);
    put32(b, 0x18, 30);
    CHECK_INT(ext_sb_parse(b, &sb), -EUCLEAN);
}

TEST(extsb_revision_0_has_no_features)
{
    uint8_t b[EXT_SB_SIZE];
    struct ext_sb sb;
    clean_sb(b);
    put32(b, 0x4C, 0);
    put32(b, 0x60, 0xFFFFFFFF);
    CHECK_INT(ext_sb_parse(b, &sb), 0);
    CHECK_INT(sb.feature_incompat, 0);
}

TEST(extsb_64bit_block_count)
{
    uint8_t b[EXT_SB_SIZE];
    struct ext_sb sb;
    clean_sb(b);
    put32(b, 0x150, 1);
    put32(b, 0x18, 2); /* 4 KiB */
    CHECK_INT(ext_sb_parse(b, &sb), 0);
    CHECK(sb.size == ((1ULL << 32) + 16384) * 4096);
}

TEST(extsb_read_of_truncated_file_is_eio)
{
    char path[] = "/tmp/test-extsb.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    unlink(path);
    CHECK_INT(write(fd, "x", 1), 1);
    struct ext_sb sb;
    CHECK_INT(ext_sb_read(fd, 0, &sb), -EIO);
    uint8_t b[EXT_SB_OFFSET + EXT_SB_SIZE];
    memset(b, 0, sizeof(b));
    clean_sb(b + EXT_SB_OFFSET);
    CHECK_INT(pwrite(fd, b, sizeof(b), 0), (long long)sizeof(b));
    CHECK_INT(ext_sb_read(fd, 0, &sb), 0);
    close(fd);
}

int main(void)
{
    return test_main();
}
