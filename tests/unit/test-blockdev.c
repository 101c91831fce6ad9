// SPDX-License-Identifier: GPL-2.0-or-later
/* Parsing of root= device specs, and resolving paths (no privileges needed). */
#include "blockdev.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "why.h"

static int parse(const char *spec, struct blockdev_spec *s, char *why)
{
    why[0] = '\0';
    return blockdev_spec_parse(spec, s, why, WHY_MAX);
}

#define CHECK_REJECTS(spec)                                                                        \
    do {                                                                                           \
        struct blockdev_spec _s;                                                                   \
        char _why[WHY_MAX];                                                                        \
        CHECK_INT(parse((spec), &_s, _why), -EINVAL);                                              \
        CHECK(_why[0] != 0);                                                                       \
    } while (0)

TEST(parses_dev_path)
{
    struct blockdev_spec s;
    char why[WHY_MAX];
    CHECK_INT(parse("/dev/vda1", &s, why), 0);
    CHECK_INT(s.kind, SPEC_PATH);
    CHECK_STR(s.value, "/dev/vda1");
    CHECK(blockdev_spec_tag(SPEC_PATH) == NULL);
}

TEST(disk_by_links_become_tags)
{
    struct blockdev_spec s;
    char why[WHY_MAX];
    CHECK_INT(parse("/dev/disk/by-uuid/0a1b2c3d-1111-2222-3333-444455556666", &s, why), 0);
    CHECK_INT(s.kind, SPEC_UUID);
    CHECK_STR(s.value, "0a1b2c3d-1111-2222-3333-444455556666");
    CHECK_INT(parse("/dev/disk/by-label/my\\x20base", &s, why), 0);
    CHECK_INT(s.kind, SPEC_LABEL);
    CHECK_STR(s.value, "my base");
    CHECK_INT(parse("/dev/disk/by-partuuid/abcd-01", &s, why), 0);
    CHECK_INT(s.kind, SPEC_PARTUUID);
    CHECK_INT(parse("/dev/disk/by-partlabel/root", &s, why), 0);
    CHECK_INT(s.kind, SPEC_PARTLABEL);
    CHECK_STR(s.value, "root");
    /* other by-* links stay paths (they may exist where udev runs) */
    CHECK_INT(parse("/dev/disk/by-id/virtio-base", &s, why), 0);
    CHECK_INT(s.kind, SPEC_PATH);
}

TEST(hostile_disk_by_links_are_refused)
{
    CHECK_REJECTS("/dev/disk/by-uuid/");
    CHECK_REJECTS("/dev/disk/by-label/a/b");
    CHECK_REJECTS("/dev/disk/by-label/bad\\x0aname");
    CHECK_REJECTS("/dev/disk/by-label/nul\\x00name");
}

TEST(parses_absolute_path_outside_dev)
{
    struct blockdev_spec s;
    char why[WHY_MAX];
    CHECK_INT(parse("/run/some/node", &s, why), 0);
    CHECK_INT(s.kind, SPEC_PATH);
}

