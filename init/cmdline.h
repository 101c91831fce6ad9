/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel command line as sharedroot-init understands it. Parsing is pure (text in,
 * struct out) so every rule is unit-tested; see docs/sharedroot-init.8 for the options.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define CMDLINE_MAX 65536
#define CMDLINE_DEFAULT_TIMEOUT 30

enum panic_policy {
    PANIC_UNSET, /* kernel default: wait forever on the console */
    PANIC_SET,
};

struct cmdline {
    char *root;       /* root= spec, NULL if absent */
    char *rootfstype; /* rootfstype= */
    char *rootflags;  /* rootflags= */
    bool rootwait;
    int rootdelay;  /* seconds */
    char *init;     /* init=, NULL: search the default list */
    bool rw;        /* last of ro/rw given was rw */
    bool panic_set; /* panic= given */
    int panic;      /* panic= seconds (<0 reboot now, 0 never) */
    bool off;       /* sharedroot=off */
    int timeout;    /* sharedroot.timeout= seconds */
    bool debug;     /* sharedroot.debug */

    /* What the real init gets: plain words and everything after "--" as arguments,
     * unknown key=value words as environment, as the kernel does. */
    char **init_args;
    size_t n_init_args;
    char **init_env;
    size_t n_init_env;

    /* sharedroot.* keys (and malformed values) that were not understood, for reporting. */
    char **problems;
    size_t n_problems;
};

/* Split a command line as the kernel does (whitespace, double quotes group). Returns the
 * number of words, or -EINVAL / -E2BIG / -ENOMEM. *words is a NULL-terminated array. */
int cmdline_split(const char *text, char ***words);
void strv_free(char **v);

/* Parse text into c. Returns 0, or a negative errno for input that cannot be used at all
 * (too long, out of memory). Individual bad values are collected in c->problems and the
 * defaults are kept. */
int cmdline_parse(const char *text, struct cmdline *c);
void cmdline_free(struct cmdline *c);

/* Read a command line file (e.g. /proc/cmdline) into a NUL-terminated buffer. */
int cmdline_read_file(const char *path, char **text);
