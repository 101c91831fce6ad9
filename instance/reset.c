// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-instance reset: drop an instance's version of paths so that the base shows
 * through; the versions go to the backups in the reconcile store (rc_reset). Offline on an
 * image or an unused instance dir, or, inside the running guest (--next-boot), as a request
 * that the boot's reconcile stage carries out before the overlay is mounted.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "commands.h"
#include "fsio.h"
#include "image.h"
#include "log.h"
#include "reconcile.h"
#include "spec.h"
#include "why.h"

struct reset_opts {
    bool all, next_boot;
    const char *state;
    const char *base;   /* the base's root (offline): paths inside opaque dirs */
    const char *target; /* IMAGE or DIR (not with --next-boot) */
    char *const *paths; /* absolute paths in the guest */
    size_t n;
};

static int usage(int status)
{
    fprintf(status ? stderr : stdout,
            "Usage: sharedroot-instance reset IMAGE|DIR [--base DIR] PATH...|--all\n"
            "       sharedroot-instance reset --next-boot [--state FILE] PATH...|--all\n"
            "Drop the instance's version of PATH (to the backups in its store) so that the base\n"
            "shows through; --next-boot, in a running guest, at its next boot. A PATH inside an\n"
            "opaque dir needs the base's root: --base DIR (or --next-boot).\n");
    return status;
}

static int parse(int argc, char **argv, struct reset_opts *o)
{
    static const struct option longopts[] = {
        {"all", no_argument, NULL, 'a'},       {"base", required_argument, NULL, 'b'},
        {"next-boot", no_argument, NULL, 'n'}, {"state", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "ab:ns:h", longopts, NULL)) != -1) {
        if (c == 'a')
            o->all = true;
        else if (c == 'b')
            o->base = optarg;
        else if (c == 'n')
            o->next_boot = true;
        else if (c == 's')
            o->state = optarg;
        else
            return usage(c == 'h' ? 0 : 2), c == 'h' ? -1 : 2;
    }
    if (!o->next_boot) {
        if (optind >= argc)
            return log_error("reset: give IMAGE or DIR, then PATH... or --all (see --help)"), 2;
        o->target = argv[optind++];
    } else if (o->state && !*o->state) {
        return log_error("--state: give the state file of the running guest"), 2;
    }
    if (o->state && !o->next_boot)
        return log_error("--state goes with --next-boot"), 2;
    if (o->base && (o->next_boot || !*o->base))
        return log_error("--base: give the base's root dir, with IMAGE or DIR (at the next boot "
                         "the base is known)"),
               2;
    o->paths = argv + optind;
    o->n = (size_t)(argc - optind);
    if (o->all == (o->n > 0))
        return log_error("reset: give the paths to reset, or --all (not both)"), 2;
    for (size_t i = 0; i < o->n; i++) {
        const char *p = o->paths[i];
        if (p[0] != '/' || (p[1] && !rc_path_is_safe(p + 1)) || p[strlen(p) - 1] == '/')
            return log_error("reset: '%s' is not a clean absolute path (such as /etc/foo.conf, "
                             "without '.', '..', '//' or a trailing '/')",
                             p),
                   2;
    }
    return 0;
}

/* Per overlay: the relative paths of the request ("" for all of it). */
struct per_overlay {
    char **rel;
    size_t n, cap;
};

static int push(struct per_overlay *po, const char *rel)
{
    int r = array_grow(&po->rel, po->n, 1, &po->cap, sizeof *po->rel);
    if (r < 0)
        return r;
    if (!(po->rel[po->n] = strdup(rel)))
        return -ENOMEM;
    po->n++;
    return 0;
}

static void say_done(const char *where, const char *dir, const char *store,
                     const struct rc_reset_result *res)
{
    const char *d = strcmp(dir, "/") == 0 ? "" : dir;
    if (res->resumed)
        printf("%s: %s: an interrupted apply or reset was finished first\n", where, dir);
    for (size_t i = 0; i < res->n_done; i++)
        printf("%s: reset %s/%s (its version is in %s/backups/%s/%s)\n", where, d, res->done[i],
               store, res->run, res->done[i]);
    _cleanup_free_ char *changes = rc_reset_changes_text(res, d);
    if (changes)
        printf("%s: %s\n", where, changes);
}

/* --- offline: an image or an instance dir --- */

/* A path inside an opaque dir: the base's version shows only when the rest of what the dir
 * hides is kept hidden, which needs the base. Without --base, refused before anything moves. */
