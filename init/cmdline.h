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
#define CMDLINE_DEFAULT_HOOK_TIMEOUT 60
#define CMDLINE_DEFAULT_NBD_CONNECTIONS 1
#define CMDLINE_DEFAULT_NBD_TIMEOUT 600
#define CMDLINE_DEFAULT_NBD_REQUEST_TIMEOUT 10

enum dev_mode {
    DEV_AUTO, /* devtmpfs when the kernel has it, else tmpfs */
    DEV_DEVTMPFS,
    DEV_TMPFS,
};

#define CMDLINE_DEFAULT_OVERLAYS "/etc,/var"

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

    /* the per-instance layer */
    char *instance;    /* sharedroot.instance= SPEC */
    char *layout;      /* sharedroot.layout= PATH */
    char *overlays;    /* sharedroot.overlay= comma list; NULL: CMDLINE_DEFAULT_OVERLAYS */
    enum dev_mode dev; /* sharedroot.dev= */
    char *tmp;         /* sharedroot.tmp= instance|tmpfs|SPEC|keep; NULL: by mode */
    char *swap;        /* sharedroot.swap= SPEC|file:SIZE|none; NULL: none */
    bool mkswap;       /* sharedroot.mkswap */
    char *real_init;   /* sharedroot.init= (in-root mode: the init to run after us) */
    char *reconcile;   /* sharedroot.reconcile= off|report|safe|merge; NULL: safe */
    char *shutdown;    /* sharedroot.shutdown= auto|on|off; NULL: auto (init/shutdown.c) */
    char *dax;         /* sharedroot.dax= auto|always|off; NULL: auto (mounts/dax.h) */
    /* sharedroot.reconcile.ignore= patterns; NULL: the default list */
    char *reconcile_ignore;

    /* hooks and break points (hooks/, init/stage.c) */
    char *breaks;     /* sharedroot.break[=STAGE,...], all of them joined by ','; a bare
                       * sharedroot.break adds "switch" (a shell before the switch) */
    char *hostname;   /* sharedroot.hostname= (init/hostname.c names a fresh instance) */
    int hook_timeout; /* sharedroot.hook_timeout= seconds per hook */

    /* the network root (net/, nbd/; sharedroot-init(8) "Network root") */
    char **ip; /* every ip= value, in order (dracut and kernel forms) */
    size_t n_ip;
    char **nameservers; /* every nameserver= value */
    size_t n_nameservers;
    char *netroot;           /* netroot=nbd:... (dracut): attached before root= is looked for */
    int nbd_connections;     /* sharedroot.nbd.connections= (0 counts as 1; at most 16) */
    int nbd_timeout;         /* sharedroot.nbd.timeout= seconds reads wait for a lost server
                              * (0: they fail at once) */
    int nbd_request_timeout; /* sharedroot.nbd.request_timeout= seconds a request may go
                              * unanswered before it is sent again on a new connection (1 to
                              * 3600) */

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

/* Split a command line as the kernel's next_arg() does (see cmdline.c). Returns the
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
