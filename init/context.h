/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * All state of one boot, passed down to every stage. No mutable globals besides the logger.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "cmdline.h"

struct devices;

enum stage {
    STAGE_EARLY,
    STAGE_DEVICES,
    STAGE_ROOT,
    STAGE_INSTANCE,
    STAGE_RECONCILE,
    STAGE_OVERLAY,
    STAGE_TMP_SWAP,
    STAGE_SWITCH,
    _STAGE_MAX,
};

struct boot_ctx {
    struct cmdline cmd;
    bool pid1;                /* running as PID 1: really boot. Otherwise a test run. */
    const char *cmdline_path; /* /proc/cmdline, or --cmdline FILE */
    const char *sysroot;      /* /sysroot, or --sysroot DIR */
    enum stage until;         /* test runs: stop after this stage */
    bool has_until;

    bool coldplug;       /* load modules for present devices (always in PID 1 mode) */
    const char *moddir;  /* --moddir, NULL: the running kernel's */

    /* devices */
    struct devices *devices;

    /* root */
    char root_device[PATH_MAX]; /* resolved block device, e.g. /dev/vda */
    char root_fstype[64];
    char init_path[PATH_MAX]; /* the real init, relative to sysroot */

    /* timing, monotonic ms */
    uint64_t t_start;
    uint64_t stage_ms[_STAGE_MAX];

    /* failure */
    enum stage failed_stage;
    int failed_error;
};

uint64_t now_ms(void);

/* Release what the boot holds (test runs; a real boot execs instead). */
void boot_ctx_free(struct boot_ctx *ctx);
