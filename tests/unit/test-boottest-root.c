// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-boottest's root= for a raw base that holds a partition table (a cloud image) and
 * no root given: root_decide() on crafted tables (the table as checkbase/partition.c reads
 * it), what it leaves alone (a root given, a root= in the append, no table), its refusal with
 * the partitions listed, and the command line it leads to. The reading of real images, and
 * the refusal before any QEMU starts, are in tests/priv/boottest.sh.
 */
#define TESTLIB_IMPLEMENTATION
#include "testlib.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "partition.h"
#include "runfile.h"

#define MIB (1024ULL * 1024)
#define ESP_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define LINUX_TYPE "0fc63daf-8483-4772-8e79-3d69d8477de4"
#define PU1 "5a7e0000-0000-4000-8000-0000000c1d01"

static struct part mkpart(int number, uint64_t start_mib, uint64_t size_mib, const char *type,
                          const char *fstype, const char *partuuid)
{
    struct part p = {.number = number, .start = start_mib * MIB, .size = size_mib * MIB};
    snprintf(p.type, sizeof p.type, "%s", type);
    snprintf(p.fstype, sizeof p.fstype, "%s", fstype);
    snprintf(p.partuuid, sizeof p.partuuid, "%s", partuuid);
    return p;
}

/* A 1 GiB disk of n partitions, checked as disk_probe() checks them. */
static struct disk mkdisk(const char *pttype, struct part *v, size_t n)
{
    struct disk d = {.size = 1024 * MIB, .v = v, .n = n};
    snprintf(d.pttype, sizeof d.pttype, "%s", pttype);
    disk_validate(&d);
    return d;
}

static struct bt_config base_config(void)
{
    return (struct bt_config){.kernel = "/k", .base = "/b.img"};
}

TEST(root_auto_picks_the_root_type_by_partuuid)
{
    struct part v[] = {mkpart(1, 1, 100, ESP_TYPE, "vfat", "5a7e0000-0000-4000-8000-00000000e5b1"),
                       mkpart(2, 101, 500, GPT_TYPE_ROOT_X86_64, "ext4", PU1)};
    struct disk d = mkdisk("gpt", v, 2);
    struct bt_config c = base_config();
    char spec[64], msg[4096];

    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), 1);
    CHECK_STR(spec, "PARTUUID=" PU1);
    CHECK_STR(msg, "partition 2, linux-root-x86-64, ext4");
}

TEST(root_auto_picks_the_only_linux_filesystem_of_a_cloud_image)
{
    /* the layout of qemu-tests' boottest-cloud-image: root (generic type) on 1, ESP on 2 */
    struct part v[] = {mkpart(1, 1, 300, LINUX_TYPE, "ext4", PU1),
                       mkpart(2, 301, 8, ESP_TYPE, "vfat", "")};
    struct disk d = mkdisk("gpt", v, 2);
    struct bt_config c = base_config();
    char spec[64], msg[4096];

    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), 1);
    CHECK_STR(spec, "PARTUUID=" PU1);
    CHECK_STR(msg, "partition 1, linux-generic, ext4");
}

TEST(root_auto_names_the_device_when_there_is_no_partuuid)
{
    struct part v[] = {mkpart(1, 1, 100, ESP_TYPE, "vfat", ""),
                       mkpart(3, 101, 500, LINUX_TYPE, "xfs", "")};
    struct disk d = mkdisk("gpt", v, 2);
    struct bt_config c = base_config();
    char spec[64], msg[4096];

    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), 1);
    CHECK_STR(spec, "/dev/vda3");
    c.base_device = BASE_DEVICE_PMEM;
    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), 1);
    CHECK_STR(spec, "/dev/pmem0p3");
    /* a nil GUID names nothing either */
    snprintf(v[1].partuuid, sizeof v[1].partuuid, "00000000-0000-0000-0000-000000000000");
    c.base_device = BASE_DEVICE_BLK;
    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), 1);
    CHECK_STR(spec, "/dev/vda3");
}

TEST(root_auto_mbr_partuuid_needs_a_disk_signature)
{
    struct part v[] = {mkpart(1, 1, 100, "0xef", "vfat", "00000000-01"),
                       mkpart(2, 101, 500, "0x83", "ext4", "00000000-02")};
    struct disk d = mkdisk("dos", v, 2);
    struct bt_config c = base_config();
    char spec[64], msg[4096];

    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), 1);
    CHECK_STR(spec, "/dev/vda2");
    CHECK_STR(msg, "partition 2, linux, ext4");
    snprintf(v[1].partuuid, sizeof v[1].partuuid, "5a7e0001-02");
    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), 1);
    CHECK_STR(spec, "PARTUUID=5a7e0001-02");
}

TEST(root_auto_leaves_a_given_root_alone)
{
    struct part v[] = {mkpart(1, 1, 100, LINUX_TYPE, "ext4", PU1)};
    struct disk d = mkdisk("gpt", v, 1);
    struct bt_config c = base_config();
    char spec[64] = "x", msg[4096] = "x";

    c.root = "/dev/vda";
    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), 0);
    CHECK_STR(spec, "");
    CHECK_STR(msg, "");
    c.root = NULL;
    c.append = "quiet root=LABEL=rootfs";
    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), 0);
    /* a word that only ends in root= is not a root */
    c.append = "sharedroot.instance=/dev/vdb noroot=1";
    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), 1);
    CHECK_STR(spec, "PARTUUID=" PU1);
}

