/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building small lower/upper/base trees for the reconcile tests (static helpers, one copy
 * per test program). */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "reconcile.h"

struct fx {
    char root[64];
    char lower[96], upper[96], base[96], store[96];
};

static inline void fx_path(char *out, size_t n, const char *dir, const char *rel)
{
    snprintf(out, n, "%s/%s", dir, rel);
}

/* Make all parent dirs of dir/rel. */
static inline void fx_parents(const char *dir, const char *rel)
{
    char p[4096];
    fx_path(p, sizeof p, dir, rel);
    for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
        *s = 0;
        mkdir(p, 0755);
        *s = '/';
    }
}

static inline void fx_write(const char *dir, const char *rel, const char *content)
{
    char p[4096];
    fx_parents(dir, rel);
    fx_path(p, sizeof p, dir, rel);
    unlink(p);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(content, f);
        fclose(f);
    }
}

static inline void fx_write_bytes(const char *dir, const char *rel, const void *b, size_t n)
{
    char p[4096];
    fx_parents(dir, rel);
    fx_path(p, sizeof p, dir, rel);
    unlink(p);
    FILE *f = fopen(p, "w");
    if (f) {
        fwrite(b, 1, n, f);
        fclose(f);
    }
}

static inline int fx_mkdir(const char *dir, const char *rel)
{
    char p[4096];
    fx_parents(dir, rel);
    fx_path(p, sizeof p, dir, rel);
    return mkdir(p, 0755);
}

static inline int fx_symlink(const char *dir, const char *rel, const char *target)
{
    char p[4096];
    fx_parents(dir, rel);
    fx_path(p, sizeof p, dir, rel);
    return symlink(target, p);
}

static inline int fx_chardev_whiteout(const char *dir, const char *rel)
{
    char p[4096];
    fx_parents(dir, rel);
    fx_path(p, sizeof p, dir, rel);
    return mknod(p, S_IFCHR | 0000, makedev(0, 0));
}

static inline int fx_setxattr(const char *dir, const char *rel, const char *name, const char *v)
{
    char p[4096];
    fx_path(p, sizeof p, dir, rel);
    return lsetxattr(p, name, v, strlen(v), 0);
}

static inline void fx_chmod(const char *dir, const char *rel, mode_t m)
{
    char p[4096];
    fx_path(p, sizeof p, dir, rel);
    chmod(p, m);
}

static inline char *fx_read(const char *dir, const char *rel)
{
    char p[4096];
    fx_path(p, sizeof p, dir, rel);
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65536);
    if (buf)
        fread(buf, 1, 65535, f);
    fclose(f);
    return buf;
}

static inline bool fx_exists(const char *dir, const char *rel)
{
    char p[4096];
    struct stat st;
    fx_path(p, sizeof p, dir, rel);
    return lstat(p, &st) == 0;
}

static int fx_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(p) < 0 ? 0 : 0;
}

static inline void fx_rm_rf(const char *p)
{
    nftw(p, fx_rm_one, 64, FTW_DEPTH | FTW_PHYS);
}

/* A fresh root with lower/, upper/ and base/ (store/ not created: recording creates it). */
static inline void fx_init(struct fx *f)
{
    snprintf(f->root, sizeof f->root, "/tmp/test-reconcile.XXXXXX");
    if (!mkdtemp(f->root))
        abort();
    snprintf(f->lower, sizeof f->lower, "%s/lower", f->root);
    snprintf(f->upper, sizeof f->upper, "%s/upper", f->root);
    snprintf(f->base, sizeof f->base, "%s/base", f->root);
    snprintf(f->store, sizeof f->store, "%s/store", f->root);
    mkdir(f->lower, 0755);
    mkdir(f->upper, 0755);
    mkdir(f->base, 0755);
}

static inline void fx_done(struct fx *f)
{
    fx_rm_rf(f->root);
}

/* Let the coarse clock (ctime stamps) move past a recording. */
static inline void fx_tick(void)
{
    struct timespec t = {0, 30 * 1000 * 1000};
    nanosleep(&t, NULL);
}

/* Record lower into store, as the boot does. */
static inline int fx_record(const char *lower, const char *store, struct rc_record_result *res)
{
    struct rc_overlay ov = {.lower = lower, .store = store};
    return rc_record(&ov, res);
}

/* rc_reconcile of an /etc overlay; the report (never NULL but on allocation failure). */
static inline struct rc_report *fx_reconcile(const char *lower, const char *upper,
                                             const char *store, enum rc_policy policy)
{
    struct rc_overlay ov = {.name = "/etc", .lower = lower, .upper = upper, .store = store};
    struct rc_report *r = NULL;
    rc_reconcile(&ov, policy, NULL, &r);
    return r;
}

/* Classify f's upper against lower and base/ as the merge base dir. */
static inline struct rc_report *fx_classify_mb(struct fx *f, bool userxattr)
{
    struct rc_overlay ov = {
        .name = "/etc", .lower = f->lower, .upper = f->upper, .merge_base_dir = f->base};
    struct rc_options o = {.userxattr = userxattr};
    struct rc_report *rep = NULL;
    rc_classify(&ov, &o, &rep);
    return rep;
}

static inline const struct rc_entry *fx_entry(const struct rc_report *rep, const char *path)
{
    for (size_t i = 0; rep && i < rep->n_entries; i++)
        if (strcmp(rep->entries[i].path, path) == 0)
            return &rep->entries[i];
    return NULL;
}

/* The outcome name of path in rep, or "(none)". */
static inline const char *fx_outcome(const struct rc_report *rep, const char *path)
{
    const struct rc_entry *e = fx_entry(rep, path);
    return e ? rc_outcome_name(e->outcome) : "(none)";
}
