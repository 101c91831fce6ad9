// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Partitioned disk images in sharedroot-check-base: the choice of the root partition on
 * crafted tables, the checks of each partition against the image (empty, past the end,
 * overlapping), hostile MBR and GPT tables read by libblkid from files (never a crash, never a
 * partition outside the image probed), and the fstab-base-rw matching of fstab sources to the
 * partitions and filesystems of the image. Real filesystems in real tables are tested in
 * tests/priv/checkbase-disk.sh.
 */
#define TESTLIB_IMPLEMENTATION
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "check-fstab.h"
#include "checks.h"
#include "partition.h"

#define MIB (1024ULL * 1024)
#define ESP_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define LINUX_TYPE "0fc63daf-8483-4772-8e79-3d69d8477de4"

static struct part mkpart(int number, uint64_t start_mib, uint64_t size_mib, const char *type,
                          const char *fstype)
{
    struct part p = {.number = number, .start = start_mib * MIB, .size = size_mib * MIB};
    snprintf(p.type, sizeof p.type, "%s", type);
    snprintf(p.fstype, sizeof p.fstype, "%s", fstype);
    return p;
}

/* A 1 GiB GPT disk of n partitions. */
static struct disk mkdisk(struct part *v, size_t n)
{
    struct disk d = {.pttype = "gpt", .size = 1024 * MIB, .v = v, .n = n};
    disk_validate(&d);
    return d;
}

TEST(choose_prefers_the_root_type)
{
    struct part v[] = {mkpart(1, 1, 100, ESP_TYPE, "vfat"), mkpart(2, 101, 100, LINUX_TYPE, "ext4"),
                       mkpart(3, 201, 500, GPT_TYPE_ROOT_X86_64, "ext4")};
    struct disk d = mkdisk(v, 3);
    char why[512] = "";
    CHECK_INT(disk_choose(&d, 0, why, sizeof why), 2);
}

TEST(choose_the_only_root_filesystem)
{
    struct part v[] = {mkpart(1, 1, 100, "0xef", "vfat"), mkpart(2, 101, 100, "0x82", "swap"),
                       mkpart(3, 201, 500, "0x83", "xfs")};
    struct disk d = mkdisk(v, 3);
    char why[512] = "";
    CHECK_INT(disk_choose(&d, 0, why, sizeof why), 2);
}

TEST(choose_ubuntu_cloud_layout_root_beside_an_ext4_boot)
{
    /* Ubuntu 24.04's cloud image: 1 root (generic type), 14 BIOS boot, 15 ESP, 16 /boot ext4
     * of the XBOOTLDR type */
    struct part v[] = {mkpart(1, 200, 500, LINUX_TYPE, "ext4"),
                       mkpart(14, 1, 4, "21686148-6449-6e6f-744e-656564454649", ""),
                       mkpart(15, 5, 100, ESP_TYPE, "vfat"),
                       mkpart(16, 105, 90, "bc13c2ff-59e6-4262-a352-b275fd6f7172", "ext4")};
    struct disk d = mkdisk(v, 4);
    char why[512] = "";
    CHECK_INT(disk_choose(&d, 0, why, sizeof why), 0);
    CHECK_INT(disk_choose(&d, 16, why, sizeof why), 3); /* asked for: checked */
}

TEST(choose_fedora_cloud_layout_btrfs_root_beside_an_ext4_boot)
{
    struct part v[] = {mkpart(1, 1, 1, "21686148-6449-6e6f-744e-656564454649", ""),
                       mkpart(2, 2, 100, ESP_TYPE, "vfat"),
                       mkpart(3, 102, 100, "BC13C2FF-59E6-4262-A352-B275FD6F7172", "ext4"),
                       mkpart(4, 202, 800, LINUX_TYPE, "btrfs")};
    struct disk d = mkdisk(v, 4);
    char why[512] = "";
    CHECK_INT(disk_choose(&d, 0, why, sizeof why), 3);
    /* an MBR swap partition with a stale ext4 signature is not a root either */
    struct part w[] = {mkpart(1, 1, 100, "0x82", "ext4"), mkpart(2, 101, 100, "0x83", "xfs")};
    struct disk e = mkdisk(w, 2);
    CHECK_INT(disk_choose(&e, 0, why, sizeof why), 1);
}

