/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Errors and notes of sharedroot-instance: to stderr, prefixed with the program name.
 * (The same calls as basic/log.h, so the room moves to basic/ when that lands.)
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define PROGRAM_NAME "sharedroot-instance"

/* "sharedroot-instance: MESSAGE" on stderr; "%m" expands from err. Returns -abs(err), or
 * -EINVAL when err is 0, so callers can return it directly. */
int log_error_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_error_errno(0, __VA_ARGS__)
/* "sharedroot-instance: warning: MESSAGE" on stderr. */
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress notes on stderr, only with --verbose. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_verbose(bool on);

/* Put a message into why (n bytes) and return -abs(err) (-EINVAL for 0): for functions that
 * hand back why something failed. errno is read before formatting, "%m" is not expanded. */
int why_fail(char *why, size_t n, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
