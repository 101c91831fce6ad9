// SPDX-License-Identifier: GPL-2.0-or-later
/* sharedroot-instance: the instance layout, --file parsing, user names, the staging tree. */
#define TESTLIB_IMPLEMENTATION
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instfiles.h"
#include "spec.h"
#include "testlib.h"
#include "tree.h"

TEST(unescape_inverts_layout_dir_name)
{
    static const char *const dirs[] = {"/etc", "/var/lib", "/srv/my-app", "/a-b/c--d", "/x"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        char name[256], back[256];
        CHECK_INT(layout_dir_name(dirs[i], name, sizeof name), 0);
        CHECK_INT(spec_unescape_name(name, back, sizeof back), 0);
        CHECK_STR(back, dirs[i]);
    }
}

TEST(unescape_refuses_names_layout_never_makes)
{
    char out[64];
    CHECK_INT(spec_unescape_name("", out, sizeof out), -EINVAL);
    CHECK_INT(spec_unescape_name("-etc", out, sizeof out), -EINVAL);
    CHECK_INT(spec_unescape_name("etc-", out, sizeof out), -EINVAL);
    CHECK_INT(spec_unescape_name("a--b", out, sizeof out), -EINVAL);
    CHECK_INT(spec_unescape_name("a/b", out, sizeof out), -EINVAL);
    CHECK_INT(spec_unescape_name("a\\b", out, sizeof out), -EINVAL);
    CHECK_INT(spec_unescape_name("abcdefgh", out, 4), -ENAMETOOLONG);
}

TEST(default_spec_is_etc_and_var_as_the_init_makes_them)
{
    struct inst_spec *s = calloc(1, sizeof *s);
    char err[256];
    CHECK_INT(spec_from_overlays(NULL, s, err, sizeof err), 0);
    CHECK_INT(s->n, 2);
    CHECK_STR(s->ov[0].dir, "/etc");
    CHECK_STR(s->ov[0].upper, "overlay/etc/upper");
    CHECK_STR(s->ov[0].work, "overlay/etc/work");
    CHECK_STR(s->ov[0].store, "reconcile/etc");
    CHECK_STR(s->ov[1].upper, "overlay/var/upper");
    CHECK(s->tmp);
    CHECK_INT(spec_from_overlays("/etc,/var/lib/my-app", s, err, sizeof err), 0);
    CHECK_STR(s->ov[1].upper, "overlay/var-lib-my\\x2dapp/upper");
    CHECK_STR(s->ov[1].store, "reconcile/var-lib-my\\x2dapp");
    CHECK(spec_from_overlays("/etc,relative", s, err, sizeof err) < 0);
    CHECK(spec_from_overlays("/proc", s, err, sizeof err) < 0);
    free(s);
}

TEST(overlay_for_picks_the_longest_dir)
{
    struct inst_spec *s = calloc(1, sizeof *s);
    char err[256];
    const char *rel = NULL;
    CHECK_INT(spec_from_overlays("/etc,/var,/var/lib", s, err, sizeof err), 0);
    CHECK_STR(spec_overlay_for(s, "/var/lib/x/y", &rel)->dir, "/var/lib");
    CHECK_STR(rel, "x/y");
    CHECK_STR(spec_overlay_for(s, "/var/library", &rel)->dir, "/var");
    CHECK_STR(spec_overlay_for(s, "/etc", &rel)->dir, "/etc");
    CHECK_STR(rel, "");
    CHECK(spec_overlay_for(s, "/etcetera/x", &rel) == NULL);
    CHECK(spec_overlay_for(s, "/usr/x", &rel) == NULL);
    free(s);
}

