// SPDX-License-Identifier: GPL-2.0-or-later
/* sharedroot-mkbase's decisions: option values (bad ones included), the derived UUID, the
 * image size and the mkfs command lines. */
#include "baseplan.h"
#include "reconcile.h"
#include "testlib.h"

#include <errno.h>
#include <stdint.h>

TEST(type_accepts_ext4_and_erofs_only)
{
    enum base_type t = BASE_EROFS;
    CHECK_INT(plan_parse_type("ext4", &t), 0);
    CHECK_INT(t, BASE_EXT4);
    CHECK_INT(plan_parse_type("erofs", &t), 0);
    CHECK_INT(t, BASE_EROFS);
    static const char *const bad[] = {"", "EXT4", "ext3", "xfs", "squashfs", "ext4 ", "erofs\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(plan_parse_type(bad[i], &t), -EINVAL);
    CHECK_INT(plan_parse_type(NULL, &t), -EINVAL);
}

TEST(label_rules)
{
    const char *why = NULL;
    CHECK_INT(plan_check_label("base", &why), 0);
    CHECK_INT(plan_check_label("debian-12.base_1", &why), 0); /* 16 bytes */
    static const char *const bad[] = {
        "",          "seventeen-bytes-x", "has space", "a/b",     "quote\"d", "back\\slash",
        "tab\there", "\xc3\xa9t\xc3\xa9", "nl\n",      "'single'"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        CHECK_INT(plan_check_label(bad[i], &why), -EINVAL);
        CHECK(why != NULL);
    }
}

TEST(uuid_parse_lowercases_and_refuses_malformed)
{
    char u[37];
    CHECK_INT(plan_parse_uuid("5A7E0000-0000-4000-8000-00000000E404", u), 0);
    CHECK_STR(u, "5a7e0000-0000-4000-8000-00000000e404");
    static const char *const bad[] = {
        "",
        "5a7e0000000040008000000000000e404",
        "5a7e0000-0000-4000-8000-00000000e40",
        "5a7e0000-0000-4000-8000-00000000e4044",
        "5a7e0000-0000-4000-8000_00000000e404",
        "5a7e0000-0000-4000-8000-00000000e40g",
        "{5a7e0000-0000-4000-8000-00000000e40}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(plan_parse_uuid(bad[i], u), -EINVAL);
    CHECK_INT(plan_parse_uuid(NULL, u), -EINVAL);
}

TEST(size_parse_units_limits_and_alignment)
{
    uint64_t b = 0;
    CHECK_INT(plan_parse_size("64M", &b), 0);
    CHECK_INT(b, 64ull << 20);
    CHECK_INT(plan_parse_size("1g", &b), 0);
    CHECK_INT(b, 1ull << 30);
    CHECK_INT(plan_parse_size("9000000", &b), 0); /* bytes, rounded up to 2 MiB */
    CHECK_INT(b, 10ull << 20);
    CHECK_INT(plan_parse_size("16T", &b), 0);
    CHECK_INT(b, 16ull << 40);
    CHECK_INT(plan_parse_size("7M", &b), -ERANGE);
    CHECK_INT(plan_parse_size("17T", &b), -ERANGE);
    CHECK_INT(plan_parse_size("99999999999999999999999", &b), -ERANGE);
    CHECK_INT(plan_parse_size("18446744073709551615K", &b), -ERANGE);
    static const char *const bad[] = {"",     "M",   "-64M", "64MB", "64 M",
                                      "6.4G", "64X", " 64M", "0x40M"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(plan_parse_size(bad[i], &b), -EINVAL);
}

TEST(align_rounds_up_to_2mib)
{
    CHECK_INT(plan_align(0), 0);
    CHECK_INT(plan_align(1), 2ull << 20);
    CHECK_INT(plan_align(2ull << 20), 2ull << 20);
    CHECK_INT(plan_align(2015232), 2ull << 20);
    CHECK(plan_align(UINT64_MAX) % MKBASE_ALIGN == 0); /* no wrap to 0 */
    CHECK(plan_align(UINT64_MAX) > UINT64_MAX / 2);
}

static struct tree_stats stats(unsigned char seed)
{
    struct tree_stats st = {.files = 1000,
                            .dirs = 100,
                            .symlinks = 50,
                            .data_blocks = 20000,
                            .dir_bytes = 30000,
                            .newest_mtime = 1700000000};
    for (int i = 0; i < 32; i++)
        st.fingerprint[i] = (unsigned char)(seed + i * 7);
    return st;
}

TEST(uuid_from_tree_is_stable_and_differs_by_tree_type_label)
{
    struct tree_stats a = stats(1), b = stats(2);
    char u1[37], u2[37], u3[37], u4[37], u5[37];
    plan_uuid_from(&a, BASE_EXT4, "base", u1);
    plan_uuid_from(&a, BASE_EXT4, "base", u2);
    CHECK_STR(u1, u2);
    plan_uuid_from(&b, BASE_EXT4, "base", u3);
    CHECK(strcmp(u1, u3) != 0);
    plan_uuid_from(&a, BASE_EROFS, "base", u4);
    CHECK(strcmp(u1, u4) != 0);
    plan_uuid_from(&a, BASE_EXT4, NULL, u5);
    CHECK(strcmp(u1, u5) != 0);
    char back[37];
    CHECK_INT(plan_parse_uuid(u1, back), 0); /* well-formed */
    CHECK(u1[14] == '4');                    /* version 4 layout */
    CHECK(strchr("89ab", u1[19]) != NULL);   /* RFC 4122 variant */
}

TEST(ext4_size_holds_the_tree_and_is_aligned)
{
    struct tree_stats st = stats(1);
    uint64_t s = plan_ext4_size(&st);
    CHECK(s % MKBASE_ALIGN == 0);
    CHECK(s >= st.data_blocks * MKBASE_BLOCK + plan_ext4_inodes(&st) * 256);
    struct tree_stats empty = {0};
    CHECK(plan_ext4_size(&empty) >= 16ull << 20);
    CHECK(plan_ext4_inodes(&st) > st.files + st.dirs + st.symlinks);
}

static int argv_has(const char **argv, const char *s)
{
    for (int i = 0; argv[i]; i++)
        if (strcmp(argv[i], s) == 0)
            return i;
    return -1;
}

TEST(ext4_command_line)
{
    struct plan p = {.type = BASE_EXT4,
                     .dir = "/t",
                     .output = "/o/x",
                     .label = "base",
                     .uuid = "5a7e0000-0000-4000-8000-00000000e404",
                     .timestamp = 1700000000,
                     .size = 64ull << 20,
                     .inodes = 5000};
    const char *argv[40], *env[4];
    char buf[1024];
    CHECK_INT(plan_mkfs_argv(&p, argv, 40, env, buf, sizeof buf), 0);
    CHECK_STR(argv[0], "mkfs.ext4");
    int b = argv_has(argv, "-b");
    CHECK(b > 0 && strcmp(argv[b + 1], "4096") == 0);
    int d = argv_has(argv, "-d");
    CHECK(d > 0 && strcmp(argv[d + 1], "/t") == 0 && strcmp(argv[d + 2], "/o/x") == 0 &&
          strcmp(argv[d + 3], "65536k") == 0 && argv[d + 4] == NULL);
    CHECK(argv_has(argv, "hash_seed=5a7e0000-0000-4000-8000-00000000e404,nodiscard") > 0);
    CHECK(argv_has(argv, "^has_journal,^inline_data") > 0);
    CHECK(argv_has(argv, "5000") > 0);
    int l = argv_has(argv, "-L");
    CHECK(l > 0 && strcmp(argv[l + 1], "base") == 0);
    CHECK_STR(env[0], "E2FSPROGS_FAKE_TIME=1700000000");
    CHECK(env[1] == NULL);
}

/* The hash seed of a derived UUID is the seal the reconcile engine reads back from the
 * superblock; a UUID given by hand keeps itself as the seed and is never taken for sealed. */
TEST(hash_seed_seals_a_derived_uuid_only)
{
    struct plan p = {.type = BASE_EXT4, .uuid = "5a7e0000-0000-4000-8000-00000000e404"};
    char seed[37], back[37];
    uint8_t sb[RC_EXT_SB_SIZE] = {0},
            uuid[16] = {0x5a, 0x7e, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0xe4, 0x04};
    plan_hash_seed(&p, seed);
    CHECK_STR(seed, p.uuid); /* given by hand: as before */
    p.uuid_derived = true;
    plan_hash_seed(&p, seed);
    CHECK(strcmp(seed, p.uuid) != 0);
    CHECK_INT(plan_parse_uuid(seed, back), 0); /* what mke2fs -E hash_seed= takes */
    /* the superblock mke2fs writes from it: magic, s_uuid, s_hash_seed */
    sb[0x38] = 0x53;
    sb[0x39] = 0xEF;
    memcpy(sb + 0x68, uuid, 16);
    for (int i = 0, k = 0; seed[i]; i++)
        if (seed[i] != '-') {
            char h[3] = {seed[i], seed[i + 1], 0};
            sb[0xEC + k++] = (uint8_t)strtoul(h, NULL, 16);
            i++;
        }
    CHECK(rc_ext_sb_sealed(sb));
    sb[0xEC + 15] ^= 1; /* another seed */
    CHECK(!rc_ext_sb_sealed(sb));
    sb[0xEC + 15] ^= 1;
    sb[0x68] ^= 1; /* another UUID with this seed */
    CHECK(!rc_ext_sb_sealed(sb));
    sb[0x68] ^= 1;
    sb[0x38] = 0; /* not ext */
    CHECK(!rc_ext_sb_sealed(sb));
    /* the seed of a UUID given by hand is the UUID: never the seal */
    sb[0x38] = 0x53;
    memcpy(sb + 0xEC, uuid, 16);
    CHECK(!rc_ext_sb_sealed(sb));
    /* an all-zero superblock (mkfs never wrote one) */
    memset(sb, 0, sizeof sb);
    sb[0x38] = 0x53;
    sb[0x39] = 0xEF;
    CHECK(!rc_ext_sb_sealed(sb));
    /* a malformed UUID in the plan never gives a seal */
    struct plan bad = {.type = BASE_EXT4, .uuid = "5a7e", .uuid_derived = true};
    plan_hash_seed(&bad, seed);
    CHECK_STR(seed, "5a7e");
    struct plan ext = p;
    const char *argv[40], *env[4];
    char buf[1024], want[80];
    ext.dir = "/t";
    ext.output = "/o/x";
    ext.size = 64ull << 20;
    CHECK_INT(plan_mkfs_argv(&ext, argv, 40, env, buf, sizeof buf), 0);
    plan_hash_seed(&ext, seed);
    snprintf(want, sizeof want, "hash_seed=%s,nodiscard", seed);
    CHECK(argv_has(argv, want) > 0);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

/* A superblock as sharedroot-mkbase leaves a sealed image: the seal and the sealed write
 * state of its UUID. */
static void sealed_sb(uint8_t sb[RC_EXT_SB_SIZE], const uint8_t uuid[16])
{
    memset(sb, 0, RC_EXT_SB_SIZE);
    sb[0x38] = 0x53;
    sb[0x39] = 0xEF;
    memcpy(sb + 0x68, uuid, 16);
    rc_base_seal(uuid, sb + 0xEC);
    struct rc_write_seal w = rc_base_write_seal(uuid);
    put_le(sb + 0x3A, 1, 2); /* s_state: valid */
    put_le(sb + 0x30, w.wtime, 4);
    put_le(sb + 0x178, w.kbytes, 8);
    put_le(sb + 0x108, 1700000000, 4); /* s_mkfs_time: not part of it */
}

/* The sealed write state: in range (a write time in January 1970, at least 1 KiB written so
 * that libext2fs keeps counting), derived from the UUID, and every field a write moves is
 * checked; a superblock that carries the seal but not the state (an old mkbase image, or
 * one written since) is not untouched. */
TEST(write_state_seal)
{
    const uint8_t u1[16] = {0x5a, 0x7e, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0xe4, 0x04};
    uint8_t u2[16], sb[RC_EXT_SB_SIZE];
    memcpy(u2, u1, 16);
    u2[15] ^= 0x80;
    struct rc_write_seal a = rc_base_write_seal(u1), b = rc_base_write_seal(u2);
    CHECK(a.wtime >= 1 && a.wtime <= (1u << 20));
    CHECK(a.kbytes >= 1 && a.kbytes <= (1u << 20) + 1);
    CHECK(a.kbytes != b.kbytes); /* another UUID, another state */
    uint8_t ones[16], zeros[16] = {0};
    memset(ones, 0xff, sizeof ones);
    CHECK(rc_base_write_seal(ones).wtime >= 1 && rc_base_write_seal(zeros).kbytes >= 1);

    sealed_sb(sb, u1);
    CHECK(rc_ext_sb_sealed(sb));
    CHECK(rc_ext_sb_untouched(sb));
    /* what a write moves, one at a time */
    static const struct {
        unsigned off, n;
        uint64_t v;
    } moved[] = {
        {0x34, 2, 1},          /* a read-write mount: the mount count */
        {0x2C, 4, 1800000000}, /* and the mount time */
        {0x275, 1, 1},         /* its high byte */
        {0x30, 4, 1700000000}, /* a libext2fs write at the tree's time (FAKE_TIME) */
        {0x274, 1, 1},         /* the write time's high byte */
        {0x178, 8, 0},         /* kilobytes written: none */
        {0x3A, 2, 0},          /* mounted, not cleanly unmounted */
        {0x3A, 2, 3},          /* errors */
        {0x194, 4, 1},         /* an error recorded */
    };
    for (size_t i = 0; i < sizeof moved / sizeof *moved; i++) {
        sealed_sb(sb, u1);
        put_le(sb + moved[i].off, moved[i].v, (int)moved[i].n);
        CHECK(rc_ext_sb_sealed(sb));
        CHECK(!rc_ext_sb_untouched(sb));
    }
    /* the kernel adds to the kilobytes written */
    sealed_sb(sb, u1);
    put_le(sb + 0x178, a.kbytes + 4, 8);
    CHECK(!rc_ext_sb_untouched(sb));
    /* another UUID's state (a superblock's fields copied from another sealed image) */
    sealed_sb(sb, u1);
    put_le(sb + 0x178, b.kbytes, 8);
    put_le(sb + 0x30, b.wtime, 4);
    CHECK(!rc_ext_sb_untouched(sb));
    /* the write state without the seal: a UUID given by hand never counts */
    sealed_sb(sb, u1);
    memcpy(sb + 0xEC, u1, 16);
    CHECK(!rc_ext_sb_untouched(sb));
    /* not ext; all zero; all ones */
    sealed_sb(sb, u1);
    sb[0x39] = 0;
    CHECK(!rc_ext_sb_untouched(sb));
    memset(sb, 0, sizeof sb);
    CHECK(!rc_ext_sb_untouched(sb));
    memset(sb, 0xff, sizeof sb);
    CHECK(!rc_ext_sb_untouched(sb));
}

TEST(erofs_command_line)
{
    struct plan p = {.type = BASE_EROFS,
                     .dir = "/t",
                     .output = "/o/x",
                     .uuid = "5a7e0000-0000-4000-8000-00000000e404",
                     .timestamp = 1700000000};
    const char *argv[40], *env[4];
    char buf[1024];
    CHECK_INT(plan_mkfs_argv(&p, argv, 40, env, buf, sizeof buf), 0);
    CHECK_STR(argv[0], "mkfs.erofs");
    CHECK(argv_has(argv, "-Enosbcrc") < 0); /* no label: the checksum stays */
    CHECK(argv_has(argv, "-T") < 0);        /* -T would give every file one mtime */
    /* no tail packing: erofs maps only files without inline data with dax */
    CHECK(argv_has(argv, "-Enoinline_data") > 0);
    int o = argv_has(argv, "/o/x");
    CHECK(o > 0 && strcmp(argv[o + 1], "/t") == 0 && argv[o + 2] == NULL);
    CHECK_STR(env[0], "SOURCE_DATE_EPOCH=1700000000");
    p.label = "b";
    CHECK_INT(plan_mkfs_argv(&p, argv, 40, env, buf, sizeof buf), 0);
    CHECK(argv_has(argv, "-Enosbcrc") > 0);
}

TEST(command_line_that_does_not_fit_is_refused)
{
    struct plan p = {.type = BASE_EXT4,
                     .dir = "/t",
                     .output = "/o/x",
                     .uuid = "5a7e0000-0000-4000-8000-00000000e404",
                     .size = 64ull << 20};
    const char *argv[40], *env[4];
    char buf[16];
    CHECK_INT(plan_mkfs_argv(&p, argv, 40, env, buf, sizeof buf), -ENOSPC);
    char big[1024];
    CHECK_INT(plan_mkfs_argv(&p, argv, 5, env, big, sizeof big), -ENOSPC);
}

int main(void)
{
    return test_main();
}
