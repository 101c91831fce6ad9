// SPDX-License-Identifier: GPL-2.0-or-later
/* Resetting upper paths into the store's backups (rc_reset), and the request a running guest
 * leaves for its next boot: its parser on bad and hostile input, and carrying it out. A path
 * inside an opaque dir: the merged view (computed from lower and upper as overlayfs merges
 * them) changes for that path only, also when the reset is killed at any of its steps. */
#include <dirent.h>
#include <sys/wait.h>

#include "apply.h"
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
    CHECK_INT(rc_reset(&ov, paths, 1, NULL, &res), 0);
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
    CHECK_INT(rc_reset(&ov, paths, 3, NULL, &res), 0);
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
    CHECK_INT(rc_reset(&ov, paths, 1, NULL, &res), 0);
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
    CHECK_INT(rc_reset(&ov, paths, 2, NULL, &res), 0);
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
        CHECK_INT(rc_reset(&ov, bad[i], 1, NULL, &res), -EINVAL);
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
    CHECK(rc_reset(&ov, paths, 1, NULL, &res) < 0);
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
    CHECK(rc_reset(&ov, paths, 1, NULL, &res) < 0);
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
    CHECK_INT(rc_reset_pending(&ov, NULL, &res), 1);
    CHECK_INT(res.n_done, 3);
    CHECK(!fx_exists(f.upper, "a") && !fx_exists(f.upper, "d") && fx_exists(f.upper, "keep"));
    CHECK(!fx_exists(f.store, RC_RESET_REQUEST));
    rc_reset_result_done(&res);
    CHECK_INT(rc_reset_pending(&ov, NULL, &res), 0); /* done once */
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
    CHECK_INT(rc_reset_pending(&ov, NULL, &res), -EBADMSG);
    CHECK(strstr(res.why, "malformed") != NULL);
    CHECK(fx_exists(f.upper, "a") && fx_exists(f.store, RC_RESET_REQUEST));
    rc_reset_result_done(&res);
    fx_done(&f);
}

/* --- the merged view --- */

struct view {
    char text[16384];
    const char *opaque_attr; /* the marks the overlay honours */
};

static void view_add(struct view *v, const char *rel, const char *full, const struct stat *st)
{
    size_t l = strlen(v->text);
    char c[256] = "";
    if (S_ISREG(st->st_mode)) {
        FILE *f = fopen(full, "r");
        size_t n = f ? fread(c, 1, sizeof c - 1, f) : 0;
        c[n] = 0;
        if (f)
            fclose(f);
    } else if (S_ISLNK(st->st_mode)) {
        ssize_t n = readlink(full, c, sizeof c - 1);
        c[n > 0 ? n : 0] = 0;
    }
    snprintf(v->text + l, sizeof v->text - l, "%s %s %s|", rel,
             S_ISDIR(st->st_mode)   ? "dir"
             : S_ISLNK(st->st_mode) ? "symlink"
             : S_ISREG(st->st_mode) ? "file"
                                    : "other",
             c);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the names of dir (may be NULL) to names[]. */
static size_t add_names(const char *dir, char **names, size_t n, size_t max)
{
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) && n < max)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            names[n++] = strdup(e->d_name);
    if (d)
        closedir(d);
    return n;
}

/* What overlayfs shows of the dirs lower and upper (either may be NULL) at rel: an upper
 * entry hides the lower one, a char 0/0 whiteout hides it and shows nothing, an upper dir
 * merges with a lower dir unless it is opaque ("y"). */
