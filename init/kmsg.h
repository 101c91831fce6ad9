/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The init's log sink (its policy; the primitives are basic/log.h): every line goes to
 * /dev/kmsg with a "sharedroot:" prefix and a syslog priority ("ERROR: " or "WARNING: " after the
 * prefix for those); errors and warnings also reach the console, where a person at a serial
 * console reads them: printed by the kernel when the console log level lets it through, else
 * written to /dev/console, once either way. The last lines are kept for the emergency shell.
 * Without a kmsg fd (tests, before log_open) lines go to the console. Each of the functions below
 * makes this the sink of basic/log.h.
 */
#pragma once

#include "log.h"

/* Open the sinks. kmsg_path and console_path may be NULL (that sink is off). */
void log_open(const char *kmsg_path, const char *console_path);
/* Send lines to an already open fd instead of kmsg (tests; -1 turns it off). */
void log_set_kmsg_fd(int fd);
void log_set_console_fd(int fd);
/* What log_open() and log_kmsg_ratelimit() find out (tests): the kernel prints kmsg records
 * below level echo_below on its consoles (0: none), and kmsg takes every line. A line the
 * kernel prints is not written to the console a second time. */
void log_set_kernel_echo(int echo_below, bool kmsg_unlimited);
void log_close(void);
/* The kernel's rate limit of /dev/kmsg writers (printk_devkmsg): off while the init or the
 * shutdown program logs, back to the kernel default before the real init runs. A limit locked
 * by printk.devkmsg= on the command line is left as the user chose. */
void log_kmsg_ratelimit(bool on);

/* Keep the last lines in memory for the emergency shell. */
#define LOG_RING_LINES 20
/* The longest message a line carries (kmsg, console, the ring); longer ones are cut. */
#define LOG_LINE_MAX 1023
void log_ring_dump(int fd);
