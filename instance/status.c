// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-instance status: what an instance overrides, per path. With --base the reconcile
 * engine classifies every upper path (no second classifier); without it the upper dirs are
 * walked as the engine walks them, and the base as recorded in the instance's store at its
 * last boot tells a copy from the instance's own file.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "commands.h"
#include "fsio.h"
#include "image.h"
#include "json.h"
#include "log.h"
#include "reconcile.h"
#include "spec.h"
#include "status.h"
#include "why.h"

const char *status_what(const struct rc_version *u, int in_base)
{
    if (u->kind == RC_WHITEOUT)
        return "deleted";
    if (u->kind == RC_DIR && u->opaque)
        return "opaque";
    return in_base < 0 ? "override" : in_base ? "copy" : "own";
}

static int add(struct status_overlay *so, const char *path, const struct rc_version *u, int in_base,
               const char *outcome, bool ignored)
{
    int r = array_grow(&so->e, so->n, 1, &so->cap, sizeof *so->e);
    if (r < 0)
        return r;
    struct status_entry *e = &so->e[so->n];
    *e = (struct status_entry){.what = status_what(u, in_base),
                               .kind = u->kind,
                               .size = u->kind == RC_FILE ? u->size : 0,
                               .outcome = outcome,
                               .ignored = ignored};
    if (!(e->path = strdup(path)))
        return -ENOMEM;
    so->n++;
    so->bytes += e->size;
    return 0;
}

/* Without a base: the walk of the upper. A dir the base (as recorded) has is merged by the
 * overlay, not an override: walked, not listed. */
struct plain_walk {
    struct status_overlay *so;
    const struct rc_recorded *m; /* the base as last recorded, or NULL */
};

#define DIR_XWHITEOUTS 1u

static int plain_visit(void *ud, struct rc_walk_entry *we)
{
    struct plain_walk *w = ud;
    struct rc_version u;
    int r = rc_inspect(we->dirfd, we->name, RC_MARKERS_ALL, we->parent_flags & DIR_XWHITEOUTS,
                       false, &u);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    int in_base = w->m ? rc_recorded_has(w->m, we->path) : -1;
    we->descend = u.kind == RC_DIR;
    we->descend_flags = u.xwhiteouts ? DIR_XWHITEOUTS : 0;
    if (u.kind == RC_DIR && !u.opaque && in_base != 0)
        return 0;
    return add(w->so, we->path, &u, in_base, NULL, false);
}

static int status_plain(int rootfd, const struct inst_overlay *o, struct status_overlay *so,
                        char *why, size_t n)
{
    _cleanup_close_ int upperfd = rc_open_beneath(rootfd, o->upper, O_RDONLY | O_DIRECTORY);
    struct rc_recorded *m = NULL;
    struct rc_version root;
    int r;

    if (upperfd < 0)
        return why_fail(why, n, upperfd, "%s: %s", o->upper, strerror(-upperfd));
    int sfd = rc_open_beneath(rootfd, o->store, O_RDONLY | O_DIRECTORY);
    if (sfd >= 0) {
        r = rc_recorded_open(sfd, &m); /* owns sfd from here on */
        if (r < 0)
            log_warning("%s: the store %s cannot be read (%s); copies are not told from own "
                        "files",
                        o->dir, o->store, strerror(-r));
        else if (m)
            snprintf(so->base_from, sizeof so->base_from, "as recorded at the last boot (%.16s)",
                     rc_recorded_fingerprint(m));
    } else if (sfd != -ENOENT) {
        log_warning("%s: the store %s cannot be opened (%s); copies are not told from own files",
                    o->dir, o->store, strerror(-sfd));
    }
    r = rc_inspect_dirfd(upperfd, RC_MARKERS_ALL, &root);
    if (r >= 0) {
        struct plain_walk w = {.so = so, .m = m};
        _cleanup_free_ char *deep = NULL;
        r = rc_walk(&(struct rc_walk){.rootfd = upperfd,
                                      .rootfd2 = -1,
                                      .start = "",
                                      .max_depth = 4096,
                                      .root_flags = root.xwhiteouts ? DIR_XWHITEOUTS : 0,
                                      .fn = plain_visit,
                                      .ud = &w,
                                      .too_deep = &deep});
        if (r < 0 && deep)
            why_fail(why, n, r, "%s: a dir deeper than the walk's limit: %.200s", o->upper, deep);
        else if (r < 0)
            why_fail(why, n, r, "walking %s: %s", o->upper, strerror(-r));
    }
    rc_recorded_free(m);
    return r;
}