static void merge_dir(struct view *v, const char *lower, const char *upper, const char *rel)
{
    char *names[256];
    size_t n = add_names(upper, names, add_names(lower, names, 0, 128), 256);
    qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n; i++) {
        char lp[1024], up[1024], r[1024], val[2];
        struct stat ls, us;
        if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
            continue;
        snprintf(lp, sizeof lp, "%s/%s", lower ? lower : "", names[i]);
        snprintf(up, sizeof up, "%s/%s", upper ? upper : "", names[i]);
        snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        bool hl = lower && lstat(lp, &ls) == 0, hu = upper && lstat(up, &us) == 0;
        if (hu && S_ISCHR(us.st_mode) && us.st_rdev == makedev(0, 0))
            continue;
        const char *p = hu ? up : lp;
        const struct stat *st = hu ? &us : &ls;
        view_add(v, r, p, st);
        if (!S_ISDIR(st->st_mode))
            continue;
        bool opaque = hu && lgetxattr(up, v->opaque_attr, val, sizeof val) == 1 && val[0] == 'y';
        merge_dir(v, hl && S_ISDIR(ls.st_mode) && (!hu || !opaque) ? lp : NULL, hu ? up : NULL, r);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
}

static void merged(struct fx *f, const char *attr, struct view *v)
{
    v->text[0] = 0;
    v->opaque_attr = attr;
    merge_dir(v, f->lower, f->upper, "");
}

/* before with the line of rel replaced by what the base has there */
static void expect_base_at(const struct view *before, const char *rel, const char *line,
                           const char *base_line, struct view *out)
{
    char want[512];
    snprintf(want, sizeof want, "%s %s|", rel, line);
    const char *at = strstr(before->text, want);
    CHECK(at != NULL);
    if (!at) {
        snprintf(out->text, sizeof out->text, "%s", before->text);
        return;
    }
    snprintf(out->text, sizeof out->text, "%.*s%s%s%s", (int)(at - before->text), before->text,
             base_line ? rel : "", base_line ? " " : "", base_line ? base_line : "");
    size_t l = strlen(out->text);
    snprintf(out->text + l, sizeof out->text - l, "%s%s", base_line ? "|" : "", at + strlen(want));
}

/* The base has d/{a,b,deep/y,sub/{c,x},sub2/e} and top.conf; the upper made d opaque (the
 * guest removed it and made it again) with its own a, own, new-dir/f, sub/c and an empty
 * sub2. The opaque marks in the namespace attr. */
static void opaque_scenario(struct fx *f, const char *attr)
{
    fx_write(f->lower, "top.conf", "base-top\n");
    fx_write(f->lower, "d/a", "base-a\n");
    fx_write(f->lower, "d/b", "base-b\n");
    fx_write(f->lower, "d/deep/y", "base-y\n");
    fx_write(f->lower, "d/sub/c", "base-c\n");
    fx_write(f->lower, "d/sub/x", "base-x\n");
    fx_write(f->lower, "d/sub2/e", "base-e\n");
    fx_write(f->upper, "d/a", "mine\n");
    fx_write(f->upper, "d/own", "own\n");
    fx_write(f->upper, "d/new-dir/f", "f\n");
    fx_write(f->upper, "d/sub/c", "mine-c\n");
    fx_mkdir(f->upper, "d/sub2");
    fx_setxattr(f->upper, "d", attr, "y");
}

static bool has_mark(const char *dir, const char *rel, const char *attr)
{
    char p[1024], v[2];
    fx_path(p, sizeof p, dir, rel);
    return lgetxattr(p, attr, v, sizeof v) == 1 && v[0] == 'y';
}

