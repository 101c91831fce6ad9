// SPDX-License-Identifier: GPL-2.0-or-later
/* Every outcome of the reconcile classifier, with every overlay marker the kernel writes. */
#include "test-reconcile-fixture.h"
#include "testlib.h"

/* Base b1 in base/ (the merge base), lower/ as given, upper/ as the host left it. */
static struct rc_report *run3(struct fx *f, const char *path, const char *base, const char *lower,
                              const char *upper)
{
    if (base)
        fx_write(f->base, path, base);
    if (lower)
        fx_write(f->lower, path, lower);
    if (upper)
        fx_write(f->upper, path, upper);
    return fx_classify_mb(f, false);
}

#define OUTCOME_CASE(name, base, lower, upper, expect)                                             \
    TEST(name)                                                                                     \
    {                                                                                              \
        struct fx f;                                                                               \
        fx_init(&f);                                                                               \
        struct rc_report *r = run3(&f, "a.conf", base, lower, upper);                              \
        CHECK(r && r->error == 0);                                                                 \
        CHECK_STR(fx_outcome(r, "a.conf"), expect);                                                \
        rc_report_free(r);                                                                         \
        fx_done(&f);                                                                               \
    }

OUTCOME_CASE(host_only_without_lower, NULL, NULL, "mine\n", "host-only")
OUTCOME_CASE(unchanged_when_base_did_not_change, "1\n", "1\n", "host\n", "unchanged")
OUTCOME_CASE(redundant_when_upper_equals_lower, "1\n", "2\n", "2\n", "redundant")
OUTCOME_CASE(base_updated_when_host_kept_merge_base, "1\n", "2\n", "1\n", "base-updated")
OUTCOME_CASE(merged_when_edits_touch_different_lines, "a\nb\nc\nd\ne\nf\n", "a\nb\nc\nd\ne\nF\n",
             "A\nb\nc\nd\ne\nf\n", "merged")
OUTCOME_CASE(conflict_when_edits_touch_the_same_line, "a\n", "base\n", "host\n", "conflict")
OUTCOME_CASE(deleted_in_base_when_lower_dropped_it, "1\n", NULL, "host\n", "deleted-in-base")
OUTCOME_CASE(unknown_base_when_merge_base_lacks_and_both_differ_is_conflict, NULL, "b\n", "h\n",
             "conflict")

TEST(unknown_base_without_store_or_merge_base)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "a", "1\n");
    fx_write(f.upper, "a", "2\n");
    struct rc_overlay ov = {.lower = f.lower, .upper = f.upper};
    struct rc_report *r = NULL;
    CHECK_INT(rc_classify(&ov, NULL, &r), 0);
    CHECK_STR(fx_outcome(r, "a"), "unknown-base");
    CHECK(rc_report_needs_attention(r));
    rc_report_free(r);
    fx_done(&f);
}

TEST(binary_files_never_line_merged)
{
    struct fx f;
    fx_init(&f);
    fx_write_bytes(f.base, "bin", "a\0\nb\nc\nd\ne\n", 11);
    fx_write_bytes(f.lower, "bin", "a\0\nb\nc\nd\nE\n", 11);
    fx_write_bytes(f.upper, "bin", "A\0\nb\nc\nd\ne\n", 11);
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK_STR(fx_outcome(r, "bin"), "conflict");
    const struct rc_entry *e = fx_entry(r, "bin");
    CHECK(e && e->note && strstr(e->note, "binary"));
    rc_report_free(r);
    fx_done(&f);
}

TEST(metadata_only_when_host_chmods)
{
    struct fx f;
    fx_init(&f);
    rc_report_free(run3(&f, "m", "x\n", "x\n", "x\n"));
    fx_chmod(f.upper, "m", 0600);
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK_STR(fx_outcome(r, "m"), "metadata-only");
    CHECK(!rc_report_needs_attention(r));
    rc_report_free(r);
    fx_done(&f);
}

TEST(metadata_only_when_xattr_differs)
{
    struct fx f;
    fx_init(&f);
    rc_report_free(run3(&f, "m", "x\n", "x\n", "x\n"));
    if (fx_setxattr(f.upper, "m", "user.test", "1") < 0) {
        fx_done(&f);
        SKIP("no user xattrs here");
    }
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK_STR(fx_outcome(r, "m"), "metadata-only");
    rc_report_free(r);
    fx_done(&f);
}

