/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging primitives. A program logs with log_error_errno() and friends; where the line goes
 * is that program's policy, its sink: sharedroot-init sends lines to /dev/kmsg and the console
 * (init/kmsg.c); without a sink they go to stderr, as "PROGRAM: MESSAGE" in a command that
 * called log_set_program(), else as "sharedroot: [ERROR: |WARNING: ]MESSAGE".
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

/* OR-ed into prio: also show the line on the console whatever its priority. */
#define LOG_CONSOLE 0x100

/* A sink gets one line (no newline, control characters replaced by spaces) and its priority,
 * with LOG_CONSOLE or-ed in when the caller asked for the console. */
typedef void (*log_sink_fn)(int prio, const char *msg);
/* NULL: back to the default sink (stderr). */
void log_set_sink(log_sink_fn sink);
/* A command's name: the default sink prefixes every line with it (the string must stay). */
void log_set_program(const char *name);

void log_set_debug(bool on);
bool log_get_debug(void);

/* Log a line at priority prio; returns -abs(err) so it can be returned directly.
 * "%m" in fmt is expanded from err. LOG_DEBUG lines are dropped unless debug is on. */
int log_full_errno(int prio, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int log_full_errnov(int prio, int err, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define log_console(...) log_full_errno(LOG_NOTICE | LOG_CONSOLE, 0, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_error_errno(r, ...) log_full_errno(LOG_ERR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_full_errno(LOG_WARNING, (r), __VA_ARGS__)