TEST(choose_refuses_two_root_filesystems)
{
    struct part v[] = {mkpart(1, 1, 100, "0x83", "ext4"), mkpart(2, 101, 100, "0x83", "btrfs")};
    struct disk d = mkdisk(v, 2);
    char why[512] = "";
    CHECK_INT(disk_choose(&d, 0, why, sizeof why), -ENOTUNIQ);
    CHECK(strstr(why, "2 partitions hold a filesystem a root can be") != NULL);
    CHECK_INT(disk_choose(&d, 2, why, sizeof why), 1);
}

TEST(choose_two_root_types_refused_when_the_filesystems_do_not_tell)
{
    struct part v[] = {mkpart(1, 1, 100, GPT_TYPE_ROOT_X86_64, "ext4"),
                       mkpart(2, 101, 100, GPT_TYPE_ROOT_X86_64, "ext4")};
    struct disk d = mkdisk(v, 2);
    char why[512] = "";
    CHECK_INT(disk_choose(&d, 0, why, sizeof why), -ENOTUNIQ);
    CHECK(strstr(why, "2 partitions have the x86-64 root type") != NULL);
}

TEST(choose_two_root_types_one_filesystem)
{
    struct part v[] = {mkpart(1, 1, 100, GPT_TYPE_ROOT_X86_64, ""),
                       mkpart(2, 101, 100, GPT_TYPE_ROOT_X86_64, "erofs")};
    struct disk d = mkdisk(v, 2);
    char why[512] = "";
    CHECK_INT(disk_choose(&d, 0, why, sizeof why), 1);
}

TEST(choose_refuses_when_no_root_filesystem)
{
    struct part v[] = {mkpart(1, 1, 100, ESP_TYPE, "vfat"), mkpart(2, 101, 100, LINUX_TYPE, ""),
                       mkpart(3, 201, 100, LINUX_TYPE, "LVM2_member")};
    struct disk d = mkdisk(v, 3);
    char why[512] = "";
    CHECK_INT(disk_choose(&d, 0, why, sizeof why), -ENOENT);
    CHECK(strstr(why, "no partition holds a filesystem a root can be") != NULL);
    struct disk empty = {.pttype = "gpt", .size = MIB};
    CHECK_INT(disk_choose(&empty, 0, why, sizeof why), -ENOENT);
}

TEST(choose_by_number)
{
    struct part v[] = {mkpart(1, 1, 100, ESP_TYPE, "vfat"), mkpart(5, 101, 100, LINUX_TYPE, "ext4"),
                       mkpart(7, 2000, 100, LINUX_TYPE, "")};
    struct disk d = mkdisk(v, 3);
    char why[512] = "";
    CHECK_INT(disk_choose(&d, 5, why, sizeof why), 1);
    CHECK_INT(disk_choose(&d, 1, why, sizeof why), 0); /* asked for: the mount decides */
    CHECK_INT(disk_choose(&d, 2, why, sizeof why), -ENOENT);
    CHECK_STR(why, "there is no partition 2");
    CHECK_INT(disk_choose(&d, 7, why, sizeof why), -EINVAL);
    CHECK_STR(why, "partition 7 extends past the end of the image");
}