TEST(parses_each_tag)
{
    static const struct {
        const char *spec;
        enum blockdev_spec_kind kind;
        const char *value, *tag;
    } cases[] = {
        {"UUID=0a1b2c3d-1111-2222-3333-444455556666", SPEC_UUID,
         "0a1b2c3d-1111-2222-3333-444455556666", "UUID"},
        {"LABEL=base", SPEC_LABEL, "base", "LABEL"},
        {"PARTUUID=12345678-01", SPEC_PARTUUID, "12345678-01", "PARTUUID"},
        {"PARTLABEL=shared-root", SPEC_PARTLABEL, "shared-root", "PARTLABEL"},
        {"uuid=abcd-ef01", SPEC_UUID, "abcd-ef01", "UUID"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct blockdev_spec s;
        char why[WHY_MAX];
        CHECK_INT(parse(cases[i].spec, &s, why), 0);
        CHECK_INT(s.kind, cases[i].kind);
        CHECK_STR(s.value, cases[i].value);
        CHECK_STR(blockdev_spec_tag(s.kind), cases[i].tag);
    }
}

TEST(strips_quotes)
{
    struct blockdev_spec s;
    char why[WHY_MAX];
    CHECK_INT(parse("LABEL=\"my root\"", &s, why), 0);
    CHECK_STR(s.value, "my root");
    CHECK_INT(parse("PARTLABEL='p1'", &s, why), 0);
    CHECK_STR(s.value, "p1");
}

TEST(accepts_label_with_space)
{
    struct blockdev_spec s;
    char why[WHY_MAX];
    CHECK_INT(parse("LABEL=with space", &s, why), 0);
    CHECK_STR(s.value, "with space");
}

TEST(rejects_empty_and_null)
{
    CHECK_REJECTS("");
    CHECK_REJECTS(NULL);
}

TEST(rejects_empty_tag_value)
{
    CHECK_REJECTS("UUID=");
    CHECK_REJECTS("LABEL=\"\"");
    CHECK_REJECTS("PARTUUID=");
}

TEST(rejects_bad_quotes)
{
    CHECK_REJECTS("LABEL=\"unterminated");
    CHECK_REJECTS("LABEL=\"");
    CHECK_REJECTS("LABEL=\"mixed'");
    CHECK_REJECTS("LABEL=\"a\"b\"");
}

TEST(rejects_overlong)
{
    char spec[400];
    memcpy(spec, "LABEL=", 6);
    memset(spec + 6, 'x', 300);
    spec[306] = '\0';
    CHECK_REJECTS(spec);

    spec[0] = '/';
    memset(spec + 1, 'd', 300);
    spec[301] = '\0';
    CHECK_REJECTS(spec);
}

TEST(accepts_255_byte_value)
{
    char spec[300];
    struct blockdev_spec s;
    char why[WHY_MAX];
    memcpy(spec, "LABEL=", 6);
    memset(spec + 6, 'x', 255);
    spec[261] = '\0';
    CHECK_INT(parse(spec, &s, why), 0);
    CHECK_INT(strlen(s.value), 255);
}

TEST(rejects_control_bytes)
{
    CHECK_REJECTS("LABEL=a\nb");
    CHECK_REJECTS("LABEL=a\tb");
    CHECK_REJECTS("/dev/vda\x1b[2J");
    CHECK_REJECTS("UUID=\x7f");
}

TEST(rejects_unknown_tag)
{
    CHECK_REJECTS("SERIAL=abc");
    CHECK_REJECTS("=abc");
    CHECK_REJECTS("UUIDX=abc");
}

TEST(rejects_relative_path)
{
    CHECK_REJECTS("vda1");
    CHECK_REJECTS("dev/vda1");
    CHECK_REJECTS("./vda1");
}

TEST(rejects_kernel_device_numbers)
{
    CHECK_REJECTS("0801");
    CHECK_REJECTS("8:1");
    CHECK_REJECTS("fe00");
}

TEST(rejects_partnroff)
{
    CHECK_REJECTS("PARTUUID=12345678-01/PARTNROFF=1");
}

static int resolve_path(const char *path, char *dev, size_t n)
{
    struct blockdev_spec s;
    char why[WHY_MAX];
    int r = parse(path, &s, why);
    if (r < 0)
        return r;
    return blockdev_resolve(&s, dev, n);
}

TEST(resolve_missing_path_is_enoent)
{
    char dev[256];
    CHECK_INT(resolve_path("/dev/does-not-exist-sharedroot", dev, sizeof(dev)), -ENOENT);
}

TEST(resolve_regular_file_is_enotblk)
{
    char dev[256];
    char tmpl[] = "/tmp/test-blockdev-XXXXXX";
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    CHECK_INT(resolve_path(tmpl, dev, sizeof(dev)), -ENOTBLK);
    CHECK_INT(resolve_path("/dev/null", dev, sizeof(dev)), -ENOTBLK);
    unlink(tmpl);
}

TEST(resolve_missing_tag_is_enoent)
{
    struct blockdev_spec s;
    char why[WHY_MAX];
    char dev[256];
    CHECK_INT(parse("LABEL=sharedroot-no-such-label-4f1c", &s, why), 0);
    int r = blockdev_resolve(&s, dev, sizeof(dev));
    if (r == -EACCES || r == -EPERM)
        SKIP("cannot open block devices");
    CHECK_INT(r, -ENOENT);
    CHECK_INT(parse("PARTUUID=00000000-dead-beef-0000-000000000000", &s, why), 0);
    CHECK_INT(blockdev_resolve(&s, dev, sizeof(dev)), -ENOENT);
}

TEST(probe_fstype_of_missing_device_fails)
{
    char type[32];
    CHECK(blockdev_probe_fstype("/dev/does-not-exist-sharedroot", type, sizeof(type)) < 0);
}

TEST(nbd_specs_are_kept_whole)
{
    struct blockdev_spec s;
    char why[WHY_MAX];
    char dev[64];
    CHECK_INT(parse("nbd:10.0.2.100:base:ext4", &s, why), 0);
    CHECK_INT(s.kind, SPEC_NBD);
    CHECK_STR(s.value, "nbd:10.0.2.100:base:ext4");
    CHECK_INT(parse("nbd://srv/inst-a", &s, why), 0);
    CHECK_INT(s.kind, SPEC_NBD);
    /* attached by the init, never looked up here */
    CHECK(blockdev_resolve(&s, dev, sizeof dev) < 0);
}

TEST(bad_nbd_specs_say_why)
{
    struct blockdev_spec s;
    char why[WHY_MAX];
    char big[400] = "nbd:srv:";
    CHECK_INT(parse("nbd:", &s, why), -EINVAL);
    CHECK(strstr(why, "server"));
    CHECK_INT(parse("nbds://srv/x", &s, why), -EINVAL);
    CHECK(strstr(why, "TLS"));
    memset(big + 8, 'e', 200);
    strcat(big, ":ext4:");
    memset(big + strlen(big), 'o', 100);
    CHECK_INT(parse(big, &s, why), -EINVAL); /* a valid NBD spec, too long for a device spec */
    CHECK(strstr(why, "255"));
}

/* A cloud image's disk: an ESP first, the root second (the order Debian's images have). */
static void cloud_disk(struct blockdev_ptable *pt)
{
    memset(pt, 0, sizeof *pt);
    strcpy(pt->type, "gpt");
    pt->n = 3;
    strcpy(pt->parts[0].node, "/dev/vda1");
    strcpy(pt->parts[0].fstype, "vfat");
    strcpy(pt->parts[0].uuid, "AB12-CD34");
    strcpy(pt->parts[0].partuuid, "11111111-2222-3333-4444-555555555555");
    strcpy(pt->parts[1].node, "/dev/vda2");
    strcpy(pt->parts[2].node, "/dev/vda3");
    strcpy(pt->parts[2].fstype, "ext4");
    strcpy(pt->parts[2].label, "root");
    strcpy(pt->parts[2].uuid, "0a1b2c3d-0000-4000-8000-000000000001");
    strcpy(pt->parts[2].partuuid, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    strcpy(pt->parts[2].partlabel, "linux root");
}

TEST(partition_is_described_with_what_it_has)
{
    struct blockdev_ptable pt;
    char buf[400];

    cloud_disk(&pt);
    blockdev_part_describe(&pt.parts[2], buf, sizeof buf);
    CHECK_STR(buf, "ext4, LABEL=root, UUID=0a1b2c3d-0000-4000-8000-000000000001, "
                   "PARTUUID=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee, PARTLABEL=linux root");
    blockdev_part_describe(&pt.parts[1], buf, sizeof buf);
    CHECK_STR(buf, "no filesystem found");
    /* a short buffer is cut, never overrun */
    blockdev_part_describe(&pt.parts[2], buf, 12);
    CHECK_STR(buf, "ext4, LABEL");
}

TEST(partition_pick_skips_esp_and_empty)
{
    struct blockdev_ptable pt;

    cloud_disk(&pt);
    CHECK(blockdev_ptable_pick(&pt) == &pt.parts[2]);
    /* only an ESP: it is still better than nothing to name */
    pt.n = 2;
    CHECK(blockdev_ptable_pick(&pt) == &pt.parts[0]);
    strcpy(pt.parts[0].fstype, "swap");
    CHECK(blockdev_ptable_pick(&pt) == &pt.parts[0]);
    pt.parts[0].fstype[0] = '\0';
    CHECK(blockdev_ptable_pick(&pt) == NULL);
    pt.n = 0;
    CHECK(blockdev_ptable_pick(&pt) == NULL);
}

TEST(partition_specs_name_the_fix)
{
    struct blockdev_ptable pt;
    char buf[400];

    cloud_disk(&pt);
    blockdev_part_specs(&pt.parts[2], "root", buf, sizeof buf);
    CHECK_STR(buf, "root=/dev/vda3, root=PARTUUID=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee or "
                   "root=LABEL=root");
    blockdev_part_specs(&pt.parts[0], "sharedroot.instance", buf, sizeof buf);
    CHECK_STR(buf, "sharedroot.instance=/dev/vda1 or "
                   "sharedroot.instance=PARTUUID=11111111-2222-3333-4444-555555555555");
    blockdev_part_specs(&pt.parts[1], "root", buf, sizeof buf);
    CHECK_STR(buf, "root=/dev/vda2");
    /* a layout file's source column: no key */
    blockdev_part_specs(&pt.parts[2], NULL, buf, sizeof buf);
    CHECK_STR(buf, "/dev/vda3, PARTUUID=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee or LABEL=root");
    blockdev_part_specs(&pt.parts[2], "root", buf, 20);
    CHECK_STR(buf, "root=/dev/vda3, roo");
}

TEST(probe_ptable_needs_a_block_device)
{
    struct blockdev_ptable pt;
    char tmpl[] = "/tmp/test-blockdev-XXXXXX";
    int fd = mkstemp(tmpl);

    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    CHECK_INT(blockdev_probe_ptable(tmpl, &pt), -ENOTBLK);
    CHECK_INT(blockdev_probe_ptable("/dev/does-not-exist-sharedroot", &pt), -ENOENT);
    unlink(tmpl);
}

int main(void)
{
    return test_main();
}
