// SPDX-License-Identifier: GPL-2.0-or-later
/* The module plan (mounts/modplan.c) and the init's loader over it (mounts/devices.c): the
 * parser with good and hostile input, lookups by name and by alias glob, the probe order
 * (libkmod's), options and blacklists from the kernel command line, and a dry run. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"
#include "modplan.h"
#include "testlib.h"

static char why[256];

static const char good[] = "sharedroot-modplan 1\n"
                           "# comment\n"
                           "\n"
                           "builtin ext4\n"
                           "module ring kernel/ring.ko\n"
                           "module virtio kernel/virtio.ko ring\n"
                           "module virtio_pci kernel/virtio_pci.ko ring virtio\n"
                           "module virtio_blk kernel/virtio_blk.ko.xz ring virtio\n"
                           "module crc kernel/crc.ko\n"
                           "module crc_fast kernel/crc-fast.ko\n"
                           "module libcrc kernel/libcrc.ko\n"
                           "module erofs kernel/erofs.ko libcrc\n"
                           "module post_one kernel/post.ko\n"
                           "softdep libcrc pre crc_fast\n"
                           "softdep erofs post post_one\n"
                           "alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n"
                           "alias virtio:d00000002v* virtio_blk\n"
                           "alias fs_erofs erofs\n"
                           "alias fs_ext4 ext4\n"
                           "alias crc32c crc\n"
                           "alias crc32c crc_fast\n"
                           "alias a[-x]b ring\n";

static struct modplan *parse(const char *text)
{
    struct modplan *p = NULL;
    why[0] = 0;
    int r = modplan_parse(text, strlen(text), &p, why, sizeof why);
    if (r < 0)
        fprintf(stderr, "  parse: %d %s\n", r, why);
    return r < 0 ? NULL : p;
}

static int parse_err(const char *text)
{
    struct modplan *p = NULL;
    why[0] = 0;
    int r = modplan_parse(text, strlen(text), &p, why, sizeof why);
    CHECK(p == NULL || r == 0);
    modplan_free(p);
    return r;
}

static long find(const struct modplan *p, const char *name)
{
    for (size_t i = 0; i < modplan_count(p); i++)
        if (strcmp(modplan_name(p, i), name) == 0)
            return (long)i;
    return -1;
}

/* the probe list of name as "a b c" */
static const char *probe_order(const struct modplan *p, const char *name)
{
    static char out[512];
    struct modplan_step st[32];
    int n = modplan_probe_list(p, (size_t)find(p, name), st, 32);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        strcat(out, i ? " " : "");
        strcat(out, modplan_name(p, st[i].mod));
        if (!st[i].required)
            strcat(out, "?");
    }
    return n < 0 ? "error" : out;
}

TEST(plan_parses_modules_builtins_softdeps_aliases)
{
    struct modplan *p = parse(good);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_INT(modplan_count(p), 10);
    CHECK(modplan_builtin(p, (size_t)find(p, "ext4")));
    CHECK(modplan_path(p, (size_t)find(p, "ext4")) == NULL);
    CHECK_STR(modplan_path(p, (size_t)find(p, "virtio_blk")), "kernel/virtio_blk.ko.xz");
    CHECK_STR(modplan_options(p, (size_t)find(p, "ring")), "");
    modplan_free(p);
}

TEST(probe_loads_dependencies_first_then_softdeps_around_the_module)
{
    struct modplan *p = parse(good);
    if (!p)
        return;
    CHECK_STR(probe_order(p, "virtio_pci"), "ring virtio virtio_pci");
    CHECK_STR(probe_order(p, "ring"), "ring");
    /* libkmod's order: each dependency with its softdeps around it, then the module's own;
     * softdeps are not required (their failure does not fail the probe) */
    CHECK_STR(probe_order(p, "erofs"), "crc_fast? libcrc erofs post_one?");
    modplan_free(p);
}

TEST(lookup_by_name_normalizes_dashes)
{
    struct modplan *p = parse(good);
    size_t idx[8];
    bool alias;
    if (!p)
        return;
    CHECK_INT(modplan_lookup(p, "virtio-pci", idx, 8, &alias), 1);
    CHECK_STR(modplan_name(p, idx[0]), "virtio_pci");
    CHECK(!alias);
    CHECK_INT(modplan_lookup(p, "ext4", idx, 8, &alias), 1);
    CHECK(modplan_builtin(p, idx[0]));
    modplan_free(p);
}