TEST(choose_never_takes_an_unusable_partition)
{
    /* the root type past the end of the image: refused, not replaced by another guess */
    struct part v[] = {mkpart(1, 1, 100, LINUX_TYPE, "ext4"),
                       mkpart(2, 900, 500, GPT_TYPE_ROOT_X86_64, "")};
    struct disk d = mkdisk(v, 2);
    char why[512] = "";
    CHECK_INT(disk_choose(&d, 0, why, sizeof why), -EINVAL);
    CHECK(strstr(why, "extends past the end") != NULL);
    /* an overlapping ext4 is not a candidate, the other one is */
    struct part w[] = {mkpart(1, 1, 100, "0x83", "ext4"), mkpart(2, 50, 100, "0x83", "ext4"),
                       mkpart(3, 300, 100, "0x83", "ext4")};
    struct disk e = mkdisk(w, 3);
    CHECK_INT(disk_choose(&e, 0, why, sizeof why), 2);
    CHECK_INT(disk_choose(&e, 1, why, sizeof why), -EINVAL);
    CHECK_STR(why, "partition 1 overlaps another partition");
}

TEST(validate_marks_hostile_entries)
{
    struct part v[] = {
        mkpart(1, 1, 0, "0x83", ""),                          /* empty */
        mkpart(2, 1000, 25, "0x83", ""),                      /* past the end of 1 GiB */
        mkpart(3, 2000, 1, "0x83", ""),                       /* starts past the end */
        {.number = 4, .start = UINT64_MAX - 10, .size = 100}, /* start + size overflows */
        {.number = 5, .start = 512, .size = UINT64_MAX},      /* size overflows */
        mkpart(6, 10, 10, "0x83", ""),
        mkpart(7, 20, 10, "0x83", ""), /* adjacent to 6: fine */
    };
    struct disk d = mkdisk(v, 7);
    CHECK_STR(v[0].problem, "is empty");
    CHECK_STR(v[1].problem, "extends past the end of the image");
    CHECK_STR(v[2].problem, "extends past the end of the image");
    CHECK_STR(v[3].problem, "extends past the end of the image");
    CHECK_STR(v[4].problem, "extends past the end of the image");
    CHECK(v[5].problem == NULL);
    CHECK(v[6].problem == NULL);
    (void)d;
}

TEST(validate_extended_contains_logical_partitions)
{
    struct part v[] = {mkpart(1, 1, 100, "0x83", "ext4"), mkpart(2, 101, 500, "0x5", ""),
                       mkpart(5, 102, 100, "0x83", "ext4"), mkpart(6, 203, 100, "0x83", "")};
    v[1].extended = true;
    struct disk d = mkdisk(v, 4);
    for (size_t i = 0; i < 4; i++)
        CHECK(v[i].problem == NULL);
    char why[512] = "";
    CHECK_INT(disk_choose(&d, 2, why, sizeof why), -EINVAL);
    CHECK(strstr(why, "extended partition") != NULL);
    CHECK_INT(disk_choose(&d, 0, why, sizeof why), -ENOTUNIQ);
}

TEST(describe_names_everything)
{
    struct part p = mkpart(2, 1, 200, ESP_TYPE, "vfat");
    snprintf(p.label, sizeof p.label, "EFI");
    snprintf(p.partuuid, sizeof p.partuuid, "0123abcd-0000-0000-0000-000000000002");
    char line[512];
    part_describe(&p, line, sizeof line);
    CHECK_STR(line, "2: 200 MiB, type esp (" ESP_TYPE "), vfat, label \"EFI\", PARTUUID "
                    "0123abcd-0000-0000-0000-000000000002");
    char tiny[8];
    part_describe(&p, tiny, sizeof tiny); /* truncated, terminated */
    CHECK_INT(strlen(tiny), 7);
}

/* --- tables read from files ------------------------------------------------------------ */