TEST(file_option_parses_mode_and_owner)
{
    static struct inst_file f;
    char why[256];
    CHECK_INT(inst_file_parse("/tmp/a:/etc/app/a.conf", &f, why, sizeof why), 0);
    CHECK_STR(f.src, "/tmp/a");
    CHECK_STR(f.dest, "/etc/app/a.conf");
    CHECK_INT(f.mode, 0644);
    CHECK_INT(f.uid, 0);
    CHECK_INT(inst_file_parse("rel/src:/etc/x:0600:1000:4", &f, why, sizeof why), 0);
    CHECK_STR(f.src, "rel/src");
    CHECK_INT(f.mode, 0600);
    CHECK_INT(f.uid, 1000);
    CHECK_INT(f.gid, 4);
    CHECK_INT(inst_file_parse("a:/etc/x:4755", &f, why, sizeof why), 0);
    CHECK_INT(f.mode, 04755);
}

TEST(file_option_refuses_bad_input)
{
    static struct inst_file f;
    char why[256];
    static const char *const bad[] = {
        "",
        "nocolon",
        ":/etc/x",
        "a:etc/x",
        "a:/etc/../x",
        "a:/etc/x/",
        "a:/etc//x",
        "a:/etc/x:8",
        "a:/etc/x:07777x",
        "a:/etc/x:0644:1",
        "a:/etc/x:0644:a:b",
        "a:/etc/x:0644:-1:0",
        "a:/etc/x:0644:1:2:3",
        "a:/etc/x:10000",
        "a:/etc/x:0644:4294967295:0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why[0] = 0;
        int r = inst_file_parse(bad[i], &f, why, sizeof why);
        if (r >= 0)
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
        CHECK(r < 0);
        CHECK(why[0] != 0);
    }
    char huge[6000];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = 0;
    huge[1] = ':';
    huge[2] = '/';
    CHECK(inst_file_parse(huge, &f, why, sizeof why) < 0);
}

TEST(user_names)
{
    CHECK(inst_user_name_ok("root"));
    CHECK(inst_user_name_ok("_svc-1.x"));
    CHECK(inst_user_name_ok("machine$"));
    CHECK(!inst_user_name_ok(""));
    CHECK(!inst_user_name_ok("Root"));
    CHECK(!inst_user_name_ok("1abc"));
    CHECK(!inst_user_name_ok("a/b"));
    CHECK(!inst_user_name_ok("../x"));
    CHECK(!inst_user_name_ok("a$b"));
    CHECK(!inst_user_name_ok("abcdefghijabcdefghijabcdefghijabc"));
}

TEST(tree_refuses_unsafe_paths_duplicates_and_orphans)
{
    struct tree t;
    CHECK_INT(tree_init(&t), 0);
    CHECK_INT(tree_add_dir(&t, "", 0700, 0, 0), 0);
    CHECK_INT(tree_add_dir(&t, "a", 0755, 0, 0), 0);
    CHECK_INT(tree_add_dir(&t, "a", 0755, 0, 0), -EEXIST);
    CHECK_INT(tree_add_dir(&t, "../x", 0755, 0, 0), -EINVAL);
    CHECK_INT(tree_add_dir(&t, "/abs", 0755, 0, 0), -EINVAL);
    CHECK_INT(tree_add_dir(&t, "a//b", 0755, 0, 0), -EINVAL);
    CHECK(tree_add_dir(&t, "missing/child", 0755, 0, 0) < 0);
    /* a symlink staged in the tree is never followed by a later entry */
    struct tree_entry m = {.path = "a/link", .mode = S_IFLNK | 0777};
    CHECK_INT(tree_add(&t, &m, NULL, NULL, 0, NULL, NULL), -EINVAL);
    CHECK_INT(tree_add(&t, &m, "/tmp", NULL, 0, NULL, NULL), 0);
    CHECK(tree_add_file(&t, "a/link/escape", 0644, 0, 0, "x", 1) < 0);
    CHECK_INT(tree_add_parents(&t, "a/b/c/file"), 0);
    CHECK(tree_find(&t, "a/b/c") != NULL);
    CHECK_INT(tree_add_file(&t, "a/b/c/file", 0600, 5, 6, "hello", 5), 0);
    CHECK_INT(tree_add_parents(&t, "a/b/c/file/x"), -ENOTDIR);
    struct tree_entry l = {.path = "a/hard", .mode = S_IFREG | 0644, .hardlink = "a/b/c/file"};
    CHECK_INT(tree_add(&t, &l, NULL, NULL, 0, NULL, NULL), 0);
    struct stat st;
    CHECK_INT(fstatat(t.dfd, "a/hard", &st, AT_SYMLINK_NOFOLLOW), 0);
    CHECK_INT(st.st_nlink, 2);
    CHECK_INT(st.st_size, 5);
    l.path = "a/hard2";
    l.hardlink = "a/none";
    CHECK_INT(tree_add(&t, &l, NULL, NULL, 0, NULL, NULL), -ENOENT);
    char *dir = strdup(t.dir);
    tree_done(&t);
    CHECK(access(dir, F_OK) < 0);
    free(dir);
}

