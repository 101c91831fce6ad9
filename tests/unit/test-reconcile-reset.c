// SPDX-License-Identifier: GPL-2.0-or-later
/* Resetting upper paths into the store's backups (rc_reset), and the request a running guest
 * leaves for its next boot: its parser on bad and hostile input, and carrying it out. */
#include "reset.h"
#include "test-reconcile-fixture.h"
#include "testlib.h"

static struct rc_overlay ov_of(struct fx *f)
{
    return (struct rc_overlay){.name = "/etc", .upper = f->upper, .store = f->store};
}

TEST(reset_moves_a_file_to_the_backups)
{
    struct fx f;
    struct rc_reset_result res;
    char *paths[] = {"app/app.conf"};
    fx_init(&f);
    fx_write(f.upper, "app/app.conf", "mine\n");
    fx_write(f.upper, "app/other", "keep\n");
    struct rc_overlay ov = ov_of(&f);
    CHECK_INT(rc_reset(&ov, paths, 1, &res), 0);
    CHECK_INT(res.n_done, 1);
    CHECK(!fx_exists(f.upper, "app/app.conf"));
    CHECK(fx_exists(f.upper, "app/other"));
    char rel[256];
    snprintf(rel, sizeof rel, "backups/%s/app/app.conf", res.run);
    char *kept = fx_read(f.store, rel);
    CHECK_STR(kept, "mine\n");
    free(kept);
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(reset_moves_a_dir_whiteout_and_symlink_whole)
{
    struct fx f;
    struct rc_reset_result res;
    char *paths[] = {"ssh", "gone", "link"};
    fx_init(&f);
    fx_write(f.upper, "ssh/a/b/deep", "x\n");
    fx_setxattr(f.upper, "ssh", "user.overlay.opaque", "y");
    if (fx_chardev_whiteout(f.upper, "gone") < 0)
        fx_write(f.upper, "gone", ""); /* without CAP_MKNOD: any entry will do */
    fx_symlink(f.upper, "link", "/etc/shadow");
    struct rc_overlay ov = ov_of(&f);
    CHECK_INT(rc_reset(&ov, paths, 3, &res), 0);
    CHECK_INT(res.n_done, 3);
    CHECK(!fx_exists(f.upper, "ssh") && !fx_exists(f.upper, "gone") && !fx_exists(f.upper, "link"));
    char rel[256];
    snprintf(rel, sizeof rel, "backups/%s/ssh/a/b/deep", res.run);
    CHECK(fx_exists(f.store, rel));
    /* the symlink was moved, not followed */
    struct stat st;
    snprintf(rel, sizeof rel, "%s/backups/%s/link", f.store, res.run);
    CHECK(lstat(rel, &st) == 0 && S_ISLNK(st.st_mode));
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(reset_all_empties_the_upper)
{
    struct fx f;
    struct rc_reset_result res;
    char *paths[] = {""};
    fx_init(&f);
    fx_write(f.upper, "a", "1\n");
    fx_write(f.upper, "d/b", "2\n");
    struct rc_overlay ov = ov_of(&f);
    CHECK_INT(rc_reset(&ov, paths, 1, &res), 0);
    CHECK_INT(res.n_done, 2);
    CHECK(!fx_exists(f.upper, "a") && !fx_exists(f.upper, "d"));
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(reset_lists_an_absent_path_and_changes_nothing_for_it)
{
    struct fx f;
    struct rc_reset_result res;
    char *paths[] = {"nothing/here", "a"};
    fx_init(&f);
    fx_write(f.upper, "a", "1\n");
    struct rc_overlay ov = ov_of(&f);
    CHECK_INT(rc_reset(&ov, paths, 2, &res), 0);
    CHECK_INT(res.n_absent, 1);
    CHECK_STR(res.n_absent ? res.absent[0] : NULL, "nothing/here");
    CHECK_INT(res.n_done, 1);
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(reset_refuses_unsafe_paths)
{
    struct fx f;
    struct rc_reset_result res;
    char *bad[][1] = {{"../x"}, {"a/../../x"}, {"/abs"}, {"a//b"}, {"."}};
    fx_init(&f);
    fx_write(f.lower, "x", "not to be moved\n");
    struct rc_overlay ov = ov_of(&f);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_INT(rc_reset(&ov, bad[i], 1, &res), -EINVAL);
        rc_reset_result_done(&res);
    }
    CHECK(fx_exists(f.lower, "x"));
    fx_done(&f);
}

TEST(reset_does_not_follow_a_symlink_on_the_way)
{
    struct fx f;
    struct rc_reset_result res;
    char *paths[] = {"dir/victim"};
    fx_init(&f);
    fx_write(f.lower, "victim", "outside\n");
    fx_symlink(f.upper, "dir", f.lower);
    struct rc_overlay ov = ov_of(&f);
    CHECK(rc_reset(&ov, paths, 1, &res) < 0);
    CHECK(strstr(res.why, "symlink") != NULL);
    CHECK(fx_exists(f.lower, "victim"));
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(reset_refuses_a_store_that_is_a_symlink)
{
    struct fx f;
    struct rc_reset_result res;
    char *paths[] = {"a"};
    fx_init(&f);
    fx_write(f.upper, "a", "1\n");
    symlink(f.lower, f.store);
    struct rc_overlay ov = ov_of(&f);
    CHECK(rc_reset(&ov, paths, 1, &res) < 0);
    CHECK(fx_exists(f.upper, "a"));
    CHECK(!fx_exists(f.lower, "backups"));
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(request_parse_reads_paths_and_all)
{
    const char t[] = "sharedroot-reset 1\npath ssh/sshd_config\nall\npath odd\\x0aname\n";
    char **p;
    size_t n;
    CHECK_INT(rc_reset_parse(t, sizeof t - 1, &p, &n), 0);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(p[0], "ssh/sshd_config");
        CHECK_STR(p[1], "");
        CHECK_STR(p[2], "odd\nname");
    }
    rc_reset_paths_free(p, n);
}

TEST(request_parse_refuses_bad_input)
{
    static const char *const bad[] = {
        "",
        "sharedroot-reset 2\npath a\n",
        "sharedroot-reset 1\npath a",                 /* torn */
        "sharedroot-reset 1\npath ../etc\n",          /* unsafe */
        "sharedroot-reset 1\npath /abs\n",            /* absolute */
        "sharedroot-reset 1\npath \n",                /* empty */
        "sharedroot-reset 1\nremove a\n",             /* unknown */
        "sharedroot-reset 1\npath a\\x2f..\\x2f..\n", /* escaped .. */
        "sharedroot-reset 1\npath a\\q\n",            /* bad escape */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char **p = (char **)1;
        size_t n = 1;
        CHECK_INT(rc_reset_parse(bad[i], strlen(bad[i]), &p, &n), -EBADMSG);
        CHECK(p == NULL && n == 0);
    }
    const char nul[] = "sharedroot-reset 1\npath a\0b\n";
    char **p;
    size_t n;
    CHECK_INT(rc_reset_parse(nul, sizeof nul - 1, &p, &n), -EBADMSG);
}

TEST(request_parse_survives_huge_input)
{
    size_t len = 4u << 20;
    char *t = malloc(len);
    memcpy(t, "sharedroot-reset 1\n", 19);
    memset(t + 19, 'a', len - 20);
    t[len - 1] = '\n';
    char **p;
    size_t n;
    CHECK_INT(rc_reset_parse(t, len, &p, &n), -EBADMSG); /* "aaaa..." is not a line kind */
    memcpy(t + 19, "path ", 5);
    CHECK_INT(rc_reset_parse(t, len, &p, &n), 0);
    CHECK_INT(n, 1);
    rc_reset_paths_free(p, n);
    free(t);
}

TEST(request_round_trips_and_merges)
{
    struct fx f;
    struct rc_reset_result res;
    char why[256];
    char *first[] = {"a", "odd\nname"}, *again[] = {"a", "d"};
    fx_init(&f);
    fx_write(f.upper, "a", "1\n");
    fx_write(f.upper, "odd\nname", "2\n");
    fx_write(f.upper, "d/x", "3\n");
    fx_write(f.upper, "keep", "4\n");
    struct rc_overlay ov = ov_of(&f);
    CHECK_INT(rc_reset_request(&ov, first, 2, why, sizeof why), 0);
    CHECK_INT(rc_reset_request(&ov, again, 2, why, sizeof why), 0);
    char *req = fx_read(f.store, RC_RESET_REQUEST);
    CHECK_STR(req, "sharedroot-reset 1\npath a\npath odd\\x0aname\npath d\n");
    free(req);
    CHECK_INT(rc_reset_pending(&ov, &res), 1);
    CHECK_INT(res.n_done, 3);
    CHECK(!fx_exists(f.upper, "a") && !fx_exists(f.upper, "d") && fx_exists(f.upper, "keep"));
    CHECK(!fx_exists(f.store, RC_RESET_REQUEST));
    rc_reset_result_done(&res);
    CHECK_INT(rc_reset_pending(&ov, &res), 0); /* done once */
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(pending_keeps_a_malformed_request_and_says_so)
{
    struct fx f;
    struct rc_reset_result res;
    fx_init(&f);
    fx_write(f.upper, "a", "1\n");
    mkdir(f.store, 0700);
    fx_write(f.store, RC_RESET_REQUEST, "sharedroot-reset 1\npath ../../a\n");
    struct rc_overlay ov = ov_of(&f);
    CHECK_INT(rc_reset_pending(&ov, &res), -EBADMSG);
    CHECK(strstr(res.why, "malformed") != NULL);
    CHECK(fx_exists(f.upper, "a") && fx_exists(f.store, RC_RESET_REQUEST));
    rc_reset_result_done(&res);
    fx_done(&f);
}

int main(void)
{
    return test_main();
}