static int tmpfile_of(const void *buf, size_t len, off_t size)
{
    char path[] = "/tmp/test-checkbase-partition.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    unlink(path);
    if (ftruncate(fd, size) < 0 || pwrite(fd, buf, len, 0) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    return fd;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* MBR entry i: type, first sector, sectors. */
static void mbr_entry(uint8_t *mbr, int i, uint8_t type, uint32_t start, uint32_t count)
{
    uint8_t *e = mbr + 446 + 16 * i;
    e[4] = type;
    put_le32(e + 8, start);
    put_le32(e + 12, count);
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
    put_le32(mbr + 440, 0x12345678); /* disk id */
}

static int probe_buf(const uint8_t *buf, size_t len, off_t size, struct disk *d, char *why,
                     size_t n)
{
    int fd = tmpfile_of(buf, len, size);
    CHECK(fd >= 0);
    int r = disk_probe(fd, (uint64_t)size, d, why, n);
    close(fd);
    return r;
}

TEST(probe_finds_no_table_in_zeros_noise_and_tiny_files)
{
    static uint8_t buf[8192];
    struct disk d;
    char why[512];
    CHECK_INT(probe_buf(buf, sizeof buf, 1 << 20, &d, why, sizeof why), 0);
    CHECK_INT(probe_buf(buf, 1, 1, &d, why, sizeof why), 0);
    CHECK_INT(probe_buf(buf, 0, 0, &d, why, sizeof why), 0);
    srand(7);
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rand();
    buf[510] = 0; /* no MBR signature */
    CHECK_INT(probe_buf(buf, sizeof buf, 1 << 20, &d, why, sizeof why), 0);
    disk_done(&d);
}

TEST(probe_mbr_with_hostile_entries)
{
    uint8_t mbr[512] = {0};
    mbr_entry(mbr, 0, 0x83, 2048, 4096);       /* fine: 1 MiB at 1 MiB */
    mbr_entry(mbr, 1, 0x83, 3000, 4096);       /* overlaps 1 */
    mbr_entry(mbr, 2, 0x83, 8192, 0xFFFFFFF0); /* far past the end of 8 MiB */
    mbr_entry(mbr, 3, 0x83, 0xFFFFFFF0, 100);  /* starts past the end */
    struct disk d;
    char why[512] = "";
    int r = probe_buf(mbr, sizeof mbr, 8 << 20, &d, why, sizeof why);
    CHECK_INT(r, 1);
    if (r != 1)
        return;
    CHECK_STR(d.pttype, "dos");
    for (size_t i = 0; i < d.n; i++) {
        const struct part *p = &d.v[i];
        CHECK(p->problem != NULL);
        CHECK_STR(p->fstype, ""); /* none probed */
    }
    CHECK_INT(disk_choose(&d, 0, why, sizeof why), -ENOENT);
    CHECK_INT(disk_choose(&d, 3, why, sizeof why), -EINVAL);
    disk_done(&d);
}

TEST(probe_mbr_partuuid_and_numbers)
{
    uint8_t mbr[512] = {0};
    mbr_entry(mbr, 0, 0xef, 2048, 2048);
    mbr_entry(mbr, 1, 0x83, 4096, 4096);
    struct disk d;
    char why[512] = "";
    CHECK_INT(probe_buf(mbr, sizeof mbr, 8 << 20, &d, why, sizeof why), 1);
    CHECK_INT(d.n, 2);
    if (d.n != 2)
        return;
    CHECK_INT(d.v[1].number, 2);
    CHECK_INT(d.v[1].start, 2 * MIB);
    CHECK_INT(d.v[1].size, 2 * MIB);
    CHECK_STR(d.v[1].type, "0x83");
    CHECK_STR(d.v[1].partuuid, "12345678-02");
    CHECK(d.v[1].problem == NULL);
    CHECK_INT(disk_find(&d, "PARTUUID", "12345678-02"), 1);
    disk_done(&d);
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFF;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320 & (0 - (c & 1)));
    }
    return ~c;
}

/* A GPT image of size bytes: protective MBR, header at LBA 1 claiming entries entries of 128
 * bytes at LBA 2, of which the first ones (at most 16, in buf) are filled by the caller. */
