// SPDX-License-Identifier: GPL-2.0-or-later
/* sharedroot.dax: the mode, the decision from the facts, dax in option strings, and the
 * sysfs probes against a fake sysfs tree (hostile names included). */
#include "dax.h"
#include "testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct dax_facts pmem_ext4 = {
    .fstype = "ext4", .dev_dax = 1, .fs_bsize = 4096, .page_size = 4096};

TEST(mode_parse_known_values)
{
    CHECK_INT(dax_mode_parse(NULL), DAX_AUTO);
    CHECK_INT(dax_mode_parse("auto"), DAX_AUTO);
    CHECK_INT(dax_mode_parse("always"), DAX_ALWAYS);
    CHECK_INT(dax_mode_parse("off"), DAX_OFF);
}

TEST(mode_parse_refuses_bad_values)
{
    static const char *const bad[] = {"", "on", "Always", "auto ", "always,off", "\x01", "dax"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(dax_mode_parse(bad[i]), -EINVAL);
}

TEST(auto_uses_dax_on_a_pmem_ext4_with_page_sized_blocks)
{
    const char *opt = NULL, *why = "x";
    CHECK_INT(dax_decide(DAX_AUTO, &pmem_ext4, &opt, &why), DAX_USE);
    CHECK_STR(opt, "dax=always");
    CHECK(why == NULL);
}

TEST(option_per_filesystem)
{
    static const struct {
        const char *type, *opt;
    } t[] = {
        {"ext4", "dax=always"}, {"ext2", "dax"}, {"erofs", "dax=always"}, {"xfs", "dax=always"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct dax_facts f = pmem_ext4;
        const char *opt = NULL;
        f.fstype = t[i].type;
        CHECK_INT(dax_decide(DAX_AUTO, &f, &opt, NULL), DAX_USE);
        CHECK_STR(opt, t[i].opt);
    }
}

TEST(auto_is_silent_without_a_dax_device)
{
    struct dax_facts f = pmem_ext4;
    const char *opt = "x", *why = "x";
    f.dev_dax = 0;
    CHECK_INT(dax_decide(DAX_AUTO, &f, &opt, &why), DAX_NO);
    CHECK(opt == NULL && why == NULL);
    f.dev_dax = -EIO; /* sysfs could not say: not a pmem root as far as we know */
    CHECK_INT(dax_decide(DAX_AUTO, &f, NULL, NULL), DAX_NO);
}

TEST(always_without_a_dax_device_is_an_error_naming_virtio_pmem)
{
    struct dax_facts f = pmem_ext4;
    const char *why = NULL;
    f.dev_dax = 0;
    CHECK_INT(dax_decide(DAX_ALWAYS, &f, NULL, &why), DAX_ERROR);
    CHECK(why && strstr(why, "virtio-pmem"));
}

TEST(auto_warns_on_a_small_block_size_and_says_what_to_change)
{
    struct dax_facts f = pmem_ext4;
    const char *opt = "x", *why = NULL;
    f.fs_bsize = 1024;
    CHECK_INT(dax_decide(DAX_AUTO, &f, &opt, &why), DAX_WARN);
    CHECK(opt == NULL);
    CHECK(why && strstr(why, "4096") && strstr(why, "sharedroot.dax=off"));
    CHECK_INT(dax_decide(DAX_ALWAYS, &f, NULL, NULL), DAX_ERROR);
}

TEST(misaligned_partition_warns_and_says_what_to_change)
{
    struct dax_facts f = pmem_ext4;
    const char *opt = "x", *why = NULL;
    f.misaligned = 1;
    CHECK_INT(dax_decide(DAX_AUTO, &f, &opt, &why), DAX_WARN);
    CHECK(opt == NULL);
    CHECK(why && strstr(why, "page boundary") && strstr(why, "1 MiB") &&
          strstr(why, "sharedroot.dax=off"));
    CHECK_INT(dax_decide(DAX_ALWAYS, &f, NULL, &why), DAX_ERROR);
    CHECK(why && strstr(why, "page boundary"));
    /* unknown alignment is left to the kernel (the init retries without dax if it refuses) */
    f.misaligned = -EIO;
    CHECK_INT(dax_decide(DAX_AUTO, &f, NULL, NULL), DAX_USE);
    f.misaligned = 0;
    CHECK_INT(dax_decide(DAX_AUTO, &f, NULL, NULL), DAX_USE);
    /* without a dax device the partition's alignment does not matter */
    f.misaligned = 1;
    f.dev_dax = 0;
    CHECK_INT(dax_decide(DAX_AUTO, &f, NULL, NULL), DAX_NO);
}

TEST(unknown_block_size_is_left_to_the_kernel)
{
    struct dax_facts f = pmem_ext4;
    f.fs_bsize = 0;
    CHECK_INT(dax_decide(DAX_AUTO, &f, NULL, NULL), DAX_USE);
}

TEST(filesystem_without_dax_warns_on_a_dax_device)
{
    static const char *const types[] = {"squashfs", "btrfs", "iso9660", "", "ext4 "};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct dax_facts f = pmem_ext4;
        const char *why = NULL;
        f.fstype = types[i];
        CHECK_INT(dax_decide(DAX_AUTO, &f, NULL, &why), DAX_WARN);
        CHECK(why && strstr(why, "erofs"));
        CHECK_INT(dax_decide(DAX_ALWAYS, &f, NULL, NULL), DAX_ERROR);
    }
    struct dax_facts f = pmem_ext4;
    f.fstype = NULL;
    CHECK_INT(dax_decide(DAX_AUTO, &f, NULL, NULL), DAX_WARN);
}

TEST(off_and_user_rootflags_add_nothing)
{
    struct dax_facts f = pmem_ext4;
    CHECK_INT(dax_decide(DAX_OFF, &f, NULL, NULL), DAX_NO);
    f.fs_bsize = 1024; /* even where auto would warn */
    CHECK_INT(dax_decide(DAX_OFF, &f, NULL, NULL), DAX_NO);
    f.user_dax = true;
    CHECK_INT(dax_decide(DAX_ALWAYS, &f, NULL, NULL), DAX_NO);
}

TEST(dax_in_options_finds_only_dax)
{
    CHECK(dax_in_options("dax"));
    CHECK(dax_in_options("noload,dax=always"));
    CHECK(dax_in_options("ro,relatime,user_xattr,acl,cache_strategy=readaround,dax=always"));
    CHECK(dax_in_options("dax=inode"));
    CHECK(!dax_in_options("dax=never"));
    CHECK(!dax_in_options("noload,daxx"));
    CHECK(!dax_in_options("nodax"));
    CHECK(!dax_in_options(""));
    CHECK(!dax_in_options(NULL));
    CHECK(!dax_in_options("\"dax"));
}

static char fake[] = "/tmp/test-dax-XXXXXX";

static void put(const char *rel, const char *content)
{
    char path[512], cmd[600];
    snprintf(path, sizeof path, "%s/%s", fake, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    CHECK(system(cmd) == 0);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(content, f);
        fclose(f);
    }
}

TEST(device_supported_reads_queue_dax)
{
    if (!mkdtemp(fake))
        SKIP("mkdtemp failed");
    put("class/block/pmem0/queue/dax", "1\n");
    put("class/block/vda/queue/dax", "0\n");
    CHECK_INT(dax_device_supported(fake, "/dev/pmem0"), 1);
    CHECK_INT(dax_device_supported(fake, "/dev/vda"), 0);
    CHECK_INT(dax_device_supported(fake, "/dev/nosuch"), 0);
    CHECK_INT(dax_device_supported(fake, "/dev/.."), -EINVAL);
    CHECK_INT(dax_device_supported(fake, "/dev/"), -EINVAL);
    char longname[5000];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK_INT(dax_device_supported(fake, longname), -ENAMETOOLONG);
}

/* sysfs as the kernel lays it out: class/block/NAME links into devices/, a partition's
 * directory inside its disk's, with no queue of its own */
static void link_block(const char *name, const char *target)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/class/block' && ln -sfn '../../%s' '%s/class/block/%s'",
             fake, target, fake, name);
    CHECK(system(cmd) == 0);
}