/* With a base: the engine's classification (report mode: nothing is written). */
static int status_classified(const char *root, const struct inst_overlay *o, const char *base,
                             struct status_overlay *so, char *why, size_t n)
{
    _cleanup_free_ char *upper = rc_path_join(root, o->upper);
    _cleanup_free_ char *store = rc_path_join(root, o->store);
    _cleanup_free_ char *lower = rc_path_join(base, o->dir + 1);
    struct rc_options opts = {.list_inside = true};
    struct rc_report *rep = NULL;
    int r;

    if (!upper || !store || !lower)
        return -ENOMEM;
    snprintf(so->base_from, sizeof so->base_from, "%s", lower);
    struct rc_overlay ov = {
        .name = o->dir, .lower = lower, .upper = upper, .store = store, .root = root};
    r = rc_classify(&ov, &opts, &rep);
    if (r < 0 || (rep && rep->error)) {
        r = why_fail(why, n, r < 0 ? r : rep->error, "%s: %s", o->dir,
                     rep && rep->error_text ? rep->error_text : strerror(-r));
        rc_report_free(rep);
        return r;
    }
    for (size_t i = 0; r >= 0 && i < rep->n_entries; i++) {
        const struct rc_entry *e = &rep->entries[i];
        r = add(so, e->path, &e->upper, e->lower.kind != RC_ABSENT, rc_outcome_name(e->outcome),
                e->ignored);
    }
    rc_report_free(rep);
    return r;
}

void status_done(struct status_overlay *so)
{
    for (size_t i = 0; i < so->n; i++)
        free(so->e[i].path);
    free(so->e);
    *so = (struct status_overlay){0};
}

int status_collect(int rootfd, const char *root, const struct inst_overlay *o, const char *base,
                   struct status_overlay *so, char *why, size_t n)
{
    *so = (struct status_overlay){.o = o};
    snprintf(so->base_from, sizeof so->base_from, "none");
    return base ? status_classified(root, o, base, so, why, n)
                : status_plain(rootfd, o, so, why, n);
}

/* The path as the guest sees it: the overlaid dir, then the upper path. */
static char *guest_path(const struct status_overlay *so, const char *path)
{
    return *path ? rc_path_join(so->o->dir, path) : strdup(so->o->dir);
}

void status_write_text(FILE *f, const struct status_overlay *so)
{
    size_t counts[5] = {0};
    static const char *const whats[] = {"own", "copy", "deleted", "opaque", "override"};

    for (size_t i = 0; i < so->n; i++)
        for (size_t k = 0; k < 5; k++)
            counts[k] += strcmp(so->e[i].what, whats[k]) == 0;
    fprintf(f, "%s: %zu paths (%zu own, %zu copies, %zu deleted, %zu opaque dirs", so->o->dir,
            so->n, counts[0], counts[1], counts[2], counts[3]);
    if (counts[4])
        fprintf(f, ", %zu not told apart: no base recorded", counts[4]);
    fprintf(f, "), %llu bytes; upper %s; base: %s\n", (unsigned long long)so->bytes, so->o->upper,
            so->base_from);
    for (size_t i = 0; i < so->n; i++) {
        const struct status_entry *e = &so->e[i];
        _cleanup_free_ char *p = guest_path(so, e->path);
        struct rc_buf esc = {0};
        if (!p || rc_escape_c(&esc, p) < 0) {
            rc_buf_done(&esc);
            continue;
        }
        fprintf(f, "  %-8s %-9s %10llu  %s%s%s%s\n", e->what, rc_kind_name(e->kind),
                (unsigned long long)e->size, esc.data, e->outcome ? "  " : "",
                e->outcome ? e->outcome : "", e->ignored ? " (ignored)" : "");
        rc_buf_done(&esc);
    }
}

