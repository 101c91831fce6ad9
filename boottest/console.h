/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a guest's serial console: bytes in, clean lines out, and what a line says (the
 * kernel's timestamp, the handoff line of sharedroot-init, the start of the first userspace
 * program). The console is the guest's: anything may arrive (NULs, escape sequences, no
 * newline for megabytes, invalid UTF-8), so every function here is bounded and total.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longer lines are cut: the first CONSOLE_LINE_MAX bytes are one line, the rest the next. */
#define CONSOLE_LINE_MAX 1024

struct console_scan {
    char line[CONSOLE_LINE_MAX + 1];
    size_t len;
    enum { ESC_NONE, ESC_START, ESC_CSI, ESC_STRING, ESC_STRING_END } esc;
    uint64_t lines;   /* lines delivered */
    uint64_t cut;     /* lines cut because they were too long */
    uint64_t dropped; /* bytes dropped (NULs, controls, escape sequences) */
};

typedef void (*console_line_fn)(const char *line, size_t len, void *user);

/* Feed n bytes. Each complete line is passed to fn without its end of line, NUL-terminated,
 * with carriage returns, NULs, other control bytes and terminal escape sequences (CSI, OSC,
 * DCS and two-byte ESC sequences) removed and tabs turned into spaces. Bytes >= 0x80 are
 * kept as they are (the writers of reports replace invalid UTF-8). */
void console_feed(struct console_scan *s, const char *buf, size_t n, console_line_fn fn,
                  void *user);
/* A partial last line (no newline before EOF) is delivered too. */
void console_flush(struct console_scan *s, console_line_fn fn, void *user);
/* The line read so far and not ended yet, cleaned as console_feed() cleans lines (a prompt
 * such as "login: " waits for input and never ends its line); NULL when there is none.
 * Valid until the next console_feed() or console_flush(). */
const char *console_pending(struct console_scan *s);

/* The kernel's timestamp "[    1.234567] ..." at the start of line, in ms. */
bool console_printk_ms(const char *line, double *ms);

/* "Run /init as init process" (or any program): the kernel starts the first userspace
 * program. With its timestamp in ms when the line has one. */
bool console_run_init(const char *line, double *ms, bool *has_ms);

#define HANDOFF_MAX_KEYS 24
#define HANDOFF_KEY_MAX 24

struct handoff {
    unsigned version;
    size_t n;
    struct {
        char key[HANDOFF_KEY_MAX];
        double ms;
    } val[HANDOFF_MAX_KEYS];
    char mode[16];
};

/* A line holding sharedroot-init's handoff line (sharedroot-init(8), THE HANDOFF LINE),
 * anywhere in it (kernel output may come first). Every KEY=NUMBER word after the prefix is a
 * time in ms (at most HANDOFF_MAX_KEYS; keys of letters, digits, '_' and '-'); mode= is kept
 * as text; other words are skipped. 1 when the line is a handoff line with v=1, 0 when it is
 * not a handoff line, -EPROTO when it is one without v=, -ENOTSUP for another version. */
int console_handoff(const char *line, struct handoff *h);

/* The built-in failure patterns: what ends a boot as failed. NULL when none matches, else a
 * short reason ("kernel panic"). */
const char *console_builtin_failure(const char *line);
