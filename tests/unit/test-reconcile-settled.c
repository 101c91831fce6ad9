// SPDX-License-Identifier: GPL-2.0-or-later
/* The unchanged-base fast path (reconcile/settled.c): a boot that found nothing to apply
 * leaves a mark; the next boot with the same base, upper and options reuses its outcomes;
 * anything else classifies again. The mark is parsed as hostile input, and a crash at any
 * step (the mark's and the apply's) never leaves a mark that hides work. */
#include <sys/wait.h>

#include "settled.h"
#include "test-reconcile-fixture.h"
#include "testlib.h"

/* Base recorded, then the host's own files: nothing for the safe policy to do. */
static void settled_scenario(struct fx *f)
{
    struct rc_record_result res;
    fx_write(f->lower, "hostname", "base\n");
    fx_write(f->lower, "keep.conf", "v1\n");
    if (fx_record(f->lower, f->store, &res) < 0)
        abort();
    fx_tick();
    fx_write(f->upper, "hostname", "host\n");
    fx_write(f->upper, "mine", "host only\n");
}

static struct rc_report *run(struct fx *f, enum rc_policy policy, const struct rc_options *o)
{
    struct rc_overlay ov = {
        .name = "/etc", .lower = f->lower, .upper = f->upper, .store = f->store};
    struct rc_report *r = NULL;
    rc_reconcile(&ov, policy, o, &r);
    return r;
}

TEST(second_boot_reuses_the_outcomes_of_a_settled_one)
{
    struct fx f;
    fx_init(&f);
    settled_scenario(&f);
    struct rc_report *a = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(a && !a->outcomes_reused && a->n_entries == 2 && !a->error);
    CHECK(fx_exists(f.store, RC_SETTLED_FILE));
    struct rc_report *b = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(b && b->outcomes_reused && b->n_entries == 0 && !b->error && b->recorded);
    CHECK(b && b->record.skipped);
    if (a && b) {
        CHECK(memcmp(a->counts, b->counts, sizeof a->counts) == 0);
        char sa[256], sb[256];
        rc_report_summary(a, sa, sizeof sa);
        rc_report_summary(b, sb, sizeof sb);
        CHECK(strstr(sb, "base and upper unchanged") != NULL);
        CHECK(strncmp(sa, sb, strlen(sa) - strlen(" (safe: applied 0)")) == 0);
    }
    rc_report_free(a);
    rc_report_free(b);
    fx_done(&f);
}

TEST(any_change_of_upper_base_or_options_classifies_again)
{
    struct fx f;
    fx_init(&f);
    settled_scenario(&f);
    rc_report_free(run(&f, RC_POLICY_SAFE, NULL));
    /* the host edits a file (same size: only times tell) */
    fx_tick();
    fx_write(f.upper, "mine", "HOST ONLY\n");
    struct rc_report *r = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(r && !r->outcomes_reused);
    rc_report_free(r);
    r = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(r && r->outcomes_reused);
    rc_report_free(r);
    /* only metadata */
    fx_chmod(f.upper, "mine", 0600);
    r = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(r && !r->outcomes_reused);
    rc_report_free(r);
    /* another ignore list, another policy */
    struct rc_options o = {.ignore = "/etc/mine"};
    r = run(&f, RC_POLICY_SAFE, &o);
    CHECK(r && !r->outcomes_reused && r->n_ignored == 1);
    rc_report_free(r);
    r = run(&f, RC_POLICY_SAFE, &o);
    CHECK(r && r->outcomes_reused && r->n_ignored == 1);
    rc_report_free(r);
    r = run(&f, RC_POLICY_MERGE, &o);
    CHECK(r && !r->outcomes_reused);
    rc_report_free(r);
    /* a base update */
    fx_tick();
    fx_write(f.lower, "keep.conf", "v2\n");
    r = run(&f, RC_POLICY_MERGE, &o);
    CHECK(r && !r->outcomes_reused && !r->record.skipped);
    rc_report_free(r);
    /* report mode never uses (nor writes) the mark */
    r = run(&f, RC_POLICY_REPORT, &o);
    CHECK(r && !r->outcomes_reused);
    rc_report_free(r);
    fx_done(&f);
}

