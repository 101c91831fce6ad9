// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * overlay-reconcile: report (and with --apply, fix) what overlay upper dirs hide of their
 * base. Exit 0: nothing needs attention; 1: something does; 2: error. See overlay-reconcile.8.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reconcile.h"
#include "state.h"
#include "util.h"

#define PROG "overlay-reconcile"
#define MAX_UPPERS 256

enum mode { MODE_REPORT, MODE_RECORD };

struct cmd {
    enum mode mode;
    bool json, diff, apply, userxattr, report_flag;
    enum rc_policy policy;
    bool policy_set, ignore_set;
    const char *state, *lower, *merge_base, *root;
    char *ignore; /* --ignore lists joined by ',' */
    const char *uppers[MAX_UPPERS], *stores[MAX_UPPERS];
    size_t n_uppers, n_stores;
    struct rc_options opts;
};

/* "overlay-reconcile: MESSAGE[: strerror(e)]" to stderr; returns exit status 2. */
static int err(int e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int err(int e, const char *fmt, ...)
{
    va_list ap;
    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (e)
        fprintf(stderr, ": %s", strerror(e < 0 ? -e : e));
    fputc('\n', stderr);
    return 2;
}

static void usage(FILE *f)
{
    fputs("Usage: " PROG " [--report] [--json] [--diff] [--apply [--policy safe|merge]]\n"
          "       " PROG " --lower DIR --upper DIR [--upper DIR...] [--store DIR...]\n"
          "                         [--merge-base DIR] [--json] [--diff] [--apply ...]\n"
          "       " PROG " --record --lower DIR --store DIR\n"
          "  (with --upper and --store: [--root DIR] [--ignore LIST])\n\n"
          "Compare overlay upper dirs with their base (lower) and the recorded merge base.\n\n"
          "  --report           every overlay of the running guest (" RC_STATE_PATH ")\n"
          "  --state FILE       read overlays from FILE instead\n"
          "  --lower DIR        the base dir now\n"
          "  --upper DIR        a host's upper dir (may repeat)\n"
          "  --store DIR        the record store (once, or once per --upper)\n"
          "  --merge-base DIR   take the merge base from a dir (an old base image)\n"
          "  --record           record --lower into --store (as the boot does)\n"
          "  --root DIR         the instance's mount point: nothing below it is followed\n"
          "                     (default: the mount point holding each --upper/--store)\n"
          "  --ignore LIST      paths that raise no warning and are left alone: comma-\n"
          "                     separated patterns, \"default\" for the built-in list\n"
          "                     (lock files), \"\" for none\n"
          "  --json             print JSON (schema in overlay-reconcile(8))\n"
          "  --diff             show a unified diff of what would change\n"
          "  --apply            apply the policy (backups and journal in the store)\n"
          "  --policy P         safe (default) or merge\n"
          "  --userxattr        the overlay uses user.overlay.* xattrs (userxattr mount)\n"
          "  -h, --help         this help\n"
          "  -V, --version      the version\n\n"
          "Exit status: 0 nothing needs attention, 1 something does, 2 error.\n",
          f);
}

static void crash_hook(void *ud, unsigned step)
{
    /* Test-only: simulate a crash at a step of the apply (SHAREDROOT_RECONCILE_CRASH_AT). */
    if (step == *(unsigned *)ud)
        _exit(99);
}

enum { OPT_STATE = 256, OPT_MERGE_BASE, OPT_USERXATTR, OPT_ROOT, OPT_IGNORE };

/* --ignore A --ignore B is --ignore A,B. */
static int add_ignore(struct cmd *c, const char *list)
{
    char *n = NULL;
    if (asprintf(&n, "%s%s%s", c->ignore ? c->ignore : "", c->ignore && *c->ignore ? "," : "",
                 list) < 0)
        return err(-ENOMEM, "allocating");
    free(c->ignore);
    c->ignore = n;
    c->ignore_set = true;
    c->opts.ignore = c->ignore;
    return 0;
}

static int parse_opt(struct cmd *c, int o)
{
    switch (o) {
    case 'r':
        c->report_flag = true;
        return 0;
    case OPT_STATE:
        c->state = optarg;
        return 0;
    case 'l':
        c->lower = optarg;
        return 0;
    case 'u':
        if (c->n_uppers == MAX_UPPERS)
            return err(0, "too many --upper (at most %d)", MAX_UPPERS);
        c->uppers[c->n_uppers++] = optarg;
        return 0;
    case 's':
        if (c->n_stores == MAX_UPPERS)
            return err(0, "too many --store (at most %d)", MAX_UPPERS);
        c->stores[c->n_stores++] = optarg;
        return 0;
    case OPT_MERGE_BASE:
        c->merge_base = optarg;
        return 0;
    case 'R':
        c->mode = MODE_RECORD;
        return 0;
    case 'j':
        c->json = true;
        return 0;
    case 'd':
        c->diff = true;
        return 0;
    case 'a':
        c->apply = true;
        return 0;
    case 'p':
        c->policy_set = true;
        if (rc_policy_from_name(optarg, &c->policy) < 0 || c->policy == RC_POLICY_REPORT)
            return err(0, "--policy: \"%s\" is not safe or merge", optarg);
        return 0;
    case OPT_USERXATTR:
        c->userxattr = c->opts.userxattr = true;
        return 0;
    case OPT_ROOT:
        c->root = optarg;
        return 0;
    case OPT_IGNORE:
        return add_ignore(c, optarg);
    default:
        usage(stderr);
        return 2;
    }
}

static int check_args(struct cmd *c)
{
    if (c->mode == MODE_RECORD) {
        if (!c->lower || c->n_stores != 1 || c->n_uppers || c->apply || c->merge_base)
            return err(0, "--record takes exactly --lower DIR and --store DIR");
        return 0;
    }
    if (c->root && !c->lower)
        return err(0, "--root goes with --upper and --store (the state file's paths are "
                      "the running guest's)");
    if (c->policy_set && !c->apply)
        return err(0, "--policy only goes with --apply");
    if (!c->apply)
        c->policy = RC_POLICY_REPORT;
    else if (!c->policy_set)
        c->policy = RC_POLICY_SAFE;
    bool dirs = c->lower || c->n_uppers || c->n_stores || c->merge_base;
    if (dirs && (!c->lower || !c->n_uppers))
        return err(0, "--lower and --upper go together");
    if (dirs && c->state)
        return err(0, "--state does not go with --lower/--upper");
    if (c->n_stores > 1 && c->n_stores != c->n_uppers)
        return err(0, "give --store once, or once for each --upper");
    if (c->merge_base && c->n_stores)
        return err(0, "--merge-base replaces --store");
    if (c->apply && c->merge_base)
        return err(0, "--apply needs a --store (backups, journal), not --merge-base");
    if (c->apply && dirs && c->n_stores == 0)
        return err(0, "--apply needs --store DIR for backups and its journal");
    return 0;
}

static int do_record(struct cmd *c)
{
    struct rc_record_result res;
    struct rc_overlay ov = {.lower = c->lower, .store = c->stores[0], .root = c->root};
    int r = rc_record(&ov, &res);
    if (r < 0)
        return err(0, "%s", res.why);
    char how[160];
    rc_fp_evidence_text(&res.fp, how, sizeof how);
    if (res.skipped)
        printf("%s: base unchanged (%s; %s), nothing recorded\n", c->lower, res.fingerprint, how);
    else if (res.reused)
        printf("%s: base %s was recorded before; history updated\n", c->lower, res.fingerprint);
    else
        printf("%s: recorded %s: %zu paths, %zu new objects%s\n", c->lower, res.fingerprint,
               res.entries, res.objects_added,
               res.same_content ? " (the same content as the last record)" : "");
    return 0;
}

static int priv_message(void)
{
    fputs(PROG ": reading whiteouts and opaque dirs (trusted.overlay.* xattrs) needs "
               "CAP_SYS_ADMIN; without it they would silently look like plain files.\n" PROG
               ": run as root, or pass --userxattr if the overlay is mounted with userxattr.\n",
          stderr);
    return 2;
}

/* booted: what the boot's policy changed, per overlay (from the state file), or NULL. */
static int output(struct cmd *c, struct rc_report **reps, size_t n, char *const *booted)
{
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        if (reps[i]->error) {
            fprintf(stderr, PROG ": %s: %s\n", reps[i]->name, reps[i]->error_text);
            status = 2;
        } else if (status == 0 && rc_report_needs_attention(reps[i])) {
            status = 1;
        }
        if (c->json)
            continue;
        if (i > 0)
            putchar('\n');
        if (rc_report_write_text(stdout, reps[i], c->diff) < 0)
            status = 2;
        if (booted && booted[i])
            printf("  at this boot: %s\n", booted[i]);
    }
    if (c->json && rc_report_write_json(stdout, reps, n) < 0)
        status = 2;
    return status;
}