TEST(root_auto_without_a_table_changes_nothing)
{
    struct bt_config c = base_config();
    char spec[64] = "x", msg[4096] = "x";
    char *s;

    CHECK_INT(root_decide(NULL, &c, spec, sizeof spec, msg, sizeof msg), 0);
    CHECK_STR(spec, "");
    s = guest_cmdline(&c, false);
    CHECK_STR(s, "console=ttyS0 panic=-1 root=/dev/vda");
    free(s);
}

TEST(root_auto_refuses_two_linux_filesystems_and_lists_the_partitions)
{
    struct part v[] = {mkpart(1, 1, 100, LINUX_TYPE, "ext4", PU1),
                       mkpart(2, 101, 100, LINUX_TYPE, "btrfs", ""),
                       mkpart(3, 201, 8, ESP_TYPE, "vfat", "")};
    struct disk d = mkdisk("gpt", v, 3);
    struct bt_config c = base_config();
    char spec[64], msg[4096];

    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), -ENOTUNIQ);
    CHECK_STR(spec, "");
    CHECK_STR(msg,
              "no root given (--root, root =), and its gpt partition table does not tell which "
              "partition is the root: 2 partitions hold a filesystem a root can be; name it "
              "with --root /dev/vdaN (root = /dev/vdaN in the run file), N from its "
              "partitions:\n"
              "  1: 100 MiB, type linux-generic (" LINUX_TYPE "), ext4, PARTUUID " PU1 "\n"
              "  2: 100 MiB, type linux-generic (" LINUX_TYPE "), btrfs\n"
              "  3: 8 MiB, type esp (" ESP_TYPE "), vfat");
    c.base_device = BASE_DEVICE_PMEM;
    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), -ENOTUNIQ);
    CHECK(strstr(msg, "--root /dev/pmem0pN (root = /dev/pmem0pN in the run file)") != NULL);
}

TEST(root_auto_refuses_a_table_without_a_root)
{
    struct part v[] = {mkpart(1, 1, 100, ESP_TYPE, "vfat", ""),
                       mkpart(2, 101, 100, "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", "swap", "")};
    struct disk d = mkdisk("gpt", v, 2);
    struct disk empty = {.pttype = "gpt", .size = MIB};
    struct bt_config c = base_config();
    char spec[64], msg[4096];

    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), -ENOENT);
    CHECK(strstr(msg, "no partition holds a filesystem a root can be") != NULL);
    CHECK(strstr(msg, "\n  2: 100 MiB, type linux-swap") != NULL);
    CHECK_INT(root_decide(&empty, &c, spec, sizeof spec, msg, sizeof msg), -ENOENT);
    /* the root type past the end of the image: not chosen, said why */
    struct part w[] = {mkpart(1, 1000, 100, GPT_TYPE_ROOT_X86_64, "", PU1)};
    struct disk past = mkdisk("gpt", w, 1);
    CHECK_INT(root_decide(&past, &c, spec, sizeof spec, msg, sizeof msg), -EINVAL);
    CHECK(strstr(msg, "partition 1, of the x86-64 root type, extends past the end of the image") !=
          NULL);
}

TEST(root_auto_message_of_a_huge_table_is_cut_not_overrun)
{
    struct part *v = calloc(DISK_MAX_PARTS, sizeof *v);
    struct bt_config c = base_config();
    char spec[8], msg[256];

    CHECK(v != NULL);
    if (!v)
        return;
    for (int i = 0; i < DISK_MAX_PARTS; i++)
        v[i] = mkpart(i + 1, 1 + (uint64_t)i, 1, LINUX_TYPE, "ext4", PU1);
    struct disk d = mkdisk("gpt", v, DISK_MAX_PARTS);
    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), -ENOTUNIQ);
    CHECK(strlen(msg) < sizeof msg);
    CHECK(strncmp(msg, "no root given", 13) == 0);
    /* chosen, into a spec buffer too small: cut, never overrun */
    d.n = 1;
    CHECK_INT(root_decide(&d, &c, spec, sizeof spec, msg, sizeof msg), 1);
    CHECK_STR(spec, "PARTUUI");
    free(v);
}

TEST(root_auto_goes_on_the_command_line_below_a_given_root)
{
    struct bt_config c = base_config();
    char *s;

    c.root_auto = "PARTUUID=" PU1;
    s = guest_cmdline(&c, false);
    CHECK_STR(s, "console=ttyS0 panic=-1 root=PARTUUID=" PU1);
    free(s);
    c.root = "/dev/vda2";
    s = guest_cmdline(&c, false);
    CHECK_STR(s, "console=ttyS0 panic=-1 root=/dev/vda2");
    free(s);
}

int main(void)
{
    return test_main();
}