void status_write_json(FILE *f, const struct status_overlay *so)
{
    fputs("{\"dir\":", f);
    json_string(f, so->o->dir);
    rc_json_field(f, "upper", so->o->upper);
    rc_json_field(f, "store", so->o->store);
    rc_json_field(f, "base", so->base_from);
    fprintf(f, ",\"paths\":%zu,\"bytes\":%llu,\"entries\":[", so->n, (unsigned long long)so->bytes);
    for (size_t i = 0; i < so->n; i++) {
        const struct status_entry *e = &so->e[i];
        _cleanup_free_ char *p = guest_path(so, e->path);
        fputs(i ? ",\n{\"path\":" : "\n{\"path\":", f);
        json_string(f, p);
        fprintf(f, ",\"what\":\"%s\",\"type\":\"%s\",\"size\":%llu", e->what, rc_kind_name(e->kind),
                (unsigned long long)e->size);
        rc_json_field(f, "outcome", e->outcome);
        fprintf(f, ",\"ignored\":%s}", e->ignored ? "true" : "false");
    }
    fputs("]}", f);
}

static int usage(int status)
{
    fprintf(status ? stderr : stdout,
            "Usage: sharedroot-instance status IMAGE|DIR [--base DIR] [--json]\n"
            "Show what an instance overrides of the base, per path.\n");
    return status;
}

int cmd_status(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"base", required_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *base = NULL, *src;
    bool json = false;
    struct image img = {.lock_fd = -1, .rootfd = -1};
    struct inst_spec *s = NULL;
    struct stat st;
    char why[1024] = "";
    int c, rootfd = -1, r;

    while ((c = getopt_long(argc, argv, "b:jh", longopts, NULL)) != -1) {
        if (c == 'b')
            base = optarg;
        else if (c == 'j')
            json = true;
        else
            return usage(c == 'h' ? 0 : 2);
    }
    if (optind + 1 != argc)
        return log_error("status: give IMAGE or DIR (see --help)"), 2;
    src = argv[optind];
    if (base && (stat(base, &st) < 0 || !S_ISDIR(st.st_mode)))
        return log_error("status %s: --base %s is not a directory (give the base's root, "
                         "mounted)",
                         src, base),
               1;
    if (rc_check_privileges(NULL) < 0)
        return log_error("status %s: reading the overlay markers (trusted.overlay.*) of the "
                         "upper dirs needs root (CAP_SYS_ADMIN)",
                         src),
               1;
    if (stat(src, &st) < 0)
        return log_error_errno(errno, "status %s: %m", src), 1;
    const char *root = src;
    if (S_ISDIR(st.st_mode)) {
        /* Reading is harmless while a guest runs: a snapshot of a live upper. */
        rootfd = image_open_dir(src, true, "status");
    } else if (image_open(&img, src, false) == 0 && image_mount(&img, false) == 0) {
        rootfd = img.rootfd;
        root = img.mountpoint;
    }
    if (rootfd < 0) {
        image_close(&img);
        return 1;
    }
    s = calloc(1, sizeof *s);
    r = s ? spec_discover(rootfd, s, why, sizeof why) : -ENOMEM;
    if (r < 0)
        log_error_errno(r, "status %s: %s", src, why);
    if (json && r >= 0) {
        printf("{\"version\":1");
        rc_json_field(stdout, "instance", src);
        printf(",\"overlays\":[");
    }
    for (size_t i = 0; r >= 0 && i < s->n; i++) {
        struct status_overlay so;
        r = status_collect(rootfd, root, &s->ov[i], base, &so, why, sizeof why);
        if (r < 0)
            log_error_errno(r, "status %s: %s", src, why);
        else if (json)
            fputs(i ? ",\n" : "\n", stdout), status_write_json(stdout, &so);
        else
            status_write_text(stdout, &so);
        status_done(&so);
    }
    if (json && r >= 0)
        printf("\n]}\n");
    free(s);
    if (S_ISDIR(st.st_mode))
        close(rootfd);
    image_close(&img);
    return r < 0 ? 1 : 0;
}