TEST(layout_stage_is_the_claimed_layout)
{
    struct inst_spec *s = calloc(1, sizeof *s);
    struct tree t;
    char err[256] = "";
    CHECK_INT(spec_from_overlays(NULL, s, err, sizeof err), 0);
    CHECK_INT(tree_init(&t), 0);
    CHECK_INT(inst_stage_layout(&t, s, err, sizeof err), 0);
    static const struct {
        const char *path;
        mode_t mode;
    } want[] = {
        {"", S_IFDIR | 0700},
        {".sharedroot-instance", S_IFREG | 0644},
        {"overlay/etc/upper", S_IFDIR | 0755},
        {"overlay/etc/work", S_IFDIR | 0755},
        {"overlay/var/upper", S_IFDIR | 0755},
        {"reconcile", S_IFDIR | 0700},
        {"reconcile/etc", S_IFDIR | 0700},
        {"reconcile/var", S_IFDIR | 0700},
        {"tmp", S_IFDIR | 01777},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        struct tree_entry *e = tree_find(&t, want[i].path);
        CHECK(e != NULL);
        if (e) {
            CHECK_INT(e->mode, want[i].mode);
            CHECK_INT(e->uid, 0);
        }
    }
    tree_done(&t);
    free(s);
}

int main(void)
{
    return test_main();
}

/* a file in dir with content c (len bytes) */
static char *write_tmp(const char *dir, const char *name, const void *c, size_t len)
{
    char *p = NULL;
    CHECK(asprintf(&p, "%s/%s", dir, name) > 0);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK((size_t)write(fd, c, len) == len);
    close(fd);
    return p;
}

TEST(files_options_give_one_list_for_create_and_clone)
{
    static struct inst_files fs;
    char dir[] = "/tmp/test-instance-files.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *keys = write_tmp(dir, "keys", "ssh-ed25519 AAAA k", 18);
    inst_files_init(&fs);
    CHECK_INT(inst_files_option(&fs, 'f', "/tmp/a:/etc/app.conf:0600:1:2"), 1);
    CHECK_INT(inst_files_option(&fs, 'H', "web1"), 1);
    CHECK_INT(inst_files_option(&fs, 'k', keys), 1);
    CHECK_INT(inst_files_option(&fs, 'u', "admin"), 1);
    CHECK_INT(inst_files_option(&fs, 'L', "label"), 0); /* not one of these */
    CHECK_INT(inst_files_check(&fs), 0);
    CHECK_INT(fs.n, 4);
    CHECK_STR(fs.f[0].dest, "/etc/app.conf");
    CHECK_STR(fs.f[1].dest, "/etc/hostname");
    CHECK(fs.f[1].len == 5 && memcmp(fs.f[1].data, "web1\n", 5) == 0);
    CHECK_STR(fs.f[2].dest, "/etc/ssh/authorized_keys/admin");
    CHECK(fs.f[2].data == NULL); /* read by load */
    CHECK_STR(fs.f[3].dest, INST_SSHD_DROPIN);
    CHECK(fs.f[3].mode == 0644 && fs.f[3].uid == 0);
    CHECK_INT(inst_files_load(&fs), 0);
    /* a final newline is added */
    CHECK(fs.f[2].len == 19 && memcmp(fs.f[2].data, "ssh-ed25519 AAAA k\n", 19) == 0);
    inst_files_done(&fs);
    unlink(keys);
    free(keys);
    rmdir(dir);
}

