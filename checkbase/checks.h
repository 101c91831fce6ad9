/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of checks. Every row says what goes wrong when a base image with that problem
 * is shared by many guests, and how to fix it; rows with a safe automatic fix name it.
 * New knowledge about what breaks on a shared base is a new row.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "extsb.h"
#include "finding.h"
#include "partition.h"

enum severity {
    SEVERITY_WARNING, /* likely wrong */
    SEVERITY_ERROR,   /* guests will misbehave */
};

/* What the checks look at. */
struct check_ctx {
    int rootfd;                 /* the root (directory, or the mounted image); -1: not readable */
    const char *init_path;      /* the init= target to check, inside the root */
    const struct ext_sb *extsb; /* the image's ext superblock, or NULL */
    int xfs_log_dirty;          /* xfs image: 1 the log needs replay, 0 clean, -1 not known */
    const char *image;          /* the image path, or NULL for a directory */
    const struct disk *disk;    /* the partitions of a partitioned disk image, or NULL */
    const char *target;         /* the image or directory, for messages */
    struct findings *out;
};

enum check_scope {
    SCOPE_ROOT,  /* reads the files of the root */
    SCOPE_IMAGE, /* reads the image's superblock; nothing to do for a directory */
};

struct check {
    const char *id;
    enum severity severity;
    enum check_scope scope;
    const char *problem; /* what goes wrong on a shared base */
    const char *fix;     /* what the admin does about it */
    /* Add findings to ctx->out. Negative errno when the check could not be done; it has
     * then printed why. */
    int (*run)(struct check_ctx *ctx, const struct check *c);
    /* The safe automatic fix for one finding (NULL: none). Returns 0 and describes what it
     * did in what, or negative errno with what saying what failed. */
    int (*apply)(int rootfd, const struct finding *f, char *what, size_t n);
};

const struct check *checks_table(size_t *n);

/* Run every check (those of SCOPE_ROOT only when rootfd >= 0). The first failure's
 * negative errno is returned after all have run. */
int checks_run(struct check_ctx *ctx);

const char *severity_name(enum severity s);

/* Helpers for check functions. Read a file of the root, at most max bytes: 1 and the
 * NUL-terminated content (free it) and its length (ret_len may be NULL), 0 when it does not
 * exist, negative errno (printed, naming the path and the target) when it could not be read
 * or is larger than max (-EFBIG: nothing of it is read). */
int check_read(struct check_ctx *ctx, const char *path, size_t max, char **ret, size_t *ret_len);
/* lstat in the root: 1 and st, 0 when missing, negative errno (printed) on other errors. */
int check_lstat(struct check_ctx *ctx, const char *path, struct stat *st);
/* stat in the root, following symlinks inside it; as check_lstat. */
int check_stat(struct check_ctx *ctx, const char *path, struct stat *st);
