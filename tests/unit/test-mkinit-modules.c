/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The module closure of sharedroot-mkinitramfs, against the installed Debian cloud kernel. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kmodset.h"
#include "modplan-write.h"
#include "modplan.h"
#include "testlib.h"

/* The newest installed Debian cloud kernel's modules (its version moves with Debian's
 * updates), or $SHAREDROOT_KVER's. */
static const char *moddir(void)
{
    static char dir[PATH_MAX];
    const char *kver = getenv("SHAREDROOT_KVER");
    glob_t g;

    if (dir[0])
        return dir;
    if (kver && *kver) {
        snprintf(dir, sizeof dir, "/lib/modules/%s", kver);
        return dir;
    }
    if (glob("/lib/modules/*-cloud-amd64", 0, NULL, &g) == 0) {
        const char *best = g.gl_pathv[0];
        for (size_t i = 1; i < g.gl_pathc; i++)
            if (strverscmp(g.gl_pathv[i], best) > 0)
                best = g.gl_pathv[i];
        snprintf(dir, sizeof dir, "%s", best);
        globfree(&g);
    } else {
        snprintf(dir, sizeof dir, "/lib/modules/none-cloud-amd64");
    }
    return dir;
}
#define MODDIR moddir()

static bool have_moddir(void)
{
    char path[PATH_MAX + 32];
    struct stat st;
    snprintf(path, sizeof path, "%s/modules.dep.bin", MODDIR);
    return stat(path, &st) == 0;
}

TEST(modules_virtio_blk_pulls_virtio_ring)
{
    struct kmodset s;
    const struct kmod_item *m;

    if (!have_moddir())
        SKIP("no Debian cloud kernel modules installed");
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
        SKIP("no Debian cloud kernel modules installed");
    CHECK_INT(kmodset_init(&s, MODDIR), 0);
    CHECK_INT(kmodset_add(&s, "xen-blkfront", "default"), 0);
    CHECK(kmodset_find(&s, "xen_blkfront") != NULL);
    kmodset_done(&s);
}

TEST(modules_nonexistent_is_enoent)
{
    struct kmodset s;

    if (!have_moddir())
        SKIP("no Debian cloud kernel modules installed");
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
        SKIP("no Debian cloud kernel modules installed");
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
        SKIP("no Debian cloud kernel modules installed");
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
        SKIP("no Debian cloud kernel modules installed");
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

static long plan_index(const struct modplan *p, const char *name)
{
    for (size_t i = 0; i < modplan_count(p); i++)
        if (strcmp(modplan_name(p, i), name) == 0)
            return (long)i;
    return -1;
}

/* What the init will read: the plan libkmod resolved parses, and the init's lookups and probe
 * order agree with libkmod's. */
TEST(module_plan_written_by_libkmod_parses_and_resolves)
{
    struct kmodset s;
    struct modplan_stats st;
    struct modplan *p = NULL;
    char *text = NULL, why[256] = "";
    size_t len = 0, idx[8];
    bool alias;

    if (!have_moddir())
        SKIP("no Debian cloud kernel modules installed");
    CHECK_INT(kmodset_init(&s, MODDIR), 0);
    CHECK_INT(kmodset_add(&s, "virtio_pci", "default"), 0);
    CHECK_INT(kmodset_add(&s, "virtio_blk", "default"), 0);
    CHECK_INT(kmodset_add(&s, "fs-erofs", "default"), 0);
    CHECK_INT(kmodset_add(&s, "fs-ext4", "default"), 0);
    FILE *f = open_memstream(&text, &len);
    CHECK(f != NULL);
    if (!f) {
        kmodset_done(&s);
        return;
    }
    CHECK_INT(modplan_write(&s, f, &st), 0);
    fclose(f);
    CHECK_INT(modplan_parse(text, len, &p, why, sizeof why), 0);
    if (why[0])
        fprintf(stderr, "  %s\n", why);
    if (p) {
        long ring = plan_index(p, "virtio_ring"), blk = plan_index(p, "virtio_blk");
        CHECK(ring >= 0 && blk > ring);
        CHECK_INT(modplan_lookup(p, "virtio:d00000002v00001AF4", idx, 8, &alias), 1);
        CHECK(alias && idx[0] == (size_t)blk);
        CHECK_INT(modplan_lookup(p, "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", idx, 8,
                                 &alias),
                  1);
        CHECK_STR(modplan_name(p, idx[0]), "virtio_pci");
        CHECK_INT(modplan_lookup(p, "fs-erofs", idx, 8, &alias), 1);
        CHECK_STR(modplan_name(p, idx[0]), "erofs");
        struct modplan_step steps[32];
        int n = modplan_probe_list(p, (size_t)blk, steps, 32);
        CHECK(n >= 2);
        /* the last step is the module; every earlier one is a module it needs */
        CHECK(n > 0 && steps[n - 1].mod == (size_t)blk);
        for (int i = 0; i < n; i++)
            CHECK(steps[i].required);
        /* built in on Debian's cloud kernel, with its aliases */
        long ext4 = plan_index(p, "ext4");
        if (ext4 >= 0 && modplan_builtin(p, (size_t)ext4))
            CHECK_INT(modplan_lookup(p, "fs-ext4", idx, 8, &alias), 1);
        CHECK(st.modules >= 4 && st.aliases >= 3);
    }
    modplan_free(p);
    free(text);
    kmodset_done(&s);
}

int main(void)
{
    return test_main();
}