TEST(lookup_matches_alias_globs_like_libkmod)
{
    struct modplan *p = parse(good);
    size_t idx[8];
    bool alias;
    if (!p)
        return;
    CHECK_INT(
        modplan_lookup(p, "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", idx, 8, &alias),
        1);
    CHECK(alias);
    CHECK_STR(modplan_name(p, idx[0]), "virtio_pci");
    CHECK_INT(modplan_lookup(p, "virtio:d00000002v00001AF4", idx, 8, &alias), 1);
    CHECK_STR(modplan_name(p, idx[0]), "virtio_blk");
    /* "fs-erofs" is looked up as "fs_erofs", as libkmod normalizes it */
    CHECK_INT(modplan_lookup(p, "fs-erofs", idx, 8, &alias), 1);
    CHECK_STR(modplan_name(p, idx[0]), "erofs");
    /* two modules serve one alias: both, in plan order */
    CHECK_INT(modplan_lookup(p, "crc32c", idx, 8, &alias), 2);
    CHECK_STR(modplan_name(p, idx[0]), "crc");
    CHECK_STR(modplan_name(p, idx[1]), "crc_fast");
    /* no '-' to '_' inside a pattern's brackets; the key's '-' becomes '_' (as libkmod's) */
    CHECK_INT(modplan_lookup(p, "axb", idx, 8, &alias), 1);
    CHECK_INT(modplan_lookup(p, "a-b", idx, 8, &alias), 0);
    CHECK_INT(modplan_lookup(p, "pci:v00008086d00001234", idx, 8, &alias), 0);
    CHECK_INT(modplan_lookup(p, "bad]", idx, 8, &alias), -EINVAL);
    CHECK_INT(modplan_lookup(p, "", idx, 8, &alias), 0);
    modplan_free(p);
}

TEST(kernel_cmdline_gives_options_and_blacklist)
{
    struct modplan *p = parse(good);
    if (!p)
        return;
    CHECK_INT(modplan_set_cmdline(p, "root=/dev/vda ro virtio-blk.queue_depth=64 virtio_blk.x "
                                     "\"ring.dyndbg=file a.c +p\" modprobe.blacklist=erofs,nothere "
                                     "quiet other.param=1 .bad=1 noval. sharedroot.debug\n"),
              0);
    CHECK_STR(modplan_options(p, (size_t)find(p, "virtio_blk")), "queue_depth=64 x");
    CHECK_STR(modplan_options(p, (size_t)find(p, "ring")), "dyndbg=file a.c +p");
    CHECK(modplan_blacklisted(p, (size_t)find(p, "erofs")));
    CHECK(!modplan_blacklisted(p, (size_t)find(p, "virtio_blk")));
    /* a second call replaces the first */
    CHECK_INT(modplan_set_cmdline(p, "ring.x=\"a b\""), 0);
    CHECK_STR(modplan_options(p, (size_t)find(p, "ring")), "x=\"a b\"");
    CHECK_STR(modplan_options(p, (size_t)find(p, "virtio_blk")), "");
    CHECK(!modplan_blacklisted(p, (size_t)find(p, "erofs")));
    modplan_free(p);
}

TEST(alias_normalization_matches_libkmod)
{
    char b[16];
    CHECK_INT(modplan_normalize_alias("fs-ext4", b, sizeof b), 0);
    CHECK_STR(b, "fs_ext4");
    CHECK_INT(modplan_normalize_alias("a[-z]-b", b, sizeof b), 0);
    CHECK_STR(b, "a[-z]_b");
    CHECK_INT(modplan_normalize_alias("a[-z", b, sizeof b), -EINVAL);
    CHECK_INT(modplan_normalize_alias("a]", b, sizeof b), -EINVAL);
    CHECK_INT(modplan_normalize_alias("0123456789abcdef", b, sizeof b), -EINVAL);
    CHECK_INT(modplan_normalize_alias("0123456789abcde", b, sizeof b), 0);
    CHECK_INT(modplan_normalize_alias("[0123456789abcdef]", b, sizeof b), -EINVAL);
}