/* userxattr: per overlay (from the state file), or NULL for the command line's choice. */
static int run_overlays(struct cmd *c, const struct rc_overlay *ovs, const bool *userxattr,
                        char *const *booted, size_t n)
{
    struct rc_report **reps = calloc(n, sizeof *reps);
    if (!reps)
        return err(-ENOMEM, "allocating");
    int status = 0;
    for (size_t i = 0; i < n && status == 0; i++) {
        struct rc_options o = c->opts;
        o.userxattr = c->userxattr || (userxattr && userxattr[i]);
        if (rc_reconcile(&ovs[i], c->policy, &o, &reps[i]) < 0 && !reps[i])
            status = err(-ENOMEM, "allocating");
    }
    if (status == 0)
        status = output(c, reps, n, booted);
    for (size_t i = 0; i < n; i++)
        rc_report_free(reps[i]);
    free(reps);
    return status;
}

/* The overlaid dir of an instance disk's upper dir: ".../overlay/NAME/upper" is NAME as
 * sharedroot-init escapes it ("usr-local" for /usr/local, "\x2d" for '-'); NULL otherwise. */
static char *overlaid_dir(const char *upper)
{
    size_t n = strlen(upper);
    while (n > 1 && upper[n - 1] == '/')
        n--;
    if (n < 6 || strncmp(upper + n - 6, "/upper", 6) != 0)
        return NULL;
    const char *end = upper + n - 6, *start = end;
    while (start > upper && start[-1] != '/')
        start--;
    if (start - upper < 9 || strncmp(start - 9, "/overlay/", 9) != 0 || start == end)
        return NULL;
    struct rc_buf b = {0};
    int r = rc_buf_adds(&b, "/");
    for (const char *p = start; r >= 0 && p < end; p++) {
        unsigned v;
        if (*p == '-')
            r = rc_buf_adds(&b, "/");
        else if (*p == '\\' && end - p >= 4 && p[1] == 'x' && sscanf(p + 2, "%2x", &v) == 1 &&
                 v != 0 && v != '/') {
            char ch = (char)v;
            r = rc_buf_add(&b, &ch, 1);
            p += 3;
        } else
            r = rc_buf_add(&b, p, 1);
    }
    if (r < 0) {
        rc_buf_done(&b);
        return NULL;
    }
    return b.data;
}