TEST(files_options_refusals)
{
    static struct inst_files fs;
    char dir[] = "/tmp/test-instance-files.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    /* the same destination twice, however it is given */
    inst_files_init(&fs);
    CHECK_INT(inst_files_option(&fs, 'f', "/tmp/a:/etc/hostname"), 1);
    CHECK_INT(inst_files_option(&fs, 'H', "web1"), 1);
    CHECK_INT(inst_files_check(&fs), -EINVAL);
    inst_files_init(&fs);
    CHECK_INT(inst_files_option(&fs, 'f', "/tmp/a:/etc/x"), 1);
    CHECK_INT(inst_files_option(&fs, 'f', "/tmp/b:/etc/x:0600"), 1);
    CHECK_INT(inst_files_check(&fs), -EINVAL);
    inst_files_init(&fs);
    CHECK_INT(inst_files_option(&fs, 'f', "/tmp/a:" INST_SSHD_DROPIN), 1);
    CHECK_INT(inst_files_option(&fs, 'k', "/tmp/keys"), 1);
    CHECK_INT(inst_files_check(&fs), -EINVAL);
    /* bad names */
    static const char *const hosts[] = {
        "", "bad_name", "-x", "a..b",
        "x234567890123456789012345678901234567890123456789012345678901234"};
    for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
        inst_files_init(&fs);
        CHECK_INT(inst_files_option(&fs, 'H', hosts[i]), 1);
        CHECK_INT(inst_files_check(&fs), -EINVAL);
    }
    inst_files_init(&fs);
    CHECK_INT(inst_files_option(&fs, 'u', "../root"), 1);
    CHECK_INT(inst_files_check(&fs), -EINVAL);
    /* malformed --file, and too many */
    inst_files_init(&fs);
    CHECK_INT(inst_files_option(&fs, 'f', "/etc/x"), -EINVAL);
    CHECK_INT(inst_files_option(&fs, 'f', "a:/etc/x:999"), -EINVAL);
    CHECK_INT(fs.n, 0);
    for (int i = 0; i < INST_MAX_FILES - 3; i++)
        CHECK_INT(inst_files_option(&fs, 'f', "a:/etc/x"), 1);
    CHECK_INT(inst_files_option(&fs, 'f', "a:/etc/x"), -EINVAL);
    /* keys: missing, empty, NUL bytes, too large */
    static const struct {
        const char *content;
        size_t len;
    } bad[] = {{"", 0}, {"ssh-rsa A\0B\n", 12}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *k = write_tmp(dir, "keys", bad[i].content, bad[i].len);
        inst_files_init(&fs);
        CHECK_INT(inst_files_option(&fs, 'k', k), 1);
        CHECK_INT(inst_files_check(&fs), 0);
        CHECK(inst_files_load(&fs) < 0);
        inst_files_done(&fs);
        unlink(k);
        free(k);
    }
    char *big = calloc(1, INST_KEYS_MAX + 2);
    memset(big, 'a', INST_KEYS_MAX + 1);
    char *k = write_tmp(dir, "keys", big, INST_KEYS_MAX + 1);
    inst_files_init(&fs);
    CHECK_INT(inst_files_option(&fs, 'k', k), 1);
    CHECK_INT(inst_files_check(&fs), 0);
    CHECK_INT(inst_files_load(&fs), -EFBIG);
    inst_files_done(&fs);
    unlink(k);
    free(k);
    free(big);
    inst_files_init(&fs);
    CHECK_INT(inst_files_option(&fs, 'k', "/nonexistent/keys"), 1);
    CHECK_INT(inst_files_check(&fs), 0);
    CHECK_INT(inst_files_load(&fs), -ENOENT);
    inst_files_done(&fs);
    rmdir(dir);
}