TEST(device_supported_partition_asks_its_disk)
{
    put("devices/nd/pmem1/queue/dax", "1\n");
    put("devices/nd/pmem1/pmem1p1/partition", "1\n");
    put("devices/v/vdb/queue/dax", "0\n");
    put("devices/v/vdb/vdb2/partition", "2\n");
    put("devices/x/odd/size", "8\n"); /* neither a queue nor a partition */
    link_block("pmem1", "devices/nd/pmem1");
    link_block("pmem1p1", "devices/nd/pmem1/pmem1p1");
    link_block("vdb2", "devices/v/vdb/vdb2");
    link_block("odd", "devices/x/odd");
    CHECK_INT(dax_device_supported(fake, "/dev/pmem1"), 1);
    CHECK_INT(dax_device_supported(fake, "/dev/pmem1p1"), 1);
    CHECK_INT(dax_device_supported(fake, "/dev/vdb2"), 0);
    CHECK_INT(dax_device_supported(fake, "/dev/odd"), 0);
}

TEST(partition_alignment_from_sysfs)
{
    unsigned long long start = 1, n = 1;
    put("devices/nd/pmem2/queue/dax", "1\n");
    put("devices/nd/pmem2/pmem2p1/partition", "1\n");
    put("devices/nd/pmem2/pmem2p1/start", "2048\n");
    put("devices/nd/pmem2/pmem2p1/size", "409600\n");
    put("devices/nd/pmem2/pmem2p2/partition", "2\n");
    put("devices/nd/pmem2/pmem2p2/start", "411649\n"); /* one sector past a page */
    put("devices/nd/pmem2/pmem2p2/size", "8192\n");
    put("devices/nd/pmem2/pmem2p3/partition", "3\n");
    put("devices/nd/pmem2/pmem2p3/start", "421888\n");
    put("devices/nd/pmem2/pmem2p3/size", "8191\n"); /* ends inside a page */
    put("devices/nd/pmem2/pmem2p4/partition", "4\n");
    put("devices/nd/pmem2/pmem2p4/start", "-8\n"); /* hostile or broken sysfs */
    put("devices/nd/pmem2/pmem2p4/size", "8\n");
    put("devices/nd/pmem2/pmem2p5/partition", "5\n");
    put("devices/nd/pmem2/pmem2p5/start", "99999999999999999999999\n");
    put("devices/nd/pmem2/pmem2p5/size", "8\n");
    put("devices/nd/pmem2/pmem2p6/partition", "6\n"); /* no start file */
    for (int i = 1; i <= 6; i++) {
        char name[16], target[64];
        snprintf(name, sizeof name, "pmem2p%d", i);
        snprintf(target, sizeof target, "devices/nd/pmem2/pmem2p%d", i);
        link_block(name, target);
    }
    link_block("pmem2", "devices/nd/pmem2");
    CHECK_INT(dax_partition_misaligned(fake, "/dev/pmem2", 4096, NULL, NULL), 0);
    CHECK_INT(dax_partition_misaligned(fake, "/dev/pmem2p1", 4096, &start, &n), 0);
    CHECK(start == 2048 && n == 409600);
    CHECK_INT(dax_partition_misaligned(fake, "/dev/pmem2p2", 4096, &start, &n), 1);
    CHECK(start == 411649 && n == 8192);
    CHECK_INT(dax_partition_misaligned(fake, "/dev/pmem2p3", 4096, NULL, NULL), 1);
    /* 64 KiB pages (arm64, ppc64): 2048 sectors is a multiple, 421888 is not */
    CHECK_INT(dax_partition_misaligned(fake, "/dev/pmem2p1", 65536, NULL, NULL), 0);
    CHECK_INT(dax_partition_misaligned(fake, "/dev/pmem2p3", 65536, NULL, NULL), 1);
    CHECK_INT(dax_partition_misaligned(fake, "/dev/pmem2p4", 4096, NULL, NULL), -EINVAL);
    CHECK_INT(dax_partition_misaligned(fake, "/dev/pmem2p5", 4096, NULL, NULL), -EINVAL);
    CHECK_INT(dax_partition_misaligned(fake, "/dev/pmem2p6", 4096, NULL, NULL), -ENOENT);
    CHECK_INT(dax_partition_misaligned(fake, "/dev/nosuch", 4096, NULL, NULL), 0);
    CHECK_INT(dax_partition_misaligned(fake, "/dev/..", 4096, NULL, NULL), -EINVAL);
    CHECK_INT(dax_partition_misaligned(fake, "/dev/pmem2p1", 0, NULL, NULL), -EINVAL);
    char longname[5000];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK_INT(dax_partition_misaligned(fake, longname, 4096, NULL, NULL), -ENAMETOOLONG);
}

TEST(unmapped_namespace_is_found)
{
    char name[64] = "";
    CHECK_INT(dax_unmapped_namespace(fake, name, sizeof name), 0); /* no nd bus */
    put("bus/nd/devices/namespace0.0/size", "3145728\n");
    put("bus/nd/devices/btt0.0/size", "0\n");
    put("bus/nd/devices/namespace1.0/size", "0\n"); /* a seed: no size */
    CHECK_INT(dax_unmapped_namespace(fake, name, sizeof name), 1);
    CHECK_STR(name, "namespace0.0");
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "ln -s ../../../bus/nd/drivers/nd_pmem %s/bus/nd/devices/namespace0.0/driver", fake);
    CHECK(system(cmd) == 0);
    CHECK_INT(dax_unmapped_namespace(fake, name, sizeof name), 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fake);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    return test_main();
}