static int refuse_opaque(const struct reset_opts *o, int rootfd, const struct inst_overlay *ov,
                         const char *rel)
{
    _cleanup_free_ char *top = NULL;
    _cleanup_close_ int upfd =
        o->base ? -1 : rc_open_beneath(rootfd, ov->upper, O_RDONLY | O_DIRECTORY);
    int r = upfd < 0 ? upfd : rc_reset_opaque_above(upfd, rel, &top);

    if (o->base || r == 0)
        return 0;
    if (r < 0)
        return log_error_errno(r, "reset %s: the upper dir %s: %m; nothing was reset", o->target,
                               ov->upper);
    return log_error_errno(EOPNOTSUPP,
                           "reset %s: %s/%s is inside %s/%s, an opaque dir of the instance that "
                           "hides the base's version; to show it and keep hidden the rest of "
                           "what %s/%s hides, give the base: --base DIR (the base's root, "
                           "mounted), or reset --next-boot in the guest; or reset %s/%s whole; "
                           "nothing was reset",
                           o->target, ov->dir, rel, ov->dir, top, ov->dir, top, ov->dir, top);
}

/* An interrupted apply or reset is pending in the overlay's store. */
static bool interrupted(int rootfd, const struct inst_overlay *ov)
{
    _cleanup_close_ int sfd = rc_open_beneath(rootfd, ov->store, O_RDONLY | O_DIRECTORY);
    return sfd >= 0 && rc_journal_pending(sfd) > 0;
}

/* Every path must be something the instance overrides: a typo is refused before anything
 * is moved. */
static int group_offline(const struct reset_opts *o, int rootfd, const struct inst_spec *s,
                         struct per_overlay *po)
{
    for (size_t i = 0; i < o->n; i++) {
        const char *rel;
        const struct inst_overlay *ov = spec_overlay_for(s, o->paths[i], &rel);
        struct stat st;
        if (!ov)
            return log_error_errno(ENOENT,
                                   "reset %s: %s is not in an overlaid dir of this instance; "
                                   "the base's version is all there is",
                                   o->target, o->paths[i]);
        _cleanup_free_ char *full = *rel ? rc_path_join(ov->upper, rel) : strdup(ov->upper);
        if (!full)
            return -ENOMEM;
        int r = rc_stat_beneath(rootfd, full, &st);
        if ((r == -ENOENT || r == -ENOTDIR) && interrupted(rootfd, ov)) {
            /* moved by a reset that a crash interrupted: the journal is finished first */
            if ((r = push(&po[ov - s->ov], rel)) < 0)
                return r;
            continue;
        }
        if (r == -ENOENT || r == -ENOTDIR)
            return log_error_errno(ENOENT,
                                   "reset %s: the instance has no version of %s of its own "
                                   "(the base's shows already); nothing was reset",
                                   o->target, o->paths[i]);
        if (r < 0)
            return log_error_errno(r, "reset %s: %s in the upper dir %s: %s; nothing was reset",
                                   o->target, o->paths[i], ov->upper,
                                   r == -ELOOP ? "a symlink on the way (refused)" : strerror(-r));
        if ((r = refuse_opaque(o, rootfd, ov, rel)) < 0 || (r = push(&po[ov - s->ov], rel)) < 0)
            return r;
    }
    return 0;
}

static void crash_hook(void *ud, unsigned step)
{
    /* Test-only: a crash at a step of a reset inside an opaque dir, as overlay-reconcile's
     * SHAREDROOT_RECONCILE_CRASH_AT simulates one in an apply. */
    if (step == *(unsigned *)ud)
        _exit(99);
}

static int reset_offline(const struct reset_opts *o)
{
    const char *crash = getenv("SHAREDROOT_RECONCILE_CRASH_AT");
    unsigned crash_at = crash ? (unsigned)strtoul(crash, NULL, 10) : 0;
    struct rc_options opts = {.step_hook = crash_at ? crash_hook : NULL,
                              .step_userdata = &crash_at};
    struct image img = {.lock_fd = -1, .rootfd = -1};
    struct inst_spec *s = calloc(1, sizeof *s);
    struct per_overlay po[LAYOUT_MAX_ENTRIES] = {0};
    struct stat st;
    char why[1024] = "";
    int rootfd = -1, r = -ENOMEM;
    const char *root = o->target;

    if (!s)
        return log_error_errno(ENOMEM, "out of memory");
    if (o->base && (stat(o->base, &st) < 0 || !S_ISDIR(st.st_mode))) {
        free(s);
        return log_error("reset %s: --base %s is not a directory (give the base's root, mounted)",
                         o->target, o->base),
               1;
    }
    if (stat(o->target, &st) < 0) {
        r = log_error_errno(errno, "reset %s: %m", o->target);
    } else if (S_ISDIR(st.st_mode)) {
        r = rootfd = image_open_dir(o->target, false, "reset");
    } else if ((r = image_open(&img, o->target, true)) == 0 &&
               (r = image_mount(&img, false)) == 0) {
        rootfd = img.rootfd;
        root = img.mountpoint;
    }
    if (r >= 0 && (r = spec_discover(rootfd, s, why, sizeof why)) < 0)
        log_error_errno(r, "reset %s: %s", o->target, why);
    for (size_t i = 0; r >= 0 && o->all && i < s->n; i++)
        r = push(&po[i], "");
    if (r >= 0 && !o->all)
        r = group_offline(o, rootfd, s, po);
    /* Looked at read-only; only now, with every path found, written to. */
    if (r >= 0 && img.mountpoint && (r = image_make_writable(&img)) == 0)
        rootfd = img.rootfd;
    for (size_t i = 0; r >= 0 && i < s->n; i++) {
        struct rc_reset_result res;
        _cleanup_free_ char *upper = rc_path_join(root, s->ov[i].upper);
        _cleanup_free_ char *store = rc_path_join(root, s->ov[i].store);
        _cleanup_free_ char *lower = o->base ? rc_path_join(o->base, s->ov[i].dir + 1) : NULL;
        if (!po[i].n)
            continue;
        if (!upper || !store || (o->base && !lower)) {
            r = -ENOMEM;
            break;
        }
        struct rc_overlay ov = {
            .name = s->ov[i].dir, .lower = lower, .upper = upper, .store = store, .root = root};
        r = rc_reset(&ov, po[i].rel, po[i].n, &opts, &res);
        say_done(o->target, s->ov[i].dir, s->ov[i].store, &res);
        if (r < 0)
            log_error_errno(r, "reset %s: %s: %s%s", o->target, s->ov[i].dir, res.why,
                            res.n_done ? "; the paths above were reset" : "; nothing was reset");
        rc_reset_result_done(&res);
    }
    for (size_t i = 0; i < LAYOUT_MAX_ENTRIES; i++)
        rc_reset_paths_free(po[i].rel, po[i].n);
    if (S_ISDIR(st.st_mode) && rootfd >= 0)
        close(rootfd);
    image_close(&img);
    free(s);
    return r < 0 ? 1 : 0;
}

