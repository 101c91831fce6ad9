// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layout.h"
#include "testlib.h"

static char err[1024];

static int parse_text(const char *text, struct layout *l)
{
    char path[] = "/tmp/test-layout-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    err[0] = 0;
    int r = layout_parse_file(path, l, err, sizeof err);
    unlink(path);
    return r;
}

static const char classic[] =
    "# the classic shared-root layout\n"
    "LABEL=base        /                        ext4    ro                 0 0\n"
    "LABEL=inst-etc    /run/sharedroot/etc      ext4    defaults,noatime   0 2\n"
    "UUID=1234-5678    none                     swap    sw                 0 0\n"
    "PARTLABEL=tmp     /tmp                     ext4    defaults           0 2\n"
    "LABEL=inst-var    /run/sharedroot/var      ext4    defaults           0 2\n"
    "overlay /etc overlay upperdir=/run/sharedroot/etc/upper,workdir=/run/sharedroot/etc/work 0 0\n"
    "overlay /var overlay upperdir=/run/sharedroot/var/upper,workdir=/run/sharedroot/var/work 0 "
    "0\n";

TEST(classic_layout_parses)
{
    struct layout l;
    CHECK_INT(parse_text(classic, &l), 0);
    CHECK_INT(l.n, 7);
    CHECK_INT(l.entries[0].kind, LAYOUT_ROOT);
    CHECK_INT(l.entries[1].kind, LAYOUT_PART);
    CHECK_STR(l.entries[1].source, "LABEL=inst-etc");
    CHECK_STR(l.entries[1].options, "defaults,noatime");
    CHECK_INT(l.entries[1].passno, 2);
    CHECK_INT(l.entries[2].kind, LAYOUT_SWAP);
    CHECK_INT(l.entries[3].kind, LAYOUT_TMP);
    CHECK_INT(l.entries[5].kind, LAYOUT_OVERLAY);
    CHECK_STR(l.entries[5].target, "/etc");
    CHECK_STR(l.entries[5].upper, "/run/sharedroot/etc/upper");
    CHECK_STR(l.entries[5].work, "/run/sharedroot/etc/work");
    CHECK_STR(l.entries[5].lower, "/run/sharedroot/base/etc");
    CHECK(l.entries[5].options == NULL || l.entries[5].options[0] == 0);
    CHECK(layout_part_for(&l, "/run/sharedroot/var/upper") == &l.entries[4]);
    layout_free(&l);
}

TEST(overlay_options_set_by_us_are_refused)
{
    struct layout l;
    const char *bad[] = {"redirect_dir=on", "index=on", "metacopy=on", "xino=auto"};
    for (int i = 0; i < 4; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "LABEL=i /run/sharedroot/i ext4 defaults 0 2\n"
                 "overlay /etc overlay upperdir=/run/sharedroot/i/u,workdir=/run/sharedroot/i/w,%s "
                 "0 0\n",
                 bad[i]);
        CHECK_INT(parse_text(text, &l), -EINVAL);
        CHECK(strstr(err, "is set by sharedroot") != NULL);
    }
}

TEST(upper_and_work_must_share_a_partition)
{
    struct layout l;
    CHECK_INT(parse_text(
                  "LABEL=a /run/sharedroot/a ext4 defaults 0 2\n"
                  "LABEL=b /run/sharedroot/b ext4 defaults 0 2\n"
                  "overlay /etc overlay upperdir=/run/sharedroot/a/u,workdir=/run/sharedroot/b/w\n",
                  &l),
              -EINVAL);
    CHECK(strstr(err, "same filesystem") != NULL);
}

TEST(upper_must_be_on_an_instance_partition)
{
    struct layout l;
    CHECK_INT(parse_text("overlay /etc overlay upperdir=/mnt/u,workdir=/mnt/w\n", &l), -EINVAL);
    CHECK(strstr(err, "not on an instance partition") != NULL);
}

TEST(overlay_without_upper_is_refused)
{
    struct layout l;
    CHECK_INT(parse_text("LABEL=a /run/sharedroot/a ext4 defaults 0 2\n"
                         "overlay /etc overlay workdir=/run/sharedroot/a/w\n",
                         &l),
              -EINVAL);
    CHECK(strstr(err, "needs upperdir= and workdir=") != NULL);
}

TEST(partition_outside_run_sharedroot_is_refused)
{
    struct layout l;
    CHECK_INT(parse_text("LABEL=a /mnt/data ext4 defaults 0 2\n", &l), -EINVAL);
    CHECK(strstr(err, "instance partitions go below") != NULL);
    CHECK_INT(parse_text("LABEL=a /run/sharedroot/base ext4 defaults 0 2\n", &l), -EINVAL);
}

