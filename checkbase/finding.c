// SPDX-License-Identifier: GPL-2.0-or-later
#include "finding.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "checks.h"

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

int findings_add(struct findings *f, const struct check *c, const char *path,
                 const char *detail_fmt, ...)
{
    if (array_grow(&f->v, f->n, 1, &f->cap, sizeof(*f->v)) < 0)
        return -ENOMEM;
    struct finding x = {.check = c, .path = strdup(path)};
    if (detail_fmt) {
        va_list ap;
        va_start(ap, detail_fmt);
        x.detail = vformat(detail_fmt, ap);
        va_end(ap);
    }
    if (!x.path || (detail_fmt && !x.detail)) {
        free(x.path);
        free(x.detail);
        return -ENOMEM;
    }
    f->v[f->n++] = x;
    return 0;
}

size_t findings_count_errors(const struct findings *f)
{
    size_t k = 0;
    for (size_t i = 0; i < f->n; i++)
        k += f->v[i].check->severity == SEVERITY_ERROR;
    return k;
}

void findings_done(struct findings *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].path);
        free(f->v[i].detail);
    }
    free(f->v);
    *f = (struct findings){0};
}

int actions_add(struct actions *a, const struct check *c, const char *path, int error,
                const char *what)
{
    if (array_grow(&a->v, a->n, 1, &a->cap, sizeof(*a->v)) < 0)
        return -ENOMEM;
    struct action x = {.check = c, .path = strdup(path), .what = strdup(what), .error = error};
    if (!x.path || !x.what) {
        free(x.path);
        free(x.what);
        return -ENOMEM;
    }
    a->v[a->n++] = x;
    return 0;
}

void actions_done(struct actions *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].path);
        free(a->v[i].what);
    }
    free(a->v);
    *a = (struct actions){0};
}

int notes_add(struct notes *n, const char *fmt, ...)
{
    if (array_grow(&n->v, n->n, 1, &n->cap, sizeof(*n->v)) < 0)
        return -ENOMEM;
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    if (!s)
        return -ENOMEM;
    n->v[n->n++] = s;
    return 0;
}

void notes_done(struct notes *n)
{
    for (size_t i = 0; i < n->n; i++)
        free(n->v[i]);
    free(n->v);
    *n = (struct notes){0};
}