static int run_dirs(struct cmd *c)
{
    struct rc_overlay ovs[MAX_UPPERS];
    char *names[MAX_UPPERS] = {0};
    if (c->apply && c->n_uppers > 1 && c->n_stores == 1)
        return err(0, "--apply with several --upper needs one --store per --upper");
    for (size_t i = 0; i < c->n_uppers; i++) {
        names[i] = overlaid_dir(c->uppers[i]);
        ovs[i] =
            (struct rc_overlay){.name = names[i] ? names[i] : c->uppers[i],
                                .lower = c->lower,
                                .upper = c->uppers[i],
                                .store = c->n_stores ? c->stores[c->n_stores > 1 ? i : 0] : NULL,
                                .merge_base_dir = c->merge_base,
                                .root = c->root};
    }
    int status = run_overlays(c, ovs, NULL, NULL, c->n_uppers);
    for (size_t i = 0; i < c->n_uppers; i++)
        free(names[i]);
    return status;
}

static int run_state(struct cmd *c)
{
    const char *path = c->state ? c->state : RC_STATE_PATH;
    struct rc_state st;
    char why[512];
    int r = rc_state_load(path, &st, why, sizeof why);
    if (r == -EBADMSG || r == -EFBIG)
        return err(0, "%s: %s", path, why);
    if (r < 0)
        return err(r, "reading %s (is this a sharedroot guest?)", path);
    struct rc_overlay *ovs = calloc(st.n ? st.n : 1, sizeof *ovs);
    bool *ux = calloc(st.n ? st.n : 1, sizeof *ux);
    char **booted = calloc(st.n ? st.n : 1, sizeof *booted);
    int status = ovs && ux && booted ? 0 : err(-ENOMEM, "allocating");
    /* The boot's ignore list, unless the command line gives one. */
    if (!c->ignore_set && st.ignore)
        c->opts.ignore = st.ignore;
    for (size_t i = 0; status == 0 && i < st.n; i++) {
        ovs[i] = (struct rc_overlay){.name = st.ov[i].dir,
                                     .lower = st.ov[i].lower,
                                     .upper = st.ov[i].upper,
                                     .store = st.ov[i].store};
        ux[i] = st.ov[i].userxattr;
        booted[i] = st.ov[i].applied;
    }
    if (status == 0)
        status = run_overlays(c, ovs, ux, booted, st.n);
    free(ovs);
    free(ux);
    free(booted);
    rc_state_done(&st);
    return status;
}