TEST(plan_rejects_malformed_input)
{
    static const char *const bad[] = {
        "",
        "\n",
        "sharedroot-modplan 2\n",
        "sharedroot-modplan 1 \n",
        "module a a.ko\n",
        "sharedroot-modplan 1\nmodule a\n",
        "sharedroot-modplan 1\nmodule a-b a.ko\n",
        "sharedroot-modplan 1\nmodule a /abs/a.ko\n",
        "sharedroot-modplan 1\nmodule a ../a.ko\n",
        "sharedroot-modplan 1\nmodule a x/../a.ko\n",
        "sharedroot-modplan 1\nmodule a x//a.ko\n",
        "sharedroot-modplan 1\nmodule a ./a.ko\n",
        "sharedroot-modplan 1\nmodule a a.ko\nmodule a b.ko\n",
        "sharedroot-modplan 1\nmodule a a.ko\nbuiltin a\n",
        "sharedroot-modplan 1\nbuiltin a b\n",
        "sharedroot-modplan 1\nmodule a a.ko a\n",
        "sharedroot-modplan 1\nmodule a a.ko b\nmodule b b.ko\n",
        "sharedroot-modplan 1\nmodule a a.ko\nmodule b b.ko a a\n",
        "sharedroot-modplan 1\nbuiltin a\nmodule b b.ko a\n",
        "sharedroot-modplan 1\nmodule a a.ko\nsoftdep a pre x\n",
        "sharedroot-modplan 1\nmodule a a.ko\nsoftdep x pre a\n",
        "sharedroot-modplan 1\nmodule a a.ko\nsoftdep a during a\n",
        "sharedroot-modplan 1\nmodule a a.ko\nsoftdep a pre\n",
        "sharedroot-modplan 1\nmodule a a.ko\nalias x b\n",
        "sharedroot-modplan 1\nmodule a a.ko\nalias x-y a\n",
        "sharedroot-modplan 1\nmodule a a.ko\nalias x[ a\n",
        "sharedroot-modplan 1\nmodule a a.ko\nalias x\n",
        "sharedroot-modplan 1\nmodule a a.ko\nalias x a extra\n",
        "sharedroot-modplan 1\nmodule a a.ko\nwhat a\n",
        "sharedroot-modplan 1\nmodule a a\x01.ko\n",
        "sharedroot-modplan 1\nmodule 0123456789012345678901234567890123456789012345678901234567 "
        "a.ko\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = parse_err(bad[i]);
        if (r != -EINVAL)
            fprintf(stderr, "  case %zu: %d\n", i, r);
        CHECK_INT(r, -EINVAL);
        CHECK(why[0] != 0);
    }
}

TEST(plan_rejects_a_dependency_cycle)
{
    /* hard dependencies must be declared earlier: a cycle cannot be written */
    CHECK_INT(parse_err("sharedroot-modplan 1\nmodule a a.ko b\nmodule b b.ko a\n"), -EINVAL);
    CHECK(strstr(why, "line 2") != NULL);
    CHECK(strstr(why, "earlier") != NULL);
}

TEST(softdep_cycles_visit_each_module_once)
{
    struct modplan *p = parse("sharedroot-modplan 1\nmodule a a.ko\nmodule b b.ko\n"
                              "softdep a pre b\nsoftdep b pre a\nsoftdep a post a\n");
    if (!p)
        return;
    CHECK_STR(probe_order(p, "a"), "b? a");
    CHECK_STR(probe_order(p, "b"), "a? b");
    modplan_free(p);
}

TEST(plan_rejects_overlong_lines_and_files_and_nul)
{
    size_t n = MODPLAN_MAX_LINE + 64;
    char *s = malloc(n + 64);
    if (!s)
        return;
    strcpy(s, "sharedroot-modplan 1\n# ");
    memset(s + strlen(s), 'x', MODPLAN_MAX_LINE);
    s[21 + 2 + MODPLAN_MAX_LINE] = '\0';
    CHECK_INT(parse_err(s), -EINVAL);
    CHECK(strstr(why, "longer") != NULL);
    free(s);

    struct modplan *p = NULL;
    static const char nul[] = "sharedroot-modplan 1\nbuiltin a\0b\n";
    CHECK_INT(modplan_parse(nul, sizeof nul - 1, &p, why, sizeof why), -EINVAL);
    CHECK(p == NULL);
    CHECK_INT(modplan_parse(good, MODPLAN_MAX_BYTES + 1, &p, why, sizeof why), -EINVAL);
    CHECK(p == NULL);
}

