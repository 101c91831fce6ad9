/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan of the image: every entry the archive will hold, by its absolute path inside the
 * image, kept sorted so the archive is written in a stable order. Adding a file adds its
 * parent directories (real directories, never symlinks, so a merged-/usr host does not produce
 * a /lib symlink next to a /lib/x86_64-linux-gnu directory). Adding the same path twice is
 * fine when it means the same thing; a different meaning is -EEXIST.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum plan_type {
    PLAN_DIR,
    PLAN_FILE,
    PLAN_SYMLINK,
    PLAN_CHAR,
};

struct plan_entry {
    char *path; /* absolute, normalized */
    enum plan_type type;
    mode_t mode;           /* permission bits */
    char *source;          /* PLAN_FILE: host file to copy, NULL for an empty file */
    char *target;          /* PLAN_SYMLINK */
    unsigned major, minor; /* PLAN_CHAR */
    char *kind;            /* for --list: "init", "lib", "interp", "shell", "module", ... */
    char *reason;          /* for --list: why it is there */
};

struct plan {
    struct plan_entry *v;
    size_t n, cap;
};

int plan_add_dir(struct plan *p, const char *path, mode_t mode);
int plan_add_file(struct plan *p, const char *path, const char *source, mode_t mode,
                  const char *kind, const char *reason);
int plan_add_symlink(struct plan *p, const char *path, const char *target, const char *kind,
                     const char *reason);
int plan_add_char(struct plan *p, const char *path, mode_t mode, unsigned major, unsigned minor);
const struct plan_entry *plan_find(const struct plan *p, const char *path);
/* The first file entry copied from the host file source (a path as given to plan_add_file). */
const struct plan_entry *plan_find_source(const struct plan *p, const char *source);
void plan_done(struct plan *p);
