/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "mkutil.h"

/* Index of path, or where it would be inserted (with *found false). */
static size_t plan_index(const struct plan *p, const char *path, bool *found)
{
    size_t lo = 0, hi = p->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(p->v[mid].path, path);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

const struct plan_entry *plan_find(const struct plan *p, const char *path)
{
    bool found;
    size_t i = plan_index(p, path, &found);

    return found ? &p->v[i] : NULL;
}

const struct plan_entry *plan_find_source(const struct plan *p, const char *source)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].type == PLAN_FILE && p->v[i].source && strcmp(p->v[i].source, source) == 0)
            return &p->v[i];
    return NULL;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_meaning(const struct plan_entry *a, const struct plan_entry *b)
{
    if (a->type != b->type)
        return false;
    if (a->type == PLAN_DIR)
        return true; /* the first mode wins */
    return a->mode == b->mode && same_str(a->source, b->source) && same_str(a->target, b->target) &&
           a->major == b->major && a->minor == b->minor;
}

static void entry_free(struct plan_entry *e)
{
    free(e->path);
    free(e->source);
    free(e->target);
    free(e->kind);
    free(e->reason);
}

static int dup_opt(const char *s, char **ret)
{
    *ret = NULL;
    if (s && !(*ret = strdup(s)))
        return -ENOMEM;
    return 0;
}

/* Insert a copy of e at its sorted place; e's strings are borrowed. */
static int plan_insert(struct plan *p, const struct plan_entry *e)
{
    struct plan_entry n = {.type = e->type, .mode = e->mode, .major = e->major, .minor = e->minor};
    bool found;
    size_t i = plan_index(p, e->path, &found);

    if (found)
        return same_meaning(&p->v[i], e) ? 0 : -EEXIST;
    if (array_grow(&p->v, p->n, 1, &p->cap, sizeof(*p->v)) < 0)
        return -ENOMEM;
    if (dup_opt(e->path, &n.path) < 0 || dup_opt(e->source, &n.source) < 0 ||
        dup_opt(e->target, &n.target) < 0 || dup_opt(e->kind, &n.kind) < 0 ||
        dup_opt(e->reason, &n.reason) < 0) {
        entry_free(&n);
        return -ENOMEM;
    }
    memmove(p->v + i + 1, p->v + i, (p->n - i) * sizeof(*p->v));
    p->v[i] = n;
    p->n++;
    return 0;
}

/* Normalize path and make sure every parent is a directory entry. */
static int prepare_path(struct plan *p, const char *path, char **ret)
{
    _cleanup_free_ char *norm = path_normalize(path);
    int r;

    if (!norm)
        return path[0] == '/' ? -ENOMEM : -EINVAL;
    if (strcmp(norm, "/") == 0)
        return -EINVAL;
    for (char *s = strchr(norm + 1, '/'); s; s = strchr(s + 1, '/')) {
        const struct plan_entry *e;

        *s = '\0';
        e = plan_find(p, norm);
        if (e && e->type != PLAN_DIR)
            r = -ENOTDIR;
        else
            r = plan_insert(p, &(struct plan_entry){.path = norm, .type = PLAN_DIR, .mode = 0755});
        *s = '/';
        if (r < 0)
            return r;
    }
    *ret = norm;
    norm = NULL;
    return 0;
}

static int plan_add(struct plan *p, struct plan_entry *e)
{
    _cleanup_free_ char *norm = NULL;
    int r = prepare_path(p, e->path, &norm);

    if (r < 0)
        return r;
    e->path = norm;
    return plan_insert(p, e);
}

int plan_add_dir(struct plan *p, const char *path, mode_t mode)
{
    return plan_add(p, &(struct plan_entry){.path = (char *)path, .type = PLAN_DIR, .mode = mode});
}

int plan_add_file(struct plan *p, const char *path, const char *source, mode_t mode,
                  const char *kind, const char *reason)
{
    return plan_add(p, &(struct plan_entry){.path = (char *)path,
                                            .type = PLAN_FILE,
                                            .mode = mode,
                                            .source = (char *)source,
                                            .kind = (char *)kind,
                                            .reason = (char *)reason});
}

int plan_add_symlink(struct plan *p, const char *path, const char *target, const char *kind,
                     const char *reason)
{
    return plan_add(p, &(struct plan_entry){.path = (char *)path,
                                            .type = PLAN_SYMLINK,
                                            .mode = 0777,
                                            .target = (char *)target,
                                            .kind = (char *)kind,
                                            .reason = (char *)reason});
}

int plan_add_char(struct plan *p, const char *path, mode_t mode, unsigned major, unsigned minor)
{
    return plan_add(p, &(struct plan_entry){.path = (char *)path,
                                            .type = PLAN_CHAR,
                                            .mode = mode,
                                            .major = major,
                                            .minor = minor,
                                            .kind = "dev"});
}

void plan_done(struct plan *p)
{
    for (size_t i = 0; i < p->n; i++)
        entry_free(&p->v[i]);
    free(p->v);
    *p = (struct plan){0};
}
