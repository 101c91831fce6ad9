/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers of sharedroot-mkinitramfs: string vectors, path joins, whole-file reads,
 * recursive removal of the staging directory, error messages to stderr (cleanup attributes:
 * basic/cleanup.h, included here).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"

#define PROGRAM_NAME "sharedroot-mkinitramfs"

/* Print "sharedroot-mkinitramfs: MESSAGE" to stderr; "%m" expands from err.
 * Returns -abs(err), or -EINVAL when err is 0, so callers can return it directly. */
int mk_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same prefix, for notes that are not failures; returns 0. */
int mk_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A NULL-terminated vector of malloc'ed strings. */
struct strv {
    char **v;
    size_t n, cap;
};
int strv_push(struct strv *s, const char *str);

bool strv_contains(const struct strv *s, const char *str);
void strv_done(struct strv *s);

/* "a" + "/" + "b", without doubling the slash; NULL on allocation failure. */
char *path_join(const char *a, const char *b);
/* Lexically normalize an absolute path: collapse "//", drop ".", resolve ".." (never above /).
 * Returns a new string or NULL (allocation failure or relative input). */
char *path_normalize(const char *path);
/* Directory part of a path ("/a/b" -> "/a", "/a" -> "/"), newly allocated. */
char *path_dirname(const char *path);

/* Read a whole regular file of at most max bytes. */
int read_file(const char *path, size_t max, void **ret_buf, size_t *ret_size);
/* Copy a regular file to a new file dst (created 0644, must not exist). */
int copy_file(const char *src, const char *dst);
/* rm -rf without following symlinks or crossing into another filesystem; a missing path is
 * fine. Async-signal-safe. */
#define RM_RF_MAX_DEPTH 64
int rm_rf(const char *path);
int rm_rf_at(int dirfd, const char *path);
/* Run argv (argv[0] a path) and wait; stdout to out_fd and stderr to err_fd when >= 0 (else
 * inherited). Returns the exit status (>= 0), or negative errno if it could not run. */
int run_program(char *const argv[], int out_fd, int err_fd);
/* Find an executable in $PATH, then /usr/sbin:/sbin; newly allocated or NULL. */
char *find_program(const char *name);