TEST(base_updated_keeps_host_chmod_as_replace_candidate)
{
    struct fx f;
    fx_init(&f);
    rc_report_free(run3(&f, "m", "1\n", "2\n", "1\n"));
    fx_chmod(f.upper, "m", 0600);
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK_STR(fx_outcome(r, "m"), "base-updated");
    rc_report_free(r);
    fx_done(&f);
}

TEST(type_changed_file_over_dir)
{
    struct fx f;
    fx_init(&f);
    fx_mkdir(f.lower, "d");
    fx_mkdir(f.base, "d");
    fx_write(f.upper, "d", "now a file\n");
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK_STR(fx_outcome(r, "d"), "type-changed");
    rc_report_free(r);
    fx_done(&f);
}

TEST(type_changed_symlink_over_file)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "l", "file\n");
    fx_write(f.base, "l", "file\n");
    fx_symlink(f.upper, "l", "/etc/shadow");
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK_STR(fx_outcome(r, "l"), "type-changed");
    rc_report_free(r);
    fx_done(&f);
}

TEST(symlinks_compare_by_target_never_followed)
{
    struct fx f;
    fx_init(&f);
    /* Same target string, different files behind it: still redundant. */
    fx_symlink(f.lower, "same", "t");
    fx_symlink(f.upper, "same", "t");
    fx_write(f.lower, "t", "lower\n");
    fx_symlink(f.base, "upd", "old");
    fx_symlink(f.lower, "upd", "new");
    fx_symlink(f.upper, "upd", "old");
    fx_symlink(f.base, "both", "1");
    fx_symlink(f.lower, "both", "2");
    fx_symlink(f.upper, "both", "3");
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK_STR(fx_outcome(r, "same"), "redundant");
    CHECK_STR(fx_outcome(r, "upd"), "base-updated");
    CHECK_STR(fx_outcome(r, "both"), "conflict");
    rc_report_free(r);
    fx_done(&f);
}

TEST(symlink_in_upper_dir_path_is_not_followed)
{
    struct fx f;
    fx_init(&f);
    /* upper/sub -> / : a hostile host pointing a dir at the real root. */
    fx_mkdir(f.lower, "sub");
    fx_write(f.lower, "sub/passwd", "base\n");
    fx_symlink(f.upper, "sub", "/etc");
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK(r && r->error == 0);
    CHECK_STR(fx_outcome(r, "sub"), "type-changed");
    CHECK(fx_entry(r, "sub/passwd") == NULL);
    rc_report_free(r);
    fx_done(&f);
}

/* Whiteouts: char 0/0, and zero-size files with the whiteout xattr in an "x" dir, in both
 * namespaces. */
static void whiteout_case(const char *ns, bool xattr_kind, bool base_changed, const char *expect)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.base, "d/gone", "1\n");
    fx_write(f.lower, "d/gone", base_changed ? "2\n" : "1\n");
    fx_mkdir(f.upper, "d");
    char name[64];
    if (xattr_kind) {
        fx_write(f.upper, "d/gone", "");
        snprintf(name, sizeof name, "%s.overlay.whiteout", ns);
        fx_setxattr(f.upper, "d/gone", name, "y");
        snprintf(name, sizeof name, "%s.overlay.opaque", ns);
        fx_setxattr(f.upper, "d", name, "x");
    } else {
        fx_chardev_whiteout(f.upper, "d/gone");
    }
    struct rc_report *r = fx_classify_mb(&f, strcmp(ns, "user") == 0);
    CHECK_STR(fx_outcome(r, "d/gone"), expect);
    const struct rc_entry *e = fx_entry(r, "d/gone");
    CHECK(e && e->upper.kind == RC_WHITEOUT);
    rc_report_free(r);
    fx_done(&f);
}

TEST(chardev_whiteout_base_changed_is_deleted_by_host)
{
    whiteout_case("trusted", false, true, "deleted-by-host");
}
TEST(chardev_whiteout_base_same_is_unchanged)
{
    whiteout_case("trusted", false, false, "unchanged");
}
TEST(trusted_xattr_whiteout_in_x_dir_is_whiteout)
{
    whiteout_case("trusted", true, true, "deleted-by-host");
}
TEST(user_xattr_whiteout_in_x_dir_is_whiteout)
{
    whiteout_case("user", true, true, "deleted-by-host");
}
TEST(user_xattr_whiteout_unchanged_base)
{
    whiteout_case("user", true, false, "unchanged");
}

