/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The module closure of sharedroot-mkinitramfs, against the installed Debian cloud kernel. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "kmodset.h"
#include "testlib.h"

#define MODDIR "/lib/modules/6.1.0-56-cloud-amd64"

static bool have_moddir(void)
{
    struct stat st;
    return stat(MODDIR "/modules.dep.bin", &st) == 0;
}

TEST(modules_virtio_blk_pulls_virtio_ring)
{
    struct kmodset s;
    const struct kmod_item *m;

    if (!have_moddir())
        SKIP(MODDIR " not installed");
    CHECK_INT(kmodset_init(&s, MODDIR), 0);
    CHECK_INT(kmodset_add(&s, "virtio_blk", "default"), 0);
    m = kmodset_find(&s, "virtio_blk");
    CHECK(m && !m->builtin && m->relpath);
    if (m) {
        CHECK_STR(m->reason, "default");
        CHECK_STR(m->relpath, "kernel/drivers/block/virtio_blk.ko");
    }
    m = kmodset_find(&s, "virtio_ring");
    CHECK(m != NULL);
    if (m)
        CHECK_STR(m->reason, "dependency of virtio_blk");
    CHECK(kmodset_find(&s, "virtio") != NULL);
    kmodset_done(&s);
}

TEST(modules_alias_names_with_dashes_resolve)
{
    struct kmodset s;

    if (!have_moddir())
        SKIP(MODDIR " not installed");
    CHECK_INT(kmodset_init(&s, MODDIR), 0);
    CHECK_INT(kmodset_add(&s, "xen-blkfront", "default"), 0);
    CHECK(kmodset_find(&s, "xen_blkfront") != NULL);
    kmodset_done(&s);
}

TEST(modules_nonexistent_is_enoent)
{
    struct kmodset s;

    if (!have_moddir())
        SKIP(MODDIR " not installed");
    CHECK_INT(kmodset_init(&s, MODDIR), 0);
    CHECK_INT(kmodset_add(&s, "no_such_module_xyz", "requested"), -ENOENT);
    CHECK_INT(s.n, 0);
    kmodset_done(&s);
}

TEST(modules_ext4_is_builtin)
{
    struct kmodset s;
    const struct kmod_item *m;

    if (!have_moddir())
        SKIP(MODDIR " not installed");
    CHECK_INT(kmodset_init(&s, MODDIR), 0);
    CHECK_INT(kmodset_add(&s, "ext4", "default"), 0);
    m = kmodset_find(&s, "ext4");
    CHECK(m && m->builtin && !m->path && !m->relpath);
    kmodset_done(&s);
}

TEST(modules_softdeps_are_followed)
{
    struct kmodset s;
    bool crc = false;

    if (!have_moddir())
        SKIP(MODDIR " not installed");
    CHECK_INT(kmodset_init(&s, MODDIR), 0);
    CHECK_INT(kmodset_add(&s, "xfs", "default"), 0);
    CHECK(kmodset_find(&s, "libcrc32c") != NULL);
    /* modules.softdep: "softdep libcrc32c pre: crc32c" */
    for (size_t i = 0; i < s.n; i++)
        if (strncmp(s.v[i].name, "crc32c", 6) == 0)
            crc = strcmp(s.v[i].reason, "softdep of libcrc32c") == 0;
    CHECK(crc);
    kmodset_done(&s);
}

TEST(modules_adding_twice_keeps_one_entry)
{
    struct kmodset s;
    size_t n;

    if (!have_moddir())
        SKIP(MODDIR " not installed");
    CHECK_INT(kmodset_init(&s, MODDIR), 0);
    CHECK_INT(kmodset_add(&s, "virtio_scsi", "default"), 0);
    n = s.n;
    CHECK_INT(kmodset_add(&s, "virtio_scsi", "requested"), 0);
    CHECK_INT(kmodset_add(&s, "scsi_mod", "requested"), 0);
    CHECK_INT(s.n, n);
    kmodset_done(&s);
}

TEST(modules_missing_directory_is_enoent)
{
    struct kmodset s;

    CHECK_INT(kmodset_init(&s, "/nonexistent/lib/modules/0.0"), -ENOENT);
    kmodset_done(&s);
}

int main(void)
{
    return test_main();
}
