// SPDX-License-Identifier: GPL-2.0-or-later
/* The parsers of guest-writable reconcile data (the state file, store manifests, history,
 * the apply journal) on empty, malformed and hostile input: never read past what they were
 * given, and an empty value is an error that names its key, never a garbage string. */
#include "test-reconcile-fixture.h"
#include "testlib.h"

#include "state.h"
#include "store.h"
#include "util.h"

TEST(buf_grow_zero_terminates_a_new_buffer)
{
    struct rc_buf b = {0};
    CHECK_INT(rc_buf_grow(&b, 0), 0);
    CHECK(b.data != NULL);
    CHECK_INT(strlen(b.data), 0);
    rc_buf_done(&b);
}

TEST(state_unquote_empty_quoted_value_is_empty)
{
    static const char *const in[] = {"\"\"", "''", ""};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        char *out = NULL;
        CHECK_INT(rc_state_unquote(in[i], &out), 0);
        CHECK_STR(out, "");
        free(out);
    }
}

TEST(unescape_empty_is_empty)
{
    struct rc_buf b = {0};
    CHECK_INT(rc_unescape_c("", &b), 0);
    CHECK_STR(b.data, "");
    rc_buf_done(&b);
}

TEST(manifest_line_with_empty_path_is_refused)
{
    char text[512];
    struct rc_manifest *m = NULL;
    snprintf(text, sizeof text, "sharedroot-reconcile-snapshot 1\nf 644 0 0 0 3 %064d %064d \n", 0,
             0);
    CHECK_INT(rc_manifest_parse(text, strlen(text), &m), -EBADMSG);
    CHECK(m == NULL);
    rc_manifest_free(m);
}

/* Write text to dir/name. */
static void put(const char *dir, const char *name, const char *text)
{
    fx_write(dir, name, text);
}

TEST(state_empty_store_is_an_error_naming_the_key)
{
    struct fx f;
    fx_init(&f);
    put(f.root, "state",
        "OVERLAY_COUNT=1\nOVERLAY_0_DIR=/etc\nOVERLAY_0_LOWER=/l\nOVERLAY_0_UPPER=/u\n"
        "OVERLAY_0_STORE=\"\"\n");
    char path[128];
    snprintf(path, sizeof path, "%s/state", f.root);
    struct rc_state st;
    char why[256];
    int r = rc_state_load(path, &st, why, sizeof why);
    CHECK_INT(r, -EBADMSG);
    CHECK(strstr(why, "OVERLAY_0_STORE") != NULL);
    CHECK(strstr(why, "line 5") != NULL);
    rc_state_done(&st);
    fx_done(&f);
}

TEST(journal_with_empty_path_is_refused)
{
    struct fx f;
    fx_init(&f);
    char journal[512];
    snprintf(journal, sizeof journal, "sharedroot-reconcile-journal 1\nrun r1\n1 remove %064d - \n",
             0);
    mkdir(f.store, 0700);
    put(f.store, "journal", journal);
    put(f.upper, "keep", "host\n");
    int r = rc_resume(&(struct rc_overlay){.upper = f.upper, .store = f.store}, NULL);
    CHECK(r < 0);
    CHECK(fx_exists(f.upper, "keep"));
    fx_done(&f);
}

TEST(ignore_list_matches_paths_of_the_booted_system)
{
    CHECK(rc_ignored(NULL, "/etc", ".pwd.lock"));        /* the default list */
    CHECK(rc_ignored(NULL, "/etc", "passwd.lock"));      /* the pattern of lckpwdf's locks */
    CHECK(!rc_ignored(NULL, "/etc", "sub/passwd.lock")); /* '*' does not cross '/' */
    CHECK(!rc_ignored(NULL, "/etc", "passwd"));
    CHECK(rc_ignored(NULL, "/var", "log/wtmp"));
    CHECK(!rc_ignored(NULL, "/var", ".pwd.lock"));
    CHECK(!rc_ignored("none", "/etc", ".pwd.lock"));
    CHECK(!rc_ignored("", "/etc", ".pwd.lock"));
    CHECK(rc_ignored("default,/etc/app", "/etc", "app/state/x")); /* a dir covers its tree */
    CHECK(rc_ignored("default,/etc/app", "/etc", ".pwd.lock"));
    CHECK(!rc_ignored("/etc/app", "/etc", ".pwd.lock"));
    CHECK(rc_ignored("/usr/local/etc/*.pid", "/usr/local", "etc/x.pid"));
    CHECK(rc_ignored("/*", "/", "anything"));
    /* no overlaid dir known (an upper dir given by path alone): nothing matches */
    CHECK(!rc_ignored(NULL, "/mnt/x/upper-elsewhere", ".pwd.lock"));
    CHECK(!rc_ignored(NULL, "relative", ".pwd.lock"));
    CHECK(!rc_ignored(NULL, NULL, ".pwd.lock"));
    CHECK(!rc_ignored(",,,", "/etc", ".pwd.lock"));
}

int main(void)
{
    return test_main();
}