TEST(xattr_whiteout_outside_x_dir_is_a_plain_file)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "gone", "1\n");
    fx_write(f.upper, "gone", "");
    fx_setxattr(f.upper, "gone", "trusted.overlay.whiteout", "y");
    struct rc_report *r = fx_classify_mb(&f, false);
    const struct rc_entry *e = fx_entry(r, "gone");
    CHECK(e && e->upper.kind == RC_FILE);
    rc_report_free(r);
    fx_done(&f);
}

TEST(whiteout_of_path_base_dropped_is_deleted_in_base)
{
    struct fx f;
    fx_init(&f);
    fx_chardev_whiteout(f.upper, "x");
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK_STR(fx_outcome(r, "x"), "deleted-in-base");
    rc_report_free(r);
    fx_done(&f);
}

static void opaque_case(const char *ns, bool base_changed, const char *expect)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.base, "d/a", "1\n");
    fx_write(f.lower, "d/a", base_changed ? "2\n" : "1\n");
    fx_write(f.upper, "d/own", "host\n");
    char name[64];
    snprintf(name, sizeof name, "%s.overlay.opaque", ns);
    fx_setxattr(f.upper, "d", name, "y");
    struct rc_report *r = fx_classify_mb(&f, strcmp(ns, "user") == 0);
    CHECK_STR(fx_outcome(r, "d"), expect);
    CHECK(fx_entry(r, "d/own") == NULL); /* the host's own dir: not walked */
    rc_report_free(r);
    fx_done(&f);
}

TEST(trusted_opaque_dir_base_changed_is_deleted_by_host)
{
    opaque_case("trusted", true, "deleted-by-host");
}
TEST(trusted_opaque_dir_base_same_is_unchanged)
{
    opaque_case("trusted", false, "unchanged");
}
TEST(user_opaque_dir_base_changed_is_deleted_by_host)
{
    opaque_case("user", true, "deleted-by-host");
}

TEST(opaque_x_dir_is_walked_not_opaque)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.base, "d/a", "1\n");
    fx_write(f.lower, "d/a", "2\n");
    fx_write(f.upper, "d/a", "2\n");
    fx_setxattr(f.upper, "d", "trusted.overlay.opaque", "x");
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK_STR(fx_outcome(r, "d/a"), "redundant");
    CHECK(fx_entry(r, "d") == NULL);
    rc_report_free(r);
    fx_done(&f);
}

TEST(userxattr_mode_ignores_trusted_markers)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "d/a", "1\n");
    fx_write(f.upper, "d/own", "h\n");
    fx_setxattr(f.upper, "d", "trusted.overlay.opaque", "y");
    struct rc_report *r = fx_classify_mb(&f, true);
    CHECK_STR(fx_outcome(r, "d/own"), "host-only");
    rc_report_free(r);
    fx_done(&f);
}

TEST(odd_file_name_bytes_and_special_files)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "new\nline \xff", "1\n");
    fx_write(f.upper, "new\nline \xff", "1\n");
    char p[256];
    snprintf(p, sizeof p, "%s/fifo", f.upper);
    CHECK_INT(mkfifo(p, 0644), 0);
    snprintf(p, sizeof p, "%s/fifo", f.lower);
    CHECK_INT(mkfifo(p, 0644), 0);
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK_STR(fx_outcome(r, "new\nline \xff"), "redundant");
    CHECK_STR(fx_outcome(r, "fifo"), "redundant");
    rc_report_free(r);
    fx_done(&f);
}

TEST(deep_tree_is_walked_without_recursion)
{
    struct fx f;
    fx_init(&f);
    char rel[8192] = "";
    for (int i = 0; i < 600; i++)
        strcat(rel, i ? "/d" : "d");
    char *deep_l = NULL, *deep_u = NULL;
    CHECK(asprintf(&deep_l, "%s/%s", f.lower, rel) > 0 &&
          asprintf(&deep_u, "%s/%s", f.upper, rel) > 0);
    /* mkdir -p one level at a time through relative dirs (paths exceed PATH_MAX). */
    const char *tops[] = {f.lower, f.upper};
    for (size_t t = 0; t < 2; t++) {
        const char *top = tops[t];
        int fd = open(top, O_RDONLY | O_DIRECTORY);
        for (int i = 0; i < 600 && fd >= 0; i++) {
            mkdirat(fd, "d", 0755);
            int n = openat(fd, "d", O_RDONLY | O_DIRECTORY);
            close(fd);
            fd = n;
        }
        if (fd >= 0) {
            int w = openat(fd, "leaf", O_WRONLY | O_CREAT, 0644);
            if (w >= 0) {
                if (write(w, top == f.upper ? "h\n" : "l\n", 2) < 0)
                    CHECK(0);
                close(w);
            }
            close(fd);
        }
    }
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK(r && r->error == 0);
    CHECK_INT(r ? r->n_entries : 0, 1);
    CHECK_INT(r ? r->counts[RC_CONFLICT] : 0, 1); /* base/ lacks it: both added */
    rc_report_free(r);
    /* Beyond max_depth: an error that says so, not a crash (nor "Too many levels of symbolic
     * links"). */
    struct rc_overlay ov = {.lower = f.lower, .upper = f.upper};
    struct rc_options o = {.max_depth = 100};
    CHECK_INT(rc_classify(&ov, &o, &r), -ENAMETOOLONG);
    CHECK(r && r->error_text && strstr(r->error_text, "deeper than 100 levels (d/d/d/"));
    rc_report_free(r);
    free(deep_l);
    free(deep_u);
    fx_done(&f);
}

