// SPDX-License-Identifier: GPL-2.0-or-later
/* The classifier and the walk against random trees (deterministic seed, bounded): no
 * crash, no leak, exactly one outcome per reported path, counts add up, and a path is
 * never reported below a dir that is not walked. */
#include "test-reconcile-fixture.h"
#include "testlib.h"

/* A tiny deterministic generator (xorshift), so failures reproduce. */
static unsigned rnd(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (unsigned)(*s >> 11);
}

static const char *const contents[] = {"", "a\n", "b\n", "a\nb\nc\n", "a\nB\nc\n", "bin\0x"};

static void random_entry(const char *dir, const char *rel, unsigned long long *s, bool upper)
{
    switch (rnd(s) % (upper ? 9 : 6)) {
    case 0:
    case 1:
    case 2:
        fx_write(dir, rel, contents[rnd(s) % 6]);
        break;
    case 3:
        fx_mkdir(dir, rel);
        break;
    case 4:
        fx_symlink(dir, rel, rnd(s) % 2 ? "../../escape" : "/etc/passwd");
        break;
    case 5:
        fx_write(dir, rel, "a\nb\nc\n");
        fx_chmod(dir, rel, 0600);
        break;
    case 6:
        fx_chardev_whiteout(dir, rel);
        break;
    case 7:
        fx_mkdir(dir, rel);
        fx_setxattr(dir, rel, rnd(s) % 2 ? "trusted.overlay.opaque" : "user.overlay.opaque",
                    rnd(s) % 2 ? "y" : "x");
        break;
    default:
        fx_write(dir, rel, "");
        fx_setxattr(dir, rel, "trusted.overlay.whiteout", "y");
        break;
    }
}

static void random_tree(const char *dir, unsigned long long *s, bool upper)
{
    static const char *const names[] = {"a", "b", "d", "d/a", "d/b", "d/e", "d/e/a", "x\xff"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (rnd(s) % 3)
            random_entry(dir, names[i], s, upper);
}

static bool outcome_valid(const struct rc_report *r)
{
    size_t sum = 0;
    for (unsigned o = 0; o < RC_OUTCOME_COUNT; o++)
        sum += r->counts[o];
    if (sum != r->n_entries)
        return false;
    for (size_t i = 0; i < r->n_entries; i++) {
        if ((unsigned)r->entries[i].outcome >= RC_OUTCOME_COUNT)
            return false;
        for (size_t j = i + 1; j < r->n_entries; j++)
            if (strcmp(r->entries[i].path, r->entries[j].path) == 0)
                return false;
    }
    return true;
}

TEST(classifier_survives_random_trees)
{
    unsigned long long seed = 0x5eed1234abcdULL;
    for (int round = 0; round < 150; round++) {
        struct fx f;
        fx_init(&f);
        random_tree(f.base, &seed, false);
        random_tree(f.lower, &seed, false);
        random_tree(f.upper, &seed, true);
        struct rc_report *r = fx_classify_mb(&f, false);
        CHECK(r != NULL);
        if (r && r->error)
            fprintf(stderr, "  round %d: %s\n", round, r->error_text);
        CHECK(r && r->error == 0);
        CHECK(r && outcome_valid(r));
        /* The report renders, with diffs, whatever it holds. */
        FILE *null = fopen("/dev/null", "w");
        if (r && null) {
            CHECK_INT(rc_report_write_text(null, r, true), 0);
            CHECK_INT(rc_report_write_json(null, &r, 1), 0);
        }
        if (null)
            fclose(null);
        rc_report_free(r);
        fx_done(&f);
    }
}

TEST(decide_is_total_over_all_kinds)
{
    /* Every combination of kinds gives a valid outcome. */
    for (int u = RC_FILE; u < RC_KIND_COUNT; u++)
        for (int l = RC_ABSENT; l < RC_KIND_COUNT; l++)
            for (int b = RC_ABSENT; b < RC_KIND_COUNT; b++)
                for (int known = 0; known < 2; known++) {
                    struct fx f;
                    (void)f;
                    struct rc_version vu = {.kind = (enum rc_kind)u, .have_hash = true},
                                      vl = {.kind = (enum rc_kind)l, .have_hash = true},
                                      vb = {.kind = (enum rc_kind)b, .have_hash = true};
                    vl.hash[0] = 1;
                    enum rc_outcome o;
                    extern enum rc_outcome rc_decide(const struct rc_version *,
                                                     const struct rc_version *,
                                                     const struct rc_version *, bool);
                    o = rc_decide(&vu, &vl, &vb, known);
                    CHECK((unsigned)o < RC_OUTCOME_COUNT);
                }
}

int main(void)
{
    return test_main();
}