TEST(plan_rejects_too_many_words)
{
    char *s = malloc(MODPLAN_MAX_LINE * 2);
    if (!s)
        return;
    strcpy(s, "sharedroot-modplan 1\nmodule a a.ko\nmodule b b.ko");
    for (int i = 0; i < MODPLAN_MAX_DEPS + 2; i++)
        strcat(s, " a");
    strcat(s, "\n");
    CHECK_INT(parse_err(s), -EINVAL);
    free(s);
}

TEST(plan_without_trailing_newline_parses)
{
    struct modplan *p = parse("sharedroot-modplan 1\nmodule a a.ko");
    CHECK(p != NULL);
    CHECK_INT(p ? modplan_count(p) : 0, 1);
    modplan_free(p);
}

/* a module directory with a plan, in a temporary directory */
static char *make_moddir(const char *plan)
{
    char tmpl[] = "/tmp/test-modplan-XXXXXX";
    char *dir = mkdtemp(tmpl) ? strdup(tmpl) : NULL, path[256];
    if (!dir)
        return NULL;
    snprintf(path, sizeof path, "%s/" MODPLAN_FILE, dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(plan, f);
        fclose(f);
    }
    return dir;
}

static void remove_moddir(char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/" MODPLAN_FILE, dir);
    unlink(path);
    rmdir(dir);
    free(dir);
}

TEST(load_reads_the_plan_of_a_module_directory)
{
    char *dir = make_moddir(good);
    struct modplan *p = NULL;
    if (!dir)
        return;
    CHECK_INT(modplan_load(dir, &p, why, sizeof why), 0);
    CHECK_INT(p ? modplan_count(p) : 0, 10);
    modplan_free(p);
    CHECK_INT(modplan_load("/nonexistent-modplan-dir", &p, why, sizeof why), -ENOENT);
    remove_moddir(dir);
}

TEST(dry_run_resolves_through_the_plan_in_probe_order)
{
    /* names no kernel has: nothing is in /sys/module, so everything would be loaded */
    char *dir = make_moddir("sharedroot-modplan 1\nbuiltin tmp_builtin\n"
                            "module tmp_ring tmp/ring.ko\nmodule tmp_dev tmp/dev.ko tmp_ring\n"
                            "module tmp_soft tmp/soft.ko\nsoftdep tmp_dev pre tmp_soft\n"
                            "alias tmpbus:d0001* tmp_dev\n");
    struct devices *d = NULL;
    if (!dir)
        return;
    CHECK_INT(devices_new(&d, dir), 0);
    if (d) {
        CHECK(devices_have_plan(d));
        CHECK(devices_have_modules(d));
        devices_set_dry_run(d, true);
        CHECK_INT(devices_load(d, "tmpbus:d00010002"), 0);
        CHECK_INT(devices_loaded_count(d), 3);
        CHECK_STR(devices_loaded_name(d, 0), "tmp_ring");
        CHECK_STR(devices_loaded_name(d, 1), "tmp_soft");
        CHECK_STR(devices_loaded_name(d, 2), "tmp_dev");
        CHECK_INT(devices_load(d, "tmp-builtin"), 0);
        CHECK_INT(devices_loaded_count(d), 3);
        CHECK_INT(devices_load(d, "tmpbus:d0002"), -ENOENT);
        devices_free(d);
    }
    remove_moddir(dir);
}

TEST(missing_module_file_is_an_error_naming_it)
{
    char *dir = make_moddir("sharedroot-modplan 1\nmodule tmp_gone tmp/gone.ko\n");
    struct devices *d = NULL;
    if (!dir)
        return;
    CHECK_INT(devices_new(&d, dir), 0);
    if (d) {
        CHECK_INT(devices_load(d, "tmp_gone"), -ENOENT);
        CHECK_INT(devices_loaded_count(d), 0);
        devices_free(d);
    }
    remove_moddir(dir);
}

TEST(malformed_plan_loads_nothing_but_does_not_fail_discovery)
{
    char *dir = make_moddir("sharedroot-modplan 1\nmodule a ../../etc/passwd\n");
    struct devices *d = NULL;
    if (!dir)
        return;
    CHECK_INT(devices_new(&d, dir), 0);
    if (d) {
        CHECK(!devices_have_modules(d));
        CHECK_INT(devices_load(d, "a"), -ENOENT);
        devices_free(d);
    }
    remove_moddir(dir);
}

int main(void)
{
    return test_main();
}