/* --- in the running guest: a request for the next boot --- */

static const struct rc_state_overlay *state_overlay_for(const struct rc_state *st, const char *p,
                                                        const char **rel)
{
    const struct rc_state_overlay *best = NULL;
    size_t bestlen = 0;

    for (size_t i = 0; i < st->n; i++) {
        size_t len = strlen(st->ov[i].dir);
        if (strncmp(p, st->ov[i].dir, len) == 0 && (p[len] == '/' || p[len] == 0) &&
            len >= bestlen) {
            best = &st->ov[i];
            bestlen = len;
        }
    }
    if (best)
        for (*rel = p + bestlen; **rel == '/'; (*rel)++)
            ;
    return best;
}

static int request_one(const struct rc_state_overlay *so, char **rel, size_t n)
{
    struct rc_overlay ov = {.name = so->dir, .upper = so->upper, .store = so->store};
    char why[1024] = "";
    int r = rc_reset_request(&ov, rel, n, why, sizeof why);

    if (r < 0)
        return log_error_errno(r, "reset --next-boot %s: %s", so->dir, why);
    for (size_t i = 0; i < n; i++)
        printf("%s%s%s: reset at the next boot (requested in %s/%s)\n", so->dir, *rel[i] ? "/" : "",
               rel[i], so->store, RC_RESET_REQUEST);
    return 0;
}

static int reset_next_boot(const struct reset_opts *o)
{
    const char *path = o->state ? o->state : RC_STATE_PATH;
    struct rc_state st;
    struct per_overlay *po;
    char why[512];
    int r = rc_state_load(path, &st, why, sizeof why);

    if (r < 0)
        return log_error_errno(r, "reset --next-boot: %s: %s", path,
                               r == -EBADMSG || r == -EFBIG ? why
                               : r == -ENOENT ? "missing (is this a sharedroot guest with an "
                                                "instance disk?)"
                                              : strerror(-r)),
               1;
    po = calloc(st.n ? st.n : 1, sizeof *po);
    r = po ? 0 : -ENOMEM;
    for (size_t i = 0; r >= 0 && i < o->n; i++) {
        const char *rel;
        const struct rc_state_overlay *so = state_overlay_for(&st, o->paths[i], &rel);
        if (!so)
            r = log_error_errno(ENOENT,
                                "reset --next-boot: %s is not in an overlaid dir of this guest; "
                                "nothing was requested",
                                o->paths[i]);
        else if (!so->store)
            r = log_error_errno(EINVAL,
                                "reset --next-boot: %s has no reconcile store (a volatile "
                                "guest?); nothing was requested",
                                so->dir);
        else
            r = push(&po[so - st.ov], rel);
    }
    for (size_t i = 0; r >= 0 && o->all && i < st.n; i++)
        if (st.ov[i].store)
            r = push(&po[i], "");
    for (size_t i = 0; r >= 0 && i < st.n; i++)
        if (po[i].n)
            r = request_one(&st.ov[i], po[i].rel, po[i].n);
    for (size_t i = 0; po && i < st.n; i++)
        rc_reset_paths_free(po[i].rel, po[i].n);
    free(po);
    rc_state_done(&st);
    return r < 0 ? 1 : 0;
}

int cmd_reset(int argc, char **argv)
{
    struct reset_opts o = {0};
    int r = parse(argc, argv, &o);

    if (r != 0)
        return r < 0 ? 0 : r;
    return o.next_boot ? reset_next_boot(&o) : reset_offline(&o);
}
