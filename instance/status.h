/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What an instance overrides of the base, per overlay and path: its own files, copies of base
 * files, deletions (whiteouts) and opaque dirs, with sizes and, given the base, each path's
 * reconcile outcome from the engine.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "reconcile.h"
#include "spec.h"

struct status_entry {
    char *path;          /* relative to the overlaid dir, raw bytes */
    const char *what;    /* "own", "copy", "deleted", "opaque", "override" (base unknown) */
    enum rc_kind kind;   /* of the upper's version */
    uint64_t size;       /* a file's size, else 0 */
    const char *outcome; /* the engine's outcome name, or NULL without a base */
    bool ignored;        /* on the engine's ignore list */
};

struct status_overlay {
    const struct inst_overlay *o;
    char base_from[PATH_MAX + 64]; /* the lower dir, "as recorded ...", or "none" */
    struct status_entry *e;
    size_t n, cap;
    uint64_t bytes;
};

/* What u is: in_base 1 (the base has the path), 0 (it has not), -1 (not known). */
const char *status_what(const struct rc_version *u, int in_base);

/* The entries of overlay o of the instance at rootfd (mounted at root). With base (the base's
 * root dir) the engine classifies; without, the base recorded in o's store tells copies from
 * own files. why says what failed. */
int status_collect(int rootfd, const char *root, const struct inst_overlay *o, const char *base,
                   struct status_overlay *so, char *why, size_t n);
void status_done(struct status_overlay *so);
void status_write_text(FILE *f, const struct status_overlay *so);
void status_write_json(FILE *f, const struct status_overlay *so);
