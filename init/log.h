/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging of the init: every line goes to /dev/kmsg with a "sharedroot:" prefix and a
 * syslog priority; errors and warnings also go to the console, where a person at a serial
 * console reads them. When not running as PID 1 (tests) lines go to stderr instead.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <syslog.h>

/* Open the sinks. kmsg_path and console_path may be NULL (that sink is off). */
void log_open(const char *kmsg_path, const char *console_path);
/* Send lines to an already open fd instead of kmsg (tests; -1 turns it off). */
void log_set_kmsg_fd(int fd);
void log_set_console_fd(int fd);
void log_set_debug(bool on);
/* The kernel's rate limit of /dev/kmsg writers (printk_devkmsg): off while the init or the
 * shutdown program logs, back to the kernel default before the real init runs. A limit locked
 * by printk.devkmsg= on the command line is left as the user chose. */
void log_kmsg_ratelimit(bool on);
bool log_get_debug(void);
void log_close(void);

/* Keep the last lines in memory for the emergency shell. */
#define LOG_RING_LINES 20
void log_ring_dump(int fd);

/* Log a line at priority prio; returns -abs(err) so it can be returned directly.
 * "%m" in fmt is expanded from err. */
int log_full_errno(int prio, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* OR-ed into prio: also show the line on the console whatever its priority. */
#define LOG_CONSOLE 0x100

#define log_console(...) log_full_errno(LOG_NOTICE | LOG_CONSOLE, 0, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_error_errno(r, ...) log_full_errno(LOG_ERR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_full_errno(LOG_WARNING, (r), __VA_ARGS__)
