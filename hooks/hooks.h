/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Boot-stage hooks: the executables in BASE/<stage>.d/ (BASE is /lib/sharedroot/hooks in the
 * initramfs) run after that stage, in lexical (byte) order, with a fixed environment, their
 * output prefixed and sent to kmsg and the console, bounded by a timeout. A hook that fails
 * fails the stage unless its name ends in "-optional". See docs/sharedroot-hooks.7.
 *
 * Trust: a hook runs as PID 1's child with full privileges, so only files that nobody but
 * root could have put there are run: the base dir, the stage dir and the file must be owned
 * by root and not writable by group or others; the file must be a regular file (a symlink
 * is accepted only when it resolves to such a file inside BASE).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hook-names.h"

#define HOOKS_DIR "/lib/sharedroot/hooks"
#define HOOKS_DEFAULT_TIMEOUT 60 /* seconds, sharedroot.hook_timeout= */
#define HOOKS_KILL_GRACE_MS 5000 /* between SIGTERM and SIGKILL */
#define HOOKS_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

/* Where and how hooks are run. */
struct hooks_config {
    const char *base;       /* HOOKS_DIR, or a test directory */
    uid_t owner;            /* who must own hooks and their directories: 0 (tests: getuid()) */
    unsigned timeout_s;     /* per hook; 0 means HOOKS_DEFAULT_TIMEOUT */
    unsigned kill_grace_ms; /* 0 means HOOKS_KILL_GRACE_MS */
    int console_fd;         /* hook output is copied here too (-1: only the logger) */
};

/* What a hook sees, besides PATH. NULL values are passed as empty strings. */
struct hooks_env {
    const char *stage;       /* SHAREDROOT_STAGE */
    const char *sysroot;     /* SHAREDROOT_SYSROOT */
    const char *instance;    /* SHAREDROOT_INSTANCE: the sharedroot.instance= spec */
    const char *root_device; /* SHAREDROOT_ROOT_DEVICE */
    const char *root_fstype; /* SHAREDROOT_ROOT_FSTYPE */
    const char *mode;        /* SHAREDROOT_MODE: instance | volatile | off */
    const char *hostname;    /* SHAREDROOT_HOSTNAME: sharedroot.hostname= */
    bool debug;              /* SHAREDROOT_DEBUG=1 */
};

struct hook {
    char *name; /* file name in the stage dir */
    char *path; /* BASE/<stage>.d/NAME */
    bool optional;
};

struct hook_list {
    struct hook *v;
    size_t n, cap;
};

/* Check that the directory at dirpath (by lstat) may hold hooks: a real directory owned by
 * owner, not writable by group or others. On refusal returns -EPERM (or the lstat error) and
 * writes the reason and the fix into why. */
int hooks_check_dir(const char *dirpath, uid_t owner, char *why, size_t whylen);

/* Check one entry of a stage dir. Returns 1 to run it, 0 to skip it (not executable: the
 * documented way to disable a hook; why says so), -EPERM to refuse it (why names the file
 * and the fix), or another negative errno. */
int hooks_check_file(const struct hooks_config *cfg, const char *path, char *why, size_t whylen);

/* The candidates in BASE/<stage>.d, sorted by name (strcmp). A missing stage dir (or base
 * dir) is an empty list. Unsafe directories are -EPERM, logged. Checks of the files
 * themselves happen in hooks_run_stage. */
int hooks_discover(const struct hooks_config *cfg, const char *stage, struct hook_list *out);
void hook_list_free(struct hook_list *l);

/* Run one hook and wait for it (bounded by the timeout). Returns 0 on exit status 0, -EIO
 * for a non-zero exit status or a signal, -ETIMEDOUT when it was killed for taking too long,
 * or a negative errno when it could not be started. Logs the outcome. */
int hooks_run_one(const struct hooks_config *cfg, const struct hooks_env *env,
                  const struct hook *h);

/* Discover, check and run the hooks of env->stage. Returns 0 when every required hook ran
 * successfully (optional ones may have failed: logged), else the first error; the hooks
 * after a failed required one do not run. failed (may be NULL) gets the failed hook's name. */
int hooks_run_stage(const struct hooks_config *cfg, const struct hooks_env *env, char *failed,
                    size_t failedlen);