static size_t gpt(uint8_t *buf, size_t len, uint64_t size, uint32_t entries)
{
    memset(buf, 0, len);
    mbr_entry(buf, 0, 0xee, 1, (uint32_t)(size / 512 - 1));
    uint8_t *h = buf + 512;
    memcpy(h, "EFI PART", 8);
    put_le32(h + 8, 0x00010000);
    put_le32(h + 12, 92);
    put_le64(h + 24, 1);
    put_le64(h + 32, size / 512 - 1);
    put_le64(h + 40, 34);
    put_le64(h + 48, size / 512 - 34);
    memset(h + 56, 0x11, 16); /* disk GUID */
    put_le64(h + 72, 2);
    put_le32(h + 80, entries);
    put_le32(h + 84, 128);
    return 1024;
}

static void gpt_seal(uint8_t *buf, size_t entries_bytes)
{
    uint8_t *h = buf + 512;
    put_le32(h + 88, crc32_of(buf + 1024, entries_bytes));
    put_le32(h + 16, 0);
    put_le32(h + 16, crc32_of(h, 92));
}

static void gpt_entry(uint8_t *buf, int i, const uint8_t type[16], uint64_t first, uint64_t last)
{
    uint8_t *e = buf + 1024 + 128 * i;
    memcpy(e, type, 16);
    memset(e + 16, 0x20 + i, 16); /* unique GUID */
    put_le64(e + 32, first);
    put_le64(e + 40, last);
    /* a name of 36 UTF-16 units, no terminator, with control characters */
    for (int k = 0; k < 36; k++)
        e[56 + 2 * k] = (uint8_t)(k % 3 ? 'A' + k % 26 : 0x07);
}

/* 4f68bce3-e8cd-4db1-96e7-fbcaf984b709 as GPT stores it (mixed endian) */
static const uint8_t root_type_bytes[16] = {0xe3, 0xbc, 0x68, 0x4f, 0xcd, 0xe8, 0xb1, 0x4d,
                                            0x96, 0xe7, 0xfb, 0xca, 0xf9, 0x84, 0xb7, 0x09};

TEST(probe_gpt_reads_root_type_and_overlong_names)
{
    static uint8_t buf[1024 + 128 * 128];
    uint64_t size = 64 * MIB;
    gpt(buf, sizeof buf, size, 128);
    gpt_entry(buf, 0, root_type_bytes, 2048, 2048 + 8191);
    gpt_entry(buf, 1, root_type_bytes, 100000, 200000000); /* past the end */
    gpt_seal(buf, 128 * 128);
    struct disk d;
    char why[512] = "";
    int r = probe_buf(buf, sizeof buf, (off_t)size, &d, why, sizeof why);
    CHECK_INT(r, 1);
    if (r != 1)
        return;
    CHECK_STR(d.pttype, "gpt");
    CHECK(d.n >= 1);
    if (d.n < 1)
        return;
    CHECK_STR(d.v[0].type, GPT_TYPE_ROOT_X86_64);
    CHECK(d.v[0].problem == NULL);
    CHECK(strchr(d.v[0].name, 0x07) == NULL); /* control bytes replaced */
    CHECK(strlen(d.v[0].name) > 0 && strlen(d.v[0].name) < sizeof d.v[0].name);
    /* libblkid drops an entry outside the usable area; if it did not, it is marked */
    for (size_t i = 1; i < d.n; i++)
        CHECK_STR(d.v[i].problem, "extends past the end of the image");
    /* the one usable root-type partition holds no filesystem: chosen, the probe then says so */
    CHECK_INT(disk_choose(&d, 0, why, sizeof why), 0);
    CHECK_INT(disk_choose(&d, 1, why, sizeof why), 0);
    disk_done(&d);
}