int main(void)
{
    return test_main();
}

/* A dir the base does not have is judged whole; with list_inside (sharedroot-instance status)
 * every path inside it is listed with its own outcome, and such a report is never applied. */
TEST(list_inside_lists_the_paths_of_a_host_only_dir)
{
    struct fx f;
    fx_init(&f);
    fx_write(f.upper, "mine/x.conf", "mine\n");
    fx_write(f.upper, "own/a.conf", "mine\n");
    fx_write(f.upper, "own/sub/b.conf", "mine too\n");
    fx_write(f.base, "own/sub/b.conf", "was in the base once\n"); /* the base dropped it */
    fx_chardev_whiteout(f.upper, "own/gone");
    fx_write(f.lower, "file-then", "a file in the base\n");
    fx_write(f.upper, "file-then/x", "a dir over it\n");
    fx_mkdir(f.lower, "opq");
    fx_write(f.lower, "opq/base-only", "hidden\n");
    fx_write(f.upper, "opq/in", "in an opaque dir\n");
    fx_setxattr(f.upper, "opq", "trusted.overlay.opaque", "y");
    struct rc_report *r = fx_classify_mb(&f, false);
    CHECK(r && r->error == 0 && !r->inside_listed);
    CHECK_STR(fx_outcome(r, "mine"), "host-only");
    CHECK_STR(fx_outcome(r, "mine/x.conf"), "(none)");
    CHECK_STR(fx_outcome(r, "own/a.conf"), "(none)");
    CHECK_STR(fx_outcome(r, "file-then/x"), "(none)");
    rc_report_free(r);

    struct rc_overlay ov = {
        .name = "/etc", .lower = f.lower, .upper = f.upper, .merge_base_dir = f.base};
    struct rc_options o = {.list_inside = true};
    r = NULL;
    CHECK_INT(rc_classify(&ov, &o, &r), 0);
    CHECK(r && r->error == 0 && r->inside_listed);
    CHECK_STR(fx_outcome(r, "mine"), "host-only");
    CHECK_STR(fx_outcome(r, "mine/x.conf"), "host-only");
    /* the base once had own/ (and own/sub/b.conf): each path gets its own outcome */
    CHECK_STR(fx_outcome(r, "own"), "deleted-in-base");
    CHECK_STR(fx_outcome(r, "own/a.conf"), "host-only");
    CHECK_STR(fx_outcome(r, "own/sub"), "deleted-in-base");
    CHECK_STR(fx_outcome(r, "own/sub/b.conf"), "deleted-in-base");
    CHECK_STR(fx_outcome(r, "own/gone"), "deleted-in-base");
    CHECK_STR(fx_outcome(r, "file-then"), "type-changed");
    CHECK_STR(fx_outcome(r, "file-then/x"), "host-only");
    /* an opaque dir over a base dir hides the base's: its inside is not compared */
    CHECK(fx_entry(r, "opq") != NULL);
    CHECK_STR(fx_outcome(r, "opq/in"), "(none)");
    /* the dir comes before what it holds */
    const struct rc_entry *d = fx_entry(r, "mine"), *in = fx_entry(r, "mine/x.conf");
    CHECK(d && in && d < in);
    /* looking only: an apply refuses it, nothing is changed */
    CHECK_INT(rc_apply(r, RC_POLICY_SAFE, NULL), -EINVAL);
    CHECK(fx_exists(f.upper, "own/sub/b.conf"));
    rc_report_free(r);
    fx_done(&f);
}
