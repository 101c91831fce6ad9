/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a run of the checks found, what --fix did, and notes about what could not be checked.
 */
#pragma once

#include <stddef.h>

struct check;

struct finding {
    const struct check *check;
    char *path;   /* inside the checked root, or the image for filesystem checks */
    char *detail; /* this instance: the fstab line, the unit, the feature names; may be NULL */
};

struct findings {
    struct finding *v;
    size_t n, cap;
};

/* Append a finding; detail is printf-formatted (NULL for none). -ENOMEM on failure. */
int findings_add(struct findings *f, const struct check *c, const char *path,
                 const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));
size_t findings_count_errors(const struct findings *f);
void findings_done(struct findings *f);

/* One thing --fix did (or failed to do), in words. */
struct action {
    const struct check *check;
    char *path;
    char *what; /* "emptied; the old id is in /var/backups/..." */
    int error;  /* 0, or the negative errno of the failed fix */
};

struct actions {
    struct action *v;
    size_t n, cap;
};

int actions_add(struct actions *a, const struct check *c, const char *path, int error,
                const char *what);
void actions_done(struct actions *a);

/* Free-form notes: what was not checked and why. */
struct notes {
    char **v;
    size_t n, cap;
};

int notes_add(struct notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void notes_done(struct notes *n);