TEST(probe_gpt_with_a_huge_entry_count)
{
    static uint8_t buf[1024 + 128 * 16];
    uint64_t size = 8 * MIB;
    gpt(buf, sizeof buf, size, 0x7FFFFFFF);
    gpt_entry(buf, 0, root_type_bytes, 2048, 4095);
    gpt_seal(buf, 128 * 16); /* the CRC cannot match what libblkid would read: refused */
    struct disk d;
    char why[512] = "";
    int r = probe_buf(buf, sizeof buf, (off_t)size, &d, why, sizeof why);
    CHECK(r == 0 || r == -EIO || r == -E2BIG || r == 1);
    if (r == 1) {
        CHECK(d.n <= DISK_MAX_PARTS);
        disk_done(&d);
    }
}

/* --- fstab-base-rw ---------------------------------------------------------------------- */

static struct part esp_part(void)
{
    struct part p = mkpart(15, 1, 100, ESP_TYPE, "vfat");
    snprintf(p.partuuid, sizeof p.partuuid, "6c52b3c6-3b3a-4c3e-8c8a-2f0a8e9d1a11");
    snprintf(p.name, sizeof p.name, "EFI System");
    snprintf(p.uuid, sizeof p.uuid, "a1b2-c3d4");
    snprintf(p.label, sizeof p.label, "UEFI");
    return p;
}

TEST(fstab_source_names_a_partition_of_the_image)
{
    struct part v[] = {esp_part()};
    struct disk d = mkdisk(v, 1);
    CHECK_INT(fstab_names_partition(&d, "PARTUUID=6C52B3C6-3B3A-4C3E-8C8A-2F0A8E9D1A11"), 0);
    CHECK_INT(fstab_names_partition(&d, "PARTUUID=6c52b3c6-3b3a-4c3e-8c8a-2f0a8e9d1a11"), 0);
    CHECK_INT(fstab_names_partition(&d, "PARTLABEL=\"EFI System\""), 0);
    CHECK_INT(fstab_names_partition(&d, "UUID=A1B2-C3D4"), 0);
    CHECK_INT(fstab_names_partition(&d, "LABEL=UEFI"), 0);
    CHECK_INT(fstab_names_partition(&d, "LABEL='UEFI'"), 0);
    CHECK_INT(
        fstab_names_partition(&d, "/dev/disk/by-partuuid/6c52b3c6-3b3a-4c3e-8c8a-2f0a8e9d1a11"), 0);
    CHECK_INT(fstab_names_partition(&d, "/dev/disk/by-label/UEFI"), 0);
    /* udev's links escape a blank as \x20 */
    CHECK_INT(fstab_names_partition(&d, "/dev/disk/by-partlabel/EFI\\x20System"), 0);
    CHECK_INT(fstab_names_partition(&d, "/dev/disk/by-partlabel/EFI\\x20system"), -1);
    CHECK_INT(fstab_names_partition(&d, "/dev/disk/by-partlabel/EFI\\x2"), -1);
    CHECK_INT(fstab_names_partition(&d, "/dev/disk/by-partlabel/EFI System\\"), -1);
    /* not of this image, or not a name */
    CHECK_INT(fstab_names_partition(&d, "LABEL=uefi"), -1); /* labels are case-sensitive */
    CHECK_INT(fstab_names_partition(&d, "UUID=a1b2-c3d5"), -1);
    CHECK_INT(fstab_names_partition(&d, "LABEL="), -1);
    CHECK_INT(fstab_names_partition(&d, "LABEL=\""), -1);
    CHECK_INT(fstab_names_partition(&d, "ID=UEFI"), -1);
    CHECK_INT(fstab_names_partition(&d, "/dev/vda15"), -1);
    CHECK_INT(fstab_names_partition(&d, "="), -1);
    CHECK_INT(fstab_names_partition(&d, ""), -1);
    CHECK_INT(fstab_names_partition(&d, NULL), -1);
    CHECK_INT(fstab_names_partition(NULL, "LABEL=UEFI"), -1);
    struct part empty = mkpart(1, 1, 100, LINUX_TYPE, ""); /* no names: matches nothing */
    struct disk e = mkdisk(&empty, 1);
    CHECK_INT(fstab_names_partition(&e, "LABEL="), -1);
    CHECK_INT(fstab_names_partition(&e, "PARTUUID="), -1);
}