TEST(the_default_ignore_list_named_or_not_is_one_option)
{
    /* the init passes RC_IGNORE_DEFAULT; an admin's overlay-reconcile runs without --ignore
     * (NULL) or with --ignore default: all three are the same options and share a mark */
    struct fx f;
    fx_init(&f);
    settled_scenario(&f);
    struct rc_options boot = {.ignore = RC_IGNORE_DEFAULT}, word = {.ignore = "default"};
    rc_report_free(run(&f, RC_POLICY_SAFE, &boot));
    struct rc_report *r = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(r && r->outcomes_reused);
    rc_report_free(r);
    r = run(&f, RC_POLICY_SAFE, &word);
    CHECK(r && r->outcomes_reused);
    rc_report_free(r);
    r = run(&f, RC_POLICY_SAFE, &boot);
    CHECK(r && r->outcomes_reused);
    rc_report_free(r);
    char a[RC_HASH_HEX], b[RC_HASH_HEX];
    struct rc_options other = {.ignore = RC_IGNORE_DEFAULT ",/etc/mine"};
    CHECK(rc_settled_options(RC_POLICY_SAFE, &boot, a) >= 0 &&
          rc_settled_options(RC_POLICY_SAFE, &other, b) >= 0 && strcmp(a, b) != 0);
    fx_done(&f);
}

TEST(a_boot_with_something_to_apply_leaves_no_mark)
{
    struct fx f;
    fx_init(&f);
    settled_scenario(&f);
    rc_report_free(run(&f, RC_POLICY_SAFE, NULL));
    CHECK(fx_exists(f.store, RC_SETTLED_FILE));
    /* a redundant copy: the safe policy removes it */
    fx_write(f.upper, "keep.conf", "v1\n");
    struct rc_report *r = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(r && !r->outcomes_reused && r->counts[RC_REDUNDANT] == 1);
    CHECK(!fx_exists(f.store, RC_SETTLED_FILE));
    CHECK(!fx_exists(f.upper, "keep.conf"));
    rc_report_free(r);
    /* the next boot has nothing left to do and marks it; the one after reuses */
    r = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(r && !r->outcomes_reused && r->counts[RC_REDUNDANT] == 0);
    CHECK(fx_exists(f.store, RC_SETTLED_FILE));
    rc_report_free(r);
    r = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(r && r->outcomes_reused);
    rc_report_free(r);
    fx_done(&f);
}

TEST(a_report_with_a_conflict_is_settled_and_still_warns)
{
    struct fx f;
    struct rc_record_result res;
    fx_init(&f);
    fx_write(f.lower, "c.conf", "one\n");
    fx_record(f.lower, f.store, &res);
    fx_tick();
    fx_write(f.upper, "c.conf", "host\n");
    fx_tick();
    fx_write(f.lower, "c.conf", "two\n");
    rc_report_free(run(&f, RC_POLICY_SAFE, NULL));
    struct rc_report *r = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(r && r->outcomes_reused && r->counts[RC_CONFLICT] == 1);
    CHECK(r && rc_report_needs_attention(r));
    rc_report_free(r);
    fx_done(&f);
}

static void crash_at(void *ud, unsigned step)
{
    if (step == *(unsigned *)ud)
        _exit(99);
}

static void upper_state(struct fx *f, char *out, size_t n)
{
    static const char *const names[] = {"hostname", "mine", "keep.conf", "new.conf"};
    out[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *c = fx_read(f->upper, names[i]);
        size_t l = strlen(out);
        snprintf(out + l, n - l, "%s=%s;", names[i], c ? c : "(absent)");
        free(c);
    }
}

/* A settled overlay, then the host leaves a redundant copy and a base update comes: the next
 * boot removes the mark, applies, and a later boot marks again. */
static void crash_scenario(struct fx *f)
{
    settled_scenario(f);
    rc_report_free(run(f, RC_POLICY_SAFE, NULL));
    if (!fx_exists(f->store, RC_SETTLED_FILE))
        abort();
    fx_write(f->upper, "keep.conf", "v1\n");
    fx_write(f->upper, "new.conf", "n\n");
    fx_tick();
    fx_write(f->lower, "new.conf", "n\n");
}

