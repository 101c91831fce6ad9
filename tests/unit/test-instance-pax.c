// SPDX-License-Identifier: GPL-2.0-or-later
/* sharedroot-instance backup archives: the metadata member and hostile archives on restore. */
#define TESTLIB_IMPLEMENTATION
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pax.h"
#include "testlib.h"
#include "tree.h"

static const char meta_ok[] = "sharedroot-instance-backup 1\nfstype ext4\nsize 1048576\n";

TEST(meta_parses)
{
    struct backup_meta m;
    char why[256];
    const char *t = "sharedroot-instance-backup 1\nfstype xfs\nsize 42\nlabel inst-a\nuuid "
                    "0f1e2d3c-aaaa-bbbb-cccc-0123456789ab\n";
    CHECK_INT(backup_meta_parse(t, strlen(t), &m, why, sizeof why), 0);
    CHECK_STR(m.fstype, "xfs");
    CHECK_INT(m.size, 42);
    CHECK_STR(m.label, "inst-a");
    CHECK_STR(m.uuid, "0f1e2d3c-aaaa-bbbb-cccc-0123456789ab");
}

TEST(meta_refuses_bad_input)
{
    static const char *const bad[] = {
        "",
        "fstype ext4\nsize 1\n",
        "sharedroot-instance-backup 2\nsize 1\n",
        "sharedroot-instance-backup 1\n",
        "sharedroot-instance-backup 1\nsize -1\n",
        "sharedroot-instance-backup 1\nsize 0\n",
        "sharedroot-instance-backup 1\nsize 12x\n",
        "sharedroot-instance-backup 1\nsize 99999999999999999999999\n",
        "sharedroot-instance-backup 1\nsize 1\nnokey\n",
        "sharedroot-instance-backup 1\nsize 1\nother x\n",
        "sharedroot-instance-backup 1\nsize 1\nlabel "
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
    };
    struct backup_meta m;
    char why[256];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why[0] = 0;
        CHECK(backup_meta_parse(bad[i], strlen(bad[i]), &m, why, sizeof why) < 0);
        CHECK(why[0] != 0);
    }
    char nul[] = "sharedroot-instance-backup 1\0size 1\n";
    CHECK(backup_meta_parse(nul, sizeof nul - 1, &m, why, sizeof why) < 0);
    char *huge = malloc(10000);
    memset(huge, 'a', 10000);
    CHECK(backup_meta_parse(huge, 10000, &m, why, sizeof why) < 0);
    free(huge);
}

/* An archive in memory: members given as (path, type, target-or-content). */
struct member {
    const char *path;
    mode_t type;
    const char *data; /* content, symlink target, or hard link target (type 0) */
};

static void *build(const struct member *mb, size_t n, bool with_meta, size_t *len)
{
    size_t cap = 1 << 20, used = 0;
    void *buf = malloc(cap);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax(a);
    archive_write_open_memory(a, buf, cap, &used);
    if (with_meta) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, BACKUP_META_NAME);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)strlen(meta_ok));
        archive_write_header(a, e);
        archive_write_data(a, meta_ok, strlen(meta_ok));
        archive_entry_free(e);
    }
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, mb[i].path);
        if (mb[i].type == 0) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, mb[i].data);
        } else {
            archive_entry_set_filetype(e, mb[i].type);
        }
        archive_entry_set_perm(e, 0644);
        if (mb[i].type == AE_IFLNK)
            archive_entry_set_symlink(e, mb[i].data);
        if (mb[i].type == AE_IFREG)
            archive_entry_set_size(e, mb[i].data ? (la_int64_t)strlen(mb[i].data) : 0);
        archive_write_header(a, e);
        if (mb[i].type == AE_IFREG && mb[i].data)
            archive_write_data(a, mb[i].data, strlen(mb[i].data));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    *len = used;
    return buf;
}

static int restore_mem(const void *buf, size_t len, struct tree *t, char *why, size_t n)
{
    struct archive *a = archive_read_new();
    struct backup_meta m;
    archive_read_support_format_tar(a);
    archive_read_open_memory(a, buf, len);
    int r = backup_read(a, t, &m, why, n);
    archive_read_free(a);
    return r;
}