static int run(struct cmd *c, int argc, char **argv)
{
    unsigned crash_at = 0;
    if (optind < argc)
        return err(0, "unexpected argument \"%s\"", argv[optind]);
    if (check_args(c) != 0)
        return 2;
    if (c->mode == MODE_RECORD)
        return do_record(c);
    const char *crash = getenv("SHAREDROOT_RECONCILE_CRASH_AT");
    if (crash && (crash_at = (unsigned)strtoul(crash, NULL, 10)) > 0) {
        c->opts.step_hook = crash_hook;
        c->opts.step_userdata = &crash_at;
    }
    if (rc_check_privileges(&c->opts) == -EPERM)
        return priv_message();
    return c->lower ? run_dirs(c) : run_state(c);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"report", no_argument, NULL, 'r'},
        {"state", required_argument, NULL, OPT_STATE},
        {"lower", required_argument, NULL, 'l'},
        {"upper", required_argument, NULL, 'u'},
        {"store", required_argument, NULL, 's'},
        {"merge-base", required_argument, NULL, OPT_MERGE_BASE},
        {"record", no_argument, NULL, 'R'},
        {"json", no_argument, NULL, 'j'},
        {"diff", no_argument, NULL, 'd'},
        {"apply", no_argument, NULL, 'a'},
        {"policy", required_argument, NULL, 'p'},
        {"userxattr", no_argument, NULL, OPT_USERXATTR},
        {"root", required_argument, NULL, OPT_ROOT},
        {"ignore", required_argument, NULL, OPT_IGNORE},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0},
    };
    struct cmd c = {.mode = MODE_REPORT};
    int o;
    while ((o = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
        if (o == 'h') {
            usage(stdout);
            return 0;
        }
        if (o == 'V') {
            printf(PROG " " SHAREDROOT_VERSION "\n");
            return 0;
        }
        if (parse_opt(&c, o) != 0) {
            free(c.ignore);
            return 2;
        }
    }
    int status = run(&c, argc, argv);
    free(c.ignore);
    return status;
}