static bool is_whiteout(const char *dir, const char *rel)
{
    char p[1024];
    struct stat st;
    fx_path(p, sizeof p, dir, rel);
    return lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

static bool listed(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

static char *backup_of(struct fx *f, const char *run, const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "backups/%s/%s", run, rel);
    return fx_read(f->store, p);
}

static struct rc_overlay ov_with_base(struct fx *f)
{
    return (struct rc_overlay){
        .name = "/etc", .lower = f->lower, .upper = f->upper, .store = f->store};
}

TEST(reset_inside_an_opaque_dir_shows_the_base_and_keeps_the_rest_hidden)
{
    const char *attr = "user.overlay.opaque";
    struct fx f;
    struct view before, after, want;
    struct rc_reset_result res;
    char *paths[] = {"d/a"};
    fx_init(&f);
    opaque_scenario(&f, attr);
    merged(&f, attr, &before);
    CHECK(strstr(before.text, "d/b ") == NULL && strstr(before.text, "d/sub/x") == NULL);
    struct rc_overlay ov = ov_with_base(&f);
    CHECK_INT(rc_reset(&ov, paths, 1, NULL, &res), 0);
    merged(&f, attr, &after);
    expect_base_at(&before, "d/a", "file mine\n", "file base-a\n", &want);
    CHECK_STR(after.text, want.text);
    CHECK_INT(res.n_done, 1);
    CHECK(!has_mark(f.upper, "d", attr));
    CHECK(is_whiteout(f.upper, "d/b") && is_whiteout(f.upper, "d/deep"));
    CHECK(has_mark(f.upper, "d/sub", attr) && has_mark(f.upper, "d/sub2", attr));
    CHECK(!has_mark(f.upper, "d/new-dir", attr)); /* the base has no such dir */
    CHECK(res.n_unopaqued == 1 && listed(res.unopaqued, res.n_unopaqued, "d"));
    CHECK(res.n_whiteouts == 2 && listed(res.whiteouts, res.n_whiteouts, "d/b") &&
          listed(res.whiteouts, res.n_whiteouts, "d/deep"));
    CHECK(res.n_opaqued == 2 && listed(res.opaqued, res.n_opaqued, "d/sub") &&
          listed(res.opaqued, res.n_opaqued, "d/sub2"));
    char *kept = backup_of(&f, res.run, "d/a");
    CHECK_STR(kept, "mine\n");
    free(kept);
    CHECK(!fx_exists(f.store, "journal"));
    char *text = rc_reset_changes_text(&res, "/etc");
    CHECK(text && strstr(text, "no longer opaque: /etc/d;") &&
          strstr(text, "whiteouts added (what it hid stays hidden): /etc/d/b, /etc/d/deep") &&
          strstr(text, "marked opaque (the base's dir stays hidden): /etc/d/sub, /etc/d/sub2"));
    free(text);
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(reset_deep_inside_nested_opaque_dirs_changes_that_path_only)
{
    const char *attr = "user.overlay.opaque";
    struct fx f;
    struct view before, after, want;
    struct rc_reset_result res;
    char *paths[] = {"d/sub/c"};
    fx_init(&f);
    opaque_scenario(&f, attr);
    fx_setxattr(f.upper, "d/sub", attr, "y");
    merged(&f, attr, &before);
    struct rc_overlay ov = ov_with_base(&f);
    CHECK_INT(rc_reset(&ov, paths, 1, NULL, &res), 0);
    merged(&f, attr, &after);
    expect_base_at(&before, "d/sub/c", "file mine-c\n", "file base-c\n", &want);
    CHECK_STR(after.text, want.text);
    CHECK(!has_mark(f.upper, "d", attr) && !has_mark(f.upper, "d/sub", attr));
    CHECK(is_whiteout(f.upper, "d/sub/x") && is_whiteout(f.upper, "d/b"));
    CHECK(res.n_unopaqued == 2 && strcmp(res.unopaqued[0], "d/sub") == 0 &&
          strcmp(res.unopaqued[1], "d") == 0); /* deepest first: d hides the rest until last */
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(reset_of_two_paths_in_one_opaque_dir)
{
    const char *attr = "user.overlay.opaque";
    struct fx f;
    struct view before, after, want, mid;
    struct rc_reset_result res;
    char *paths[] = {"d/a", "d/sub/c"};
    fx_init(&f);
    opaque_scenario(&f, attr);
    merged(&f, attr, &before);
    struct rc_overlay ov = ov_with_base(&f);
    CHECK_INT(rc_reset(&ov, paths, 2, NULL, &res), 0);
    CHECK_INT(res.n_done, 2);
    merged(&f, attr, &after);
    expect_base_at(&before, "d/a", "file mine\n", "file base-a\n", &mid);
    expect_base_at(&mid, "d/sub/c", "file mine-c\n", "file base-c\n", &want);
    CHECK_STR(after.text, want.text);
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(reset_inside_an_opaque_dir_of_a_path_the_base_lacks_only_moves_it)
{
    const char *attr = "user.overlay.opaque";
    struct fx f;
    struct view before, after, want;
    struct rc_reset_result res;
    char *paths[] = {"d/own"};
    fx_init(&f);
    opaque_scenario(&f, attr);
    merged(&f, attr, &before);
    struct rc_overlay ov = ov_with_base(&f);
    CHECK_INT(rc_reset(&ov, paths, 1, NULL, &res), 0);
    merged(&f, attr, &after);
    expect_base_at(&before, "d/own", "file own\n", NULL, &want);
    CHECK_STR(after.text, want.text);
    CHECK(has_mark(f.upper, "d", attr) && !fx_exists(f.upper, "d/b"));
    CHECK(res.n_unopaqued == 0 && res.n_whiteouts == 0 && res.n_opaqued == 0);
    CHECK(rc_reset_changes_text(&res, "/etc") == NULL);
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(reset_inside_an_opaque_dir_without_the_base_is_refused_untouched)
{
    const char *attr = "user.overlay.opaque";
    struct fx f;
    struct view before, after;
    struct rc_reset_result res;
    char *paths[] = {"top-own", "d/sub/c"};
    fx_init(&f);
    opaque_scenario(&f, attr);
    fx_write(f.upper, "top-own", "1\n");
    merged(&f, attr, &before);
    struct rc_overlay ov = ov_of(&f);
    CHECK_INT(rc_reset(&ov, paths, 2, NULL, &res), -EOPNOTSUPP);
    CHECK(strstr(res.why, "d/sub/c is inside d, an opaque dir") != NULL);
    CHECK(strstr(res.why, "nothing was reset") != NULL);
    merged(&f, attr, &after);
    CHECK_STR(after.text, before.text);
    CHECK(fx_exists(f.upper, "top-own") && has_mark(f.upper, "d", attr));
    char bk[256], *names[4];
    fx_path(bk, sizeof bk, f.store, "backups");
    CHECK_INT(add_names(bk, names, 0, 4), 0); /* nothing moved */
    char *top = NULL;
    int fd = open(f.upper, O_RDONLY | O_DIRECTORY);
    CHECK_INT(rc_reset_opaque_above(fd, "d/sub/c", &top), 1);
    CHECK_STR(top, "d");
    free(top);
    CHECK_INT(rc_reset_opaque_above(fd, "d", &top), 0); /* the dir itself: reset whole */
    CHECK_INT(rc_reset_opaque_above(fd, "top-own", &top), 0);
    CHECK_INT(rc_reset_opaque_above(fd, "nothing/here/x", &top), 0);
    close(fd);
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(reset_inside_a_trusted_opaque_dir_marks_in_that_namespace)
{
    const char *attr = "trusted.overlay.opaque";
    struct fx f;
    struct view before, after, want;
    struct rc_reset_result res;
    char *paths[] = {"d/a"};
    if (geteuid() != 0)
        SKIP("trusted.* xattrs need root");
    fx_init(&f);
    opaque_scenario(&f, attr);
    merged(&f, attr, &before);
    struct rc_overlay ov = ov_with_base(&f);
    CHECK_INT(rc_reset(&ov, paths, 1, NULL, &res), 0);
    merged(&f, attr, &after);
    expect_base_at(&before, "d/a", "file mine\n", "file base-a\n", &want);
    CHECK_STR(after.text, want.text);
    CHECK(has_mark(f.upper, "d/sub", attr) && !has_mark(f.upper, "d/sub", "user.overlay.opaque"));
    rc_reset_result_done(&res);
    fx_done(&f);
}

static void crash_at(void *ud, unsigned step)
{
    if (step == *(unsigned *)ud)
        _exit(99);
}

/* Killed at every step: the merged view is the one before or the one after (never one with
 * a hidden base entry showing), and the next reset (or the boot's resume) finishes it. */
TEST(reset_inside_an_opaque_dir_interrupted_at_every_step)
{
    const char *attr = "user.overlay.opaque";
    struct fx f;
    struct view before, want, got;
    char *paths[] = {"d/sub/c"};
    unsigned crashed = 0;
    for (unsigned step = 1; step < 60; step++) {
        struct rc_reset_result res;
        fx_init(&f);
        opaque_scenario(&f, attr);
        merged(&f, attr, &before);
        expect_base_at(&before, "d/sub/c", "file mine-c\n", "file base-c\n", &want);
        struct rc_overlay ov = ov_with_base(&f);
        pid_t pid = fork();
        if (pid == 0) {
            struct rc_options opts = {.step_hook = crash_at, .step_userdata = &step};
            rc_reset(&ov, paths, 1, &opts, &res);
            _exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        bool died = WIFEXITED(status) && WEXITSTATUS(status) == 99;
        crashed += died;
        merged(&f, attr, &got);
        if (strcmp(got.text, before.text) != 0 && strcmp(got.text, want.text) != 0) {
            fprintf(stderr, "  step %u: the merged view is\n  %s\n  neither\n  %s\n  nor\n  %s\n",
                    step, got.text, before.text, want.text);
            CHECK(0);
        }
        CHECK(died == fx_exists(f.store, "journal"));
        if (step % 2) {
            /* the boot: rc_reconcile resumes the journal (rc_resume) */
            CHECK_INT(rc_resume(&ov, NULL), died ? 1 : 0);
        } else {
            CHECK_INT(rc_reset(&ov, paths, 1, NULL, &res), 0);
            /* the resumed journal moved it (and says so), then the path is gone */
            CHECK(res.resumed == died);
            CHECK_INT(res.n_done, died ? 1 : 0);
            CHECK_INT(res.n_absent, 1);
            if (died) {
                char *kept = backup_of(&f, res.run, "d/sub/c");
                CHECK_STR(kept, "mine-c\n");
                free(kept);
            }
            rc_reset_result_done(&res);
        }
        merged(&f, attr, &got);
        CHECK_STR(got.text, want.text);
        CHECK(!fx_exists(f.store, "journal"));
        fx_done(&f);
        if (!died)
            break;
    }
    CHECK(crashed >= 13); /* the journal, then 6 steps x (done, marked) */
}

/* The boot: no request left (it was carried out), but a reset killed mid-way: finished before
 * the overlay is mounted, whatever the policy; an apply's journal is left to the apply. */
TEST(pending_finishes_an_interrupted_reset_without_a_request)
{
    const char *attr = "user.overlay.opaque";
    struct fx f;
    struct view before, want, got;
    struct rc_reset_result res;
    char *paths[] = {"d/a"};
    unsigned step = 4;
    fx_init(&f);
    opaque_scenario(&f, attr);
    merged(&f, attr, &before);
    expect_base_at(&before, "d/a", "file mine\n", "file base-a\n", &want);
    struct rc_overlay ov = ov_with_base(&f);
    pid_t pid = fork();
    if (pid == 0) {
        struct rc_options opts = {.step_hook = crash_at, .step_userdata = &step};
        rc_reset(&ov, paths, 1, &opts, &res);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 99);
    CHECK(is_whiteout(f.upper, "d/b") && has_mark(f.upper, "d", attr)); /* half done */
    CHECK(!fx_exists(f.store, RC_RESET_REQUEST));
    CHECK_INT(rc_reset_pending(&ov, NULL, &res), 1);
    CHECK(res.resumed && res.n_done == 1 && res.n_unopaqued == 1);
    merged(&f, attr, &got);
    CHECK_STR(got.text, want.text);
    CHECK(!fx_exists(f.store, "journal"));
    rc_reset_result_done(&res);
    /* an apply's journal: not the reset's to finish */
    fx_write(f.store, "journal",
             "sharedroot-reconcile-journal 1\nrun R1\n1 remove "
             "0000000000000000000000000000000000000000000000000000000000000000 - own\n");
    CHECK_INT(rc_reset_pending(&ov, NULL, &res), 0);
    CHECK(fx_exists(f.store, "journal") && fx_exists(f.upper, "d/own"));
    rc_reset_result_done(&res);
    fx_done(&f);
}

TEST(journal_parse_reads_reset_steps)
{
    const char t[] =
        "sharedroot-reconcile-journal 1\nrun R1\n1 whiteout - - d/b\n"
        "2 opaque user - d/sub\n3 opaque trusted,user - d/s2\n4 opaque trusted - d/s3\n"
        "5 unopaque - - d\n6 move - - d/a\ndone 1\ndone 2\n";
    struct rc_journal j;
    CHECK_INT(rc_journal_parse(t, sizeof t - 1, &j), 0);
    CHECK_INT(j.n, 6);
    if (j.n == 6) {
        CHECK(j.a[0].what == RC_ACT_WHITEOUT && j.a[0].done && strcmp(j.a[0].path, "d/b") == 0);
        CHECK(j.a[1].what == RC_ACT_OPAQUE && j.a[1].ns == RC_NS_USER && j.a[1].done);
        CHECK(j.a[2].ns == (RC_NS_TRUSTED | RC_NS_USER) && j.a[3].ns == RC_NS_TRUSTED);
        CHECK(j.a[4].what == RC_ACT_UNOPAQUE && !j.a[4].done);
        CHECK(j.a[5].what == RC_ACT_MOVE && strcmp(j.a[5].path, "d/a") == 0);
    }
    rc_journal_done(&j);
}

TEST(journal_parse_refuses_bad_reset_steps)
{
    static const char *const bad[] = {
        "1 opaque - - d\n",
        "1 opaque root - d\n",
        "1 opaque user,trusted,user - d\n",
        "1 whiteout 0000000000000000000000000000000000000000000000000000000000000000 - d\n",
        "1 move - 0000000000000000000000000000000000000000000000000000000000000000 d\n",
        "1 unopaque - - ../x\n",
        "1 whiteout - - \n",
        "1 none - - d\n",
        "1 unopaque user - d\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char t[512];
        struct rc_journal j;
        snprintf(t, sizeof t, "sharedroot-reconcile-journal 1\nrun R1\n%s", bad[i]);
        CHECK_INT(rc_journal_parse(t, strlen(t), &j), -EBADMSG);
        CHECK(j.n == 0 && j.a == NULL);
    }
}

/* A journal that does not match the upper any more stops at the failed step: the opaque dir
 * stays opaque, nothing it hides shows. */
TEST(reset_journal_stops_at_a_stale_step)
{
    const char *attr = "user.overlay.opaque";
    struct fx f;
    struct view before, got;
    fx_init(&f);
    opaque_scenario(&f, attr);
    merged(&f, attr, &before);
    fx_write(f.upper, "d/b", "appeared\n"); /* where the plan makes a whiteout */
    mkdir(f.store, 0700);
    fx_write(f.store, "journal",
             "sharedroot-reconcile-journal 1\nrun R1\n1 whiteout - - d/b\n2 unopaque - - d\n"
             "3 move - - d/a\n");
    struct rc_overlay ov = ov_with_base(&f);
    CHECK_INT(rc_resume(&ov, NULL), -ESTALE);
    CHECK(has_mark(f.upper, "d", attr) && fx_exists(f.upper, "d/a"));
    CHECK(fx_exists(f.store, "journal"));
    unlink(strcat(strcpy((char[256]){0}, f.upper), "/d/b"));
    merged(&f, attr, &got);
    CHECK_STR(got.text, before.text);
    fx_done(&f);
}

int main(void)
{
    return test_main();
}