static int try(const struct member *mb, size_t n, bool with_meta, struct tree *t, char *why,
               size_t wn)
{
    size_t len;
    void *buf = build(mb, n, with_meta, &len);
    CHECK_INT(tree_init(t), 0);
    int r = restore_mem(buf, len, t, why, wn);
    free(buf);
    return r;
}

TEST(restore_reads_a_good_archive)
{
    static const struct member mb[] = {
        {"./", AE_IFDIR, NULL},        {"overlay/", AE_IFDIR, NULL},
        {"overlay/f", AE_IFREG, "hi"}, {"overlay/l", AE_IFLNK, "/etc/passwd"},
        {"overlay/h", 0, "overlay/f"},
    };
    struct tree t;
    char why[256] = "";
    CHECK_INT(try(mb, 5, true, &t, why, sizeof why), 0);
    if (why[0])
        fprintf(stderr, "  %s\n", why);
    struct stat st;
    CHECK_INT(fstatat(t.dfd, "overlay/h", &st, AT_SYMLINK_NOFOLLOW), 0);
    CHECK_INT(st.st_nlink, 2);
    CHECK_INT(st.st_size, 2);
    tree_done(&t);
}

TEST(restore_refuses_hostile_archives)
{
    static const struct {
        const char *name;
        struct member mb[4];
        size_t n;
        bool meta;
    } cases[] = {
        {"no metadata", {{"./", AE_IFDIR, NULL}}, 1, false},
        {"no root", {{"a", AE_IFDIR, NULL}}, 1, true},
        {"dotdot", {{"./", AE_IFDIR, NULL}, {"../escape", AE_IFREG, "x"}}, 2, true},
        {"absolute", {{"./", AE_IFDIR, NULL}, {"/etc/passwd", AE_IFREG, "x"}}, 2, true},
        {"inner dotdot", {{"./", AE_IFDIR, NULL}, {"a/../../x", AE_IFREG, "x"}}, 2, true},
        {"through a symlink",
         {{"./", AE_IFDIR, NULL}, {"l", AE_IFLNK, "/tmp"}, {"l/planted", AE_IFREG, "x"}},
         3,
         true},
        {"orphan", {{"./", AE_IFDIR, NULL}, {"missing/x", AE_IFREG, "x"}}, 2, true},
        {"duplicate",
         {{"./", AE_IFDIR, NULL}, {"a", AE_IFREG, "x"}, {"a", AE_IFREG, "y"}},
         3,
         true},
        {"hard link to nothing", {{"./", AE_IFDIR, NULL}, {"h", 0, "nothing"}}, 2, true},
        {"hard link to a dir",
         {{"./", AE_IFDIR, NULL}, {"d", AE_IFDIR, NULL}, {"h", 0, "d"}},
         3,
         true},
        {"hard link out", {{"./", AE_IFDIR, NULL}, {"h", 0, "../../etc/passwd"}}, 2, true},
        {"second metadata", {{"./", AE_IFDIR, NULL}, {BACKUP_META_NAME, AE_IFREG, "x"}}, 2, true},
        {"empty symlink", {{"./", AE_IFDIR, NULL}, {"l", AE_IFLNK, ""}}, 2, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct tree t;
        char why[256] = "";
        int r = try(cases[i].mb, cases[i].n, cases[i].meta, &t, why, sizeof why);
        if (r >= 0)
            fprintf(stderr, "  accepted: %s\n", cases[i].name);
        CHECK(r < 0);
        CHECK(why[0] != 0);
        CHECK(access("/tmp/planted", F_OK) < 0);
        tree_done(&t);
    }
}

TEST(restore_survives_truncated_and_garbage_input)
{
    static const struct member mb[] = {{"./", AE_IFDIR, NULL}, {"f", AE_IFREG, "content"}};
    size_t len;
    unsigned char *buf = build(mb, 2, true, &len);
    srand(1);
    for (int round = 0; round < 300; round++) {
        unsigned char *copy = malloc(len);
        memcpy(copy, buf, len);
        size_t cut = round < 100 ? (size_t)rand() % len : len;
        for (int k = 0; round >= 100 && k < 8; k++)
            copy[(size_t)rand() % len] = (unsigned char)rand();
        struct tree t;
        char why[256];
        CHECK_INT(tree_init(&t), 0);
        (void)restore_mem(copy, cut, &t, why, sizeof why);
        tree_done(&t);
        free(copy);
    }
    free(buf);
}

int main(void)
{
    return test_main();
}
