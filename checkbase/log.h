/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Errors of sharedroot-check-base: to stderr, prefixed with the program name. */
#pragma once

#define PROGRAM_NAME "sharedroot-check-base"

/* Print "sharedroot-check-base: MESSAGE"; "%m" expands from err. Returns -abs(err), or
 * -EINVAL when err is 0, so callers can return it directly. */
int log_error_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