TEST(hostile_paths_are_refused)
{
    struct layout l;
    CHECK_INT(parse_text("LABEL=a /run/sharedroot/../../etc ext4 defaults 0 2\n", &l), -EINVAL);
    CHECK_INT(
        parse_text(
            "LABEL=a /run/sharedroot/a ext4 defaults 0 2\n"
            "overlay /etc overlay upperdir=/run/sharedroot/a/../../x,workdir=/run/sharedroot/a/w\n",
            &l),
        -EINVAL);
    CHECK_INT(
        parse_text(
            "LABEL=a /run/sharedroot/a ext4 defaults 0 2\n"
            "overlay /proc overlay upperdir=/run/sharedroot/a/u,workdir=/run/sharedroot/a/w\n",
            &l),
        -EINVAL);
}

TEST(bad_device_spec_names_the_entry)
{
    struct layout l;
    CHECK_INT(parse_text("FOO=bar /run/sharedroot/a ext4 defaults 0 2\n", &l), -EINVAL);
    CHECK(strstr(err, "FOO=bar") != NULL);
}

TEST(nbd_sources_are_accepted)
{
    struct layout l;
    CHECK_INT(parse_text("nbd:10.0.2.100:inst-a /run/sharedroot/data ext4 defaults 0 0\n"
                         "nbd://10.0.2.100/inst-a-swap none swap sw 0 0\n",
                         &l),
              0);
    CHECK_STR(l.entries[0].source, "nbd:10.0.2.100:inst-a");
    CHECK_INT(l.entries[1].kind, LAYOUT_SWAP);
    layout_free(&l);
    CHECK_INT(
        parse_text("nbd:10.0.2.100:inst:ext4:ro:frob /run/sharedroot/a ext4 defaults 0 0\n", &l),
        -EINVAL);
    CHECK(strstr(err, "unknown NBD option") != NULL);
}

TEST(malformed_line_names_the_line)
{
    struct layout l;
    CHECK_INT(parse_text("# comment\nLABEL=a\n", &l), -EINVAL);
    CHECK(strstr(err, "line 2") != NULL);
}

TEST(duplicates_are_refused)
{
    struct layout l;
    CHECK_INT(parse_text("LABEL=a /run/sharedroot/a ext4 defaults 0 2\n"
                         "LABEL=b /run/sharedroot/a ext4 defaults 0 2\n",
                         &l),
              -EINVAL);
    CHECK(strstr(err, "twice") != NULL);
}

TEST(missing_file_is_an_error)
{
    struct layout l;
    err[0] = 0;
    CHECK(layout_parse_file("/nonexistent/layout.fstab", &l, err, sizeof err) < 0);
    CHECK(strstr(err, "/nonexistent/layout.fstab") != NULL);
}

TEST(too_many_entries)
{
    struct layout l;
    size_t cap = 80 * 64;
    char *text = malloc(cap), *p = text;
    for (int i = 0; i < 70; i++)
        p += sprintf(p, "LABEL=x%d /run/sharedroot/p%d ext4 defaults 0 2\n", i, i);
    CHECK_INT(parse_text(text, &l), -EINVAL);
    CHECK(strstr(err, "more than") != NULL);
    free(text);
}

TEST(instance_spec_makes_one_partition_and_overlays)
{
    struct layout l;
    CHECK_INT(layout_from_instance("LABEL=inst", "/etc,/var/lib-x", &l, err, sizeof err), 0);
    CHECK_INT(l.n, 3);
    CHECK_INT(l.entries[0].kind, LAYOUT_PART);
    CHECK_STR(l.entries[0].target, SHAREDROOT_INSTANCE);
    CHECK_STR(l.entries[1].upper, "/run/sharedroot/instance/overlay/etc/upper");
    CHECK_STR(l.entries[2].target, "/var/lib-x");
    CHECK_STR(l.entries[2].work, "/run/sharedroot/instance/overlay/var-lib\\x2dx/work");
    CHECK_STR(l.entries[2].lower, "/run/sharedroot/base/var/lib-x");
    layout_free(&l);
}

TEST(volatile_layout_uses_tmpfs)
{
    struct layout l;
    CHECK_INT(layout_from_instance(NULL, NULL, &l, err, sizeof err), 0);
    CHECK_STR(l.entries[0].source, "tmpfs");
    CHECK_STR(l.entries[0].fstype, "tmpfs");
    CHECK_INT(l.n, 3);
    layout_free(&l);
}

