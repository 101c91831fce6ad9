// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
    return test_main();
}