TEST(crash_at_every_step_never_leaves_a_mark_that_hides_work)
{
    static const unsigned steps[] = {
        RC_STEP_SETTLED_UNMARK, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, RC_STEP_SETTLED_MARK,
        RC_STEP_SETTLED_MARKED};
    char want[1024], got[1024];
    struct fx f;
    fx_init(&f);
    crash_scenario(&f);
    rc_report_free(run(&f, RC_POLICY_SAFE, NULL));
    rc_report_free(run(&f, RC_POLICY_SAFE, NULL));
    upper_state(&f, want, sizeof want);
    fx_done(&f);
    unsigned crashed = 0;
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        unsigned step = steps[i];
        fx_init(&f);
        crash_scenario(&f);
        pid_t pid = fork();
        if (pid == 0) {
            /* the boot that applies (unmark, apply steps), then the one that marks */
            struct rc_options o = {.step_hook = crash_at, .step_userdata = &step};
            rc_report_free(run(&f, RC_POLICY_SAFE, &o));
            rc_report_free(run(&f, RC_POLICY_SAFE, &o));
            _exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        bool died = WIFEXITED(status) && WEXITSTATUS(status) == 99;
        crashed += died;
        /* the boot after the crash must do (or finish) the work, never skip it */
        struct rc_report *r = run(&f, RC_POLICY_SAFE, NULL);
        /* no crash (a step past the last), or one after the mark was complete */
        bool done_before = !died || step == RC_STEP_SETTLED_MARKED;
        CHECK(r && (!r->outcomes_reused || done_before));
        rc_report_free(r);
        /* then it settles: one more boot at most classifies, the next reuses */
        rc_report_free(run(&f, RC_POLICY_SAFE, NULL));
        r = run(&f, RC_POLICY_SAFE, NULL);
        CHECK(r && r->outcomes_reused && r->counts[RC_REDUNDANT] == 0 &&
              r->counts[RC_BASE_UPDATED] == 0);
        rc_report_free(r);
        upper_state(&f, got, sizeof got);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "  step %u: got %s\n  want %s\n", step, got, want);
            CHECK(0);
        }
        CHECK(!fx_exists(f.store, "journal"));
        fx_done(&f);
    }
    CHECK(crashed >= 6); /* the mark's three steps and the apply's */
}

TEST(a_forged_mark_for_another_upper_is_not_used)
{
    struct fx f;
    fx_init(&f);
    settled_scenario(&f);
    rc_report_free(run(&f, RC_POLICY_SAFE, NULL));
    char *text = fx_read(f.store, RC_SETTLED_FILE);
    struct rc_settled m;
    CHECK(text && rc_settled_parse(text, strlen(text), &m) == 0);
    free(text);
    /* the guest claims a clean slate for an upper it changed */
    fx_write(f.upper, "keep.conf", "v1\n");
    memset(m.counts, 0, sizeof m.counts);
    char buf[RC_SETTLED_MAX];
    CHECK_INT(rc_settled_format(&m, buf, sizeof buf), 0);
    fx_write(f.store, RC_SETTLED_FILE, buf);
    struct rc_report *r = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(r && !r->outcomes_reused && r->counts[RC_REDUNDANT] == 1);
    rc_report_free(r);
    fx_done(&f);
}