TEST(write_file_into_a_mounted_upper)
{
    if (geteuid() != 0)
        SKIP("needs root (the files get owners)");
    struct inst_spec *s = calloc(1, sizeof *s);
    char err[256] = "", dir[] = "/tmp/test-instance-write.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK_INT(spec_from_overlays(NULL, s, err, sizeof err), 0);
    int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(root >= 0);
    CHECK_INT(mkdirat(root, "overlay", 0755), 0);
    CHECK_INT(mkdirat(root, "overlay/etc", 0755), 0);
    CHECK_INT(mkdirat(root, "overlay/etc/upper", 0755), 0);
    CHECK_INT(mknodat(root, "overlay/etc/upper/gone", S_IFCHR | 0600, 0), 0); /* a whiteout */
    CHECK_INT(mkdirat(root, "overlay/etc/upper/d", 0700), 0);
    CHECK_INT(symlinkat("/", root, "overlay/etc/upper/link"), 0);
    struct inst_file f = {.data = "hi\n", .len = 3, .mode = 04750, .uid = 7, .gid = 8};
    struct stat st;
    umask(077); /* the dirs made are 0755 whatever the umask */
    snprintf(f.dest, sizeof f.dest, "/etc/new/sub/file");
    CHECK_INT(inst_write_file(root, s, &f, err, sizeof err), 0);
    CHECK_INT(fstatat(root, "overlay/etc/upper/new/sub/file", &st, 0), 0);
    CHECK(st.st_mode == (S_IFREG | 04750) && st.st_uid == 7 && st.st_gid == 8 && st.st_size == 3);
    CHECK_INT(fstatat(root, "overlay/etc/upper/new/sub", &st, 0), 0);
    CHECK(st.st_mode == (S_IFDIR | 0755) && st.st_uid == 0);
    /* a deletion is replaced; an existing dir keeps its mode */
    snprintf(f.dest, sizeof f.dest, "/etc/gone");
    CHECK_INT(inst_write_file(root, s, &f, err, sizeof err), 0);
    CHECK_INT(fstatat(root, "overlay/etc/upper/gone", &st, AT_SYMLINK_NOFOLLOW), 0);
    CHECK(S_ISREG(st.st_mode));
    snprintf(f.dest, sizeof f.dest, "/etc/d/x");
    CHECK_INT(inst_write_file(root, s, &f, err, sizeof err), 0);
    CHECK_INT(fstatat(root, "overlay/etc/upper/d", &st, 0), 0);
    CHECK((st.st_mode & 07777) == 0700);
    /* refusals: a dir there, a symlink or a file as a parent, a path no overlay holds */
    snprintf(f.dest, sizeof f.dest, "/etc/d");
    CHECK_INT(inst_write_file(root, s, &f, err, sizeof err), -EISDIR);
    snprintf(f.dest, sizeof f.dest, "/etc/link/escape");
    CHECK_INT(inst_write_file(root, s, &f, err, sizeof err), -ENOTDIR);
    CHECK(access("/escape", F_OK) < 0);
    snprintf(f.dest, sizeof f.dest, "/etc/gone/x");
    CHECK_INT(inst_write_file(root, s, &f, err, sizeof err), -ENOTDIR);
    snprintf(f.dest, sizeof f.dest, "/usr/x");
    CHECK_INT(inst_write_file(root, s, &f, err, sizeof err), -ENOENT);
    /* a missing source: nothing is left */
    snprintf(f.src, sizeof f.src, "%s/missing", dir);
    snprintf(f.dest, sizeof f.dest, "/etc/from-src");
    CHECK_INT(inst_write_file(root, s, &f, err, sizeof err), -ENOENT);
    CHECK(faccessat(root, "overlay/etc/upper/from-src", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
    CHECK(faccessat(root, "overlay/etc/upper/.from-src.sharedroot-tmp", F_OK, AT_SYMLINK_NOFOLLOW) <
          0);
    umask(022);
    close(root);
    char *cmd = NULL;
    CHECK(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
    CHECK_INT(system(cmd), 0);
    free(cmd);
    free(s);
}