TEST(bad_overlay_lists_are_refused)
{
    struct layout l;
    CHECK_INT(layout_from_instance(NULL, "etc", &l, err, sizeof err), -EINVAL);
    CHECK_INT(layout_from_instance(NULL, "/", &l, err, sizeof err), -EINVAL);
    CHECK_INT(layout_from_instance(NULL, "/etc,/etc", &l, err, sizeof err), -EINVAL);
    CHECK_INT(layout_from_instance(NULL, "/dev", &l, err, sizeof err), -EINVAL);
    CHECK_INT(layout_from_instance("bogus", "/etc", &l, err, sizeof err), -EINVAL);
}

TEST(dir_names_escape)
{
    char out[64];
    CHECK_INT(layout_dir_name("/etc", out, sizeof out), 0);
    CHECK_STR(out, "etc");
    CHECK_INT(layout_dir_name("/var/lib/", out, sizeof out), 0);
    CHECK_STR(out, "var-lib");
    CHECK_INT(layout_dir_name("/a-b", out, sizeof out), 0);
    CHECK_STR(out, "a\\x2db");
    CHECK_INT(layout_dir_name("/", out, sizeof out), -EINVAL);
    CHECK_INT(
        layout_dir_name("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                        out, sizeof out),
        -ENAMETOOLONG);
}

static const char two_parts[] = "LABEL=inst-etc /run/sharedroot/etc ext4 defaults 0 2\n"
                                "LABEL=inst-var /run/sharedroot/var ext4 defaults 0 2\n";

/* Two overlays on one upper dir were mounted, and a file written in /var appeared in /etc. */
TEST(overlays_sharing_or_nesting_upper_and_work_dirs_are_refused)
{
    static const struct {
        const char *lines, *says;
    } bad[] = {
        {"overlay /etc overlay upperdir=/run/sharedroot/etc/u,workdir=/run/sharedroot/etc/w\n"
         "overlay /var overlay upperdir=/run/sharedroot/etc/u,workdir=/run/sharedroot/etc/w2\n",
         "are the same directory"},
        {"overlay /etc overlay upperdir=/run/sharedroot/etc/u,workdir=/run/sharedroot/etc/w\n"
         "overlay /var overlay upperdir=/run/sharedroot/etc/u/var,workdir=/run/sharedroot/etc/w2\n",
         "are nested"},
        {"overlay /etc overlay upperdir=/run/sharedroot/etc/u/x,workdir=/run/sharedroot/etc/w\n"
         "overlay /var overlay upperdir=/run/sharedroot/etc/u,workdir=/run/sharedroot/etc/w2\n",
         "are nested"},
        {"overlay /etc overlay upperdir=/run/sharedroot/etc/u,workdir=/run/sharedroot/etc/w\n"
         "overlay /var overlay upperdir=/run/sharedroot/etc/u2,workdir=/run/sharedroot/etc/w\n",
         "are the same directory"},
        {"overlay /etc overlay upperdir=/run/sharedroot/etc/u,workdir=/run/sharedroot/etc/w\n"
         "overlay /var overlay upperdir=/run/sharedroot/etc/w,workdir=/run/sharedroot/etc/w2\n",
         "are the same directory"},
        {"overlay /etc overlay upperdir=/run/sharedroot/etc/u,workdir=/run/sharedroot/etc/w\n"
         "overlay /var overlay upperdir=/run/sharedroot/var/u,workdir=/run/sharedroot/etc/u/w\n",
         "must be on the same filesystem"},
        /* an upper or work dir inside a lower dir, or holding one */
        {"overlay /etc overlay "
         "lowerdir=/run/sharedroot/etc,upperdir=/run/sharedroot/etc/u,workdir=/run/sharedroot/etc/"
         "w\n",
         "overlaps the lower dir"},
        {"overlay /etc overlay upperdir=/run/sharedroot/etc/u,workdir=/run/sharedroot/etc/w\n"
         "overlay /var overlay lowerdir=/run/sharedroot/etc/u/var,upperdir=/run/sharedroot/var/"
         "u,workdir=/run/sharedroot/var/w\n",
         "overlaps the lower dir"},
        {"overlay /etc overlay upperdir=/run/sharedroot/etc/u,workdir=/run/sharedroot/etc/w\n"
         "overlay /var overlay lowerdir=/run/sharedroot,upperdir=/run/sharedroot/var/"
         "u,workdir=/run/sharedroot/var/w\n",
         "overlaps the lower dir"},
        /* "/" holds every directory (fuzz-layout's oracle found this one accepted) */
        {"overlay /etc overlay lowerdir=/,upperdir=/run/sharedroot/etc/u,workdir=/run/sharedroot/"
         "etc/w\n",
         "overlaps the lower dir"},
        /* the partition's own places */
        {"overlay /etc overlay upperdir=/run/sharedroot/etc/reconcile/etc,workdir=/run/"
         "sharedroot/etc/w\n",
         "sharedroot keeps for itself"},
        {"overlay /etc overlay upperdir=/run/sharedroot/etc/u,workdir=/run/sharedroot/etc/tmp\n",
         "sharedroot keeps for itself"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[2048];
        struct layout l;
        snprintf(text, sizeof text, "%s%s", two_parts, bad[i].lines);
        CHECK_INT(parse_text(text, &l), -EINVAL);
        if (!strstr(err, bad[i].says))
            fprintf(stderr, "  case %zu: %s\n", i, err);
        CHECK(strstr(err, bad[i].says) != NULL);
    }
    /* the control: side by side on one partition is fine, and so are nested targets */
    struct layout l;
    char text[2048];
    snprintf(text, sizeof text, "%s%s", two_parts,
             "overlay /var overlay upperdir=/run/sharedroot/var/u,workdir=/run/sharedroot/var/w\n"
             "overlay /var/lib overlay upperdir=/run/sharedroot/var/u2,workdir=/run/sharedroot/"
             "var/w2\n");
    CHECK_INT(parse_text(text, &l), 0);
    layout_free(&l);
}

TEST(layout_file_is_read_within_a_bound)
{
    char path[] = "/tmp/test-layout-XXXXXX";
    struct layout l;
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_INT(ftruncate(fd, 2LL * 1024 * 1024 * 1024), 0); /* a sparse 2 GB file */
    close(fd);
    CHECK_INT(layout_parse_file(path, &l, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "larger than") != NULL);
    unlink(path);
    CHECK_INT(layout_parse_file("/dev/null", &l, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "not a regular file") != NULL);
    /* text with NUL bytes and no newline at the end does not crash */
    static const char nul[] = "LABEL=a /run/sharedroot/a ext4 defaults 0 2\n\0\0garbage";
    CHECK(layout_parse_text(nul, sizeof nul - 1, "t", &l, err, sizeof err) <= 0);
    layout_free(&l);
    CHECK_INT(layout_parse_text("", 0, "empty", &l, err, sizeof err), 0);
    CHECK_INT(l.n, 0);
}

/* "/var-lib" and "/var\x2dlib" were one directory: a backslash was not escaped. */
TEST(dir_names_are_injective)
{
    static const char *const dirs[] = {
        "/var-lib",  "/var\\x2dlib", "/var/lib", "/var\\lib", "/var\\x5clib",  "/var\\",
        "/var\\\\",  "/var\\x5c",    "/a-",      "/a/",       "/-a",           "/a--b",
        "/a-/b",     "/a/-b",        "/a\\-b",   "/a\\x2d-b", "/a\\x2d\\x2db", "/x5c",
        "/\\x5cx5c", "/\\x5c\\x5c",  "/a b",     "/a.b",
    };
    size_t n = sizeof dirs / sizeof dirs[0];
    char names[sizeof dirs / sizeof dirs[0]][128];
    for (size_t i = 0; i < n; i++)
        CHECK_INT(layout_dir_name(dirs[i], names[i], sizeof names[i]), 0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(dirs[i], dirs[j]) != 0 && strcmp(names[i], names[j]) == 0) {
                fprintf(stderr, "  %s and %s both give %s\n", dirs[i], dirs[j], names[i]);
                CHECK(!"collision");
            }
    CHECK_STR(names[1], "var\\x5cx2dlib");
    CHECK_STR(names[3], "var\\x5clib");
    /* names without a backslash did not change */
    char out[64];
    CHECK_INT(layout_dir_name("/var/lib-x", out, sizeof out), 0);
    CHECK_STR(out, "var-lib\\x2dx");
}

TEST(instance_overlays_with_colliding_old_names_get_their_own_dirs)
{
    struct layout l;
    CHECK_INT(layout_from_instance("LABEL=inst", "/var-lib,/var\\x2dlib", &l, err, sizeof err), 0);
    CHECK_INT(l.n, 3);
    if (l.n == 3) {
        CHECK(strcmp(l.entries[1].upper, l.entries[2].upper) != 0);
        CHECK_STR(l.entries[2].upper, "/run/sharedroot/instance/overlay/var\\x5cx2dlib/upper");
    }
    layout_free(&l);
}

TEST(legacy_names_only_where_unambiguous)
{
    char out[64];
    CHECK_INT(layout_dir_name_legacy("/etc", out, sizeof out), -ENOENT);       /* unchanged */
    CHECK_INT(layout_dir_name_legacy("/var/lib-x", out, sizeof out), -ENOENT); /* unchanged */
    CHECK_INT(layout_dir_name_legacy("/a\\b", out, sizeof out), 0);
    CHECK_STR(out, "a\\b");
    CHECK_INT(layout_dir_name_legacy("/srv/a\\b", out, sizeof out), 0);
    CHECK_STR(out, "srv-a\\b");
    /* collided in the old scheme: '-' and a literal \x2d were one name */
    CHECK_INT(layout_dir_name_legacy("/a-b\\c", out, sizeof out), -ENOENT);
    CHECK_INT(layout_dir_name_legacy("/var\\x2dlib", out, sizeof out), -ENOENT);
    /* reads as a name of the new scheme (of "/a\\") */
    CHECK_INT(layout_dir_name_legacy("/a\\x5c", out, sizeof out), -ENOENT);
    CHECK_INT(layout_dir_name_legacy("/a\\x5c\\q", out, sizeof out), 0);
}

static void put_dir(const char *root, const char *rel)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", root, rel);
    CHECK_INT(system(cmd), 0);
}

static bool is_dir(const char *root, const char *rel)
{
    char p[1024];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", root, rel);
    return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* An instance made before the escaping became injective keeps its overlay dirs and store. */
TEST(legacy_dirs_are_adopted_without_following_symlinks)
{
    char part[] = "/tmp/test-layout-part.XXXXXX", what[1024];
    CHECK(mkdtemp(part) != NULL);
    char upper[512], work[512];
    snprintf(upper, sizeof upper, "%s/overlay/srv-a\\x5cb/upper", part);
    snprintf(work, sizeof work, "%s/overlay/srv-a\\x5cb/work", part);
    struct layout l = {.n = 4};
    l.entries[0] = (struct layout_entry){.kind = LAYOUT_PART, .target = part};
    l.entries[1] = (struct layout_entry){
        .kind = LAYOUT_OVERLAY, .target = "/srv/a\\b", .upper = upper, .work = work};
    l.entries[2] = (struct layout_entry){
        .kind = LAYOUT_OVERLAY, .target = "/etc", .upper = upper, .work = work};
    l.entries[3] = (struct layout_entry){
        .kind = LAYOUT_OVERLAY, .target = "/x\\y", .upper = upper, .work = work};
    put_dir(part, "overlay/srv-a\\b/upper/kept");
    put_dir(part, "reconcile/srv-a\\b/objects");
    CHECK_INT(layout_adopt_legacy_dirs(&l, &l.entries[1], what, sizeof what), 2);
    CHECK(strstr(what, "overlay/srv-a\\b to ") != NULL);
    CHECK(is_dir(part, "overlay/srv-a\\x5cb/upper/kept"));
    CHECK(is_dir(part, "reconcile/srv-a\\x5cb/objects"));
    CHECK(!is_dir(part, "overlay/srv-a\\b"));
    /* again: nothing to do */
    CHECK_INT(layout_adopt_legacy_dirs(&l, &l.entries[1], what, sizeof what), 0);
    /* nothing for a name that did not change */
    CHECK_INT(layout_adopt_legacy_dirs(&l, &l.entries[2], what, sizeof what), 0);
    /* a symlink with the old name is not taken (and not followed) */
    char link[512];
    snprintf(link, sizeof link, "%s/reconcile/x\\y", part);
    CHECK_INT(symlink("/", link), 0);
    CHECK_INT(layout_adopt_legacy_dirs(&l, &l.entries[3], what, sizeof what), 0);
    CHECK(!is_dir(part, "reconcile/x\\x5cy"));
    /* when both exist, the new one is used and the old one left alone */
    put_dir(part, "reconcile/srv-a\\b");
    CHECK_INT(layout_adopt_legacy_dirs(&l, &l.entries[1], what, sizeof what), 0);
    CHECK(is_dir(part, "reconcile/srv-a\\b"));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", part);
    CHECK_INT(system(cmd), 0);
}

int main(void)
{
    return test_main();
}