static const struct check *check_named(const char *id)
{
    size_t n;
    const struct check *t = checks_table(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].id, id) == 0)
            return &t[i];
    return NULL;
}

/* The findings of the fstab checks on text, for a disk (or none). */
static size_t fstab_findings(const struct disk *d, const char *text, struct findings *f)
{
    const struct check *c = check_named("fstab-base-rw");
    CHECK(c != NULL);
    *f = (struct findings){0};
    struct check_ctx ctx = {.rootfd = -1, .target = "test", .disk = d, .out = f};
    CHECK_INT(check_fstab_text(&ctx, c, text, strlen(text)), 0);
    return f->n;
}

TEST(fstab_base_rw_reports_a_read_write_esp_like_debian)
{
    struct part v[] = {esp_part(), mkpart(1, 200, 500, GPT_TYPE_ROOT_X86_64, "ext4")};
    snprintf(v[1].partuuid, sizeof v[1].partuuid, "00000000-0000-0000-0000-000000000001");
    struct disk d = mkdisk(v, 2);
    struct findings f;
    CHECK_INT(fstab_findings(&d,
                             "PARTUUID=6c52b3c6-3b3a-4c3e-8c8a-2f0a8e9d1a11 /boot/efi vfat "
                             "defaults 0 0\n",
                             &f),
              1);
    if (f.n == 1)
        CHECK(strstr(f.v[0].detail, "/boot/efi vfat defaults (partition 15 of the image, vfat)"));
    findings_done(&f);
    /* the root partition mounted elsewhere read-write is the shared disk too */
    CHECK_INT(
        fstab_findings(&d, "PARTUUID=00000000-0000-0000-0000-000000000001 /mnt ext4 rw 0 0\n", &f),
        1);
    findings_done(&f);
}

TEST(fstab_base_rw_leaves_safe_and_foreign_lines_alone)
{
    struct part v[] = {esp_part()};
    struct disk d = mkdisk(v, 1);
    struct findings f;
    const char *safe = "LABEL=UEFI /boot/efi vfat ro 0 0\n"
                       "LABEL=UEFI /boot/efi vfat defaults,noauto 0 0\n"
                       "LABEL=UEFI /boot/efi vfat umask=077,ro,x-systemd.automount 0 0\n"
                       "LABEL=data /data ext4 defaults 0 2\n" /* the instance disk, maybe */
                       "UUID=ffff-0000 /srv xfs defaults 0 2\n"
                       "tmpfs /tmp tmpfs defaults 0 0\n"
                       "proc /proc proc defaults 0 0\n";
    CHECK_INT(fstab_findings(&d, safe, &f), 0);
    findings_done(&f);
    /* a filesystem the kernel only mounts read-only */
    struct part w[] = {mkpart(3, 200, 100, LINUX_TYPE, "squashfs")};
    snprintf(w[0].label, sizeof w[0].label, "tools");
    struct disk e = mkdisk(w, 1);
    CHECK_INT(fstab_findings(&e, "LABEL=tools /opt/tools squashfs defaults 0 0\n", &f), 0);
    findings_done(&f);
    snprintf(w[0].fstype, sizeof w[0].fstype, "ext4");
    CHECK_INT(fstab_findings(&e, "LABEL=tools /opt/tools auto defaults 0 0\n", &f), 1);
    findings_done(&f);
    /* a bare filesystem image: no disk, nothing to match */
    CHECK_INT(fstab_findings(NULL, "LABEL=UEFI /boot/efi vfat defaults 0 0\n", &f), 0);
    findings_done(&f);
    /* garbage lines do not crash it */
    CHECK_INT(fstab_findings(&d, "LABEL=\n=\nPARTUUID= /x\n\x01\x02 /y z\n", &f), 0);
    findings_done(&f);
}

int main(void)
{
    return test_main();
}