TEST(mark_parser_refuses_anything_but_the_format)
{
    static const char good[] =
        "sharedroot-reconcile-settled 1\n"
        "base 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
        "upper 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
        "options 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
        "counts 1 2 3 4 5 6 7 8 9 10 11 12\n";
    struct rc_settled m;
    char buf[RC_SETTLED_MAX];
    CHECK_INT(rc_settled_parse(good, strlen(good), &m), 0);
    CHECK_INT(m.counts[0], 1);
    CHECK_INT(m.counts[RC_OUTCOME_COUNT - 1], 11);
    CHECK_INT(m.ignored, 12);
    CHECK_INT(rc_settled_format(&m, buf, sizeof buf), 0);
    CHECK_STR(buf, good);
    CHECK_INT(rc_settled_format(&m, buf, 100), -ENOSPC);

    char bad[2048];
    /* every truncation */
    for (size_t n = 0; n < strlen(good); n++)
        CHECK_INT(rc_settled_parse(good, n, &m), -EBADMSG);
    /* trailing bytes, a NUL, upper-case or short hex, a count too long or missing, a sign */
    static const struct {
        const char *from, *to;
    } edits[] = {
        {"12\n", "12\nx"},
        {"12\n", "12 13\n"},
        {"base 0", "base A"},
        {"base 0", "base "},
        {"counts 1 ", "counts 1000000000 "},
        {"counts 1 ", "counts  "},
        {"counts 1 ", "counts -1 "},
        {"upper 0", "upper\t0"},
        {"settled 1", "settled 2"},
        {"options", "option"},
        {"abcdef\nc", "abcde\0\nc"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
        const char *at = strstr(good, edits[i].from);
        CHECK(at != NULL);
        if (!at)
            continue;
        size_t pre = (size_t)(at - good), tl = strlen(edits[i].to);
        if (strcmp(edits[i].from, "abcdef\nc") == 0)
            tl = 8; /* with the NUL */
        memcpy(bad, good, pre);
        memcpy(bad + pre, edits[i].to, tl);
        strcpy(bad + pre + tl, at + strlen(edits[i].from));
        size_t len = pre + tl + strlen(at + strlen(edits[i].from));
        if (rc_settled_parse(bad, len, &m) != -EBADMSG) {
            fprintf(stderr, "  edit %zu accepted\n", i);
            CHECK(0);
        }
    }
    memset(bad, 'x', sizeof bad);
    CHECK_INT(rc_settled_parse(bad, sizeof bad, &m), -EBADMSG);
}

/* A settled overlay is one boot away from the fast path; it opens and checks its dirs once
 * and shares them between the steps (reconcile_quick in apply.c): each check must still
 * hold there, before the mark is looked at. */
static void settle(struct fx *f)
{
    settled_scenario(f);
    rc_report_free(run(f, RC_POLICY_SAFE, NULL));
    struct rc_report *r = run(f, RC_POLICY_SAFE, NULL);
    CHECK(r && r->outcomes_reused && !r->error);
    rc_report_free(r);
}

/* Replace dir by a symlink to where it moved (dir-real). */
static void symlink_away(const char *dir)
{
    char real[160];
    snprintf(real, sizeof real, "%s-real", dir);
    CHECK_INT(rename(dir, real), 0);
    CHECK_INT(symlink(real, dir), 0);
}

TEST(a_settled_overlay_refuses_a_store_replaced_by_a_symlink)
{
    struct fx f;
    fx_init(&f);
    settle(&f);
    symlink_away(f.store);
    struct rc_report *r = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(r && r->error && !r->outcomes_reused);
    CHECK(r && r->error_text && strstr(r->error_text, "symlink"));
    rc_report_free(r);
    fx_done(&f);
}

TEST(a_settled_overlay_refuses_an_upper_replaced_by_a_symlink)
{
    struct fx f;
    fx_init(&f);
    settle(&f);
    symlink_away(f.upper);
    struct rc_report *r = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(r && r->error && !r->outcomes_reused);
    rc_report_free(r);
    fx_done(&f);
}

TEST(a_settled_store_moved_into_the_upper_or_the_lower_is_refused)
{
    for (int into_lower = 0; into_lower < 2; into_lower++) {
        struct fx f;
        char moved[160];
        fx_init(&f);
        settle(&f);
        snprintf(moved, sizeof moved, "%s/.store", into_lower ? f.lower : f.upper);
        CHECK_INT(rename(f.store, moved), 0);
        struct rc_overlay ov = {.name = "/etc", .lower = f.lower, .upper = f.upper, .store = moved};
        struct rc_report *r = NULL;
        rc_reconcile(&ov, RC_POLICY_SAFE, NULL, &r);
        CHECK(r && r->error && !r->outcomes_reused);
        CHECK(r && r->error_text && strstr(r->error_text, "inside the other"));
        CHECK(fx_exists(moved, RC_SETTLED_FILE) || !into_lower);
        rc_report_free(r);
        fx_done(&f);
    }
}

TEST(an_empty_store_dir_is_laid_out_and_recorded_into)
{
    /* the init makes the store dir before anything is recorded: the first boot finds it
     * empty, takes the fast path's way in and must still record the base */
    struct fx f;
    fx_init(&f);
    fx_write(f.lower, "hostname", "base\n");
    CHECK_INT(mkdir(f.store, 0700), 0);
    struct rc_report *r = run(&f, RC_POLICY_SAFE, NULL);
    CHECK(r && !r->error && r->recorded && !r->record.skipped && !r->outcomes_reused);
    CHECK(fx_exists(f.store, "history") && fx_exists(f.store, "objects") &&
          fx_exists(f.store, "snapshots") && fx_exists(f.store, "backups") &&
          fx_exists(f.store, "tmp"));
    rc_report_free(r);
    fx_done(&f);
}

int main(void)
{
    return test_main();
}
