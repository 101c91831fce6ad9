/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers of the reconcile engine: a growable byte buffer, hex, and the escaping of raw
 * path bytes for text output (cleanup attributes: basic/cleanup.h, included here).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"

/* A growable byte buffer, always NUL-terminated when data != NULL. */
struct rc_buf {
    char *data;
    size_t len, cap;
};
int rc_buf_grow(struct rc_buf *b, size_t more);

int rc_buf_add(struct rc_buf *b, const void *p, size_t n);
int rc_buf_adds(struct rc_buf *b, const char *s);
int rc_buf_printf(struct rc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rc_buf_done(struct rc_buf *b);

void rc_hex(const unsigned char *in, size_t n, char *out);
/* -EINVAL unless hex is exactly 2*n hex digits. */
int rc_unhex(const char *hex, unsigned char *out, size_t n);

/* Path bytes for a terminal: printable ASCII as is (backslash doubled), others \xHH. */
int rc_escape_c(struct rc_buf *b, const char *s);
/* Inverse of rc_escape_c; -EINVAL on malformed input. */
int rc_unescape_c(const char *s, struct rc_buf *b);

/* "a" + "/" + "b" ("" + "/" + "b" = "b"); NULL on allocation failure. */
char *rc_path_join(const char *a, const char *b);
/* Whether a relative path is acceptable: not empty, no leading '/', no "." or ".."
 * components, no empty components. */
bool rc_path_is_safe(const char *p);
