/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * All state of one boot, passed down to every stage. No mutable globals besides the logger.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "cmdline.h"
#include "layout.h"

struct devices;
struct instcheck;
struct netroot;

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

    bool coldplug;      /* load modules for present devices (always in PID 1 mode) */
    const char *moddir; /* --moddir, NULL: the running kernel's */

    /* devices */
    struct devices *devices;
    struct netroot *net; /* the network root (netroot.c); NULL when unused */

    /* root */
    char root_device[PATH_MAX]; /* resolved block device, e.g. /dev/vda */
    char root_fstype[64];
    bool root_dax;            /* mounted with dax (mounts/dax.h) */
    char init_path[PATH_MAX]; /* the real init, relative to sysroot */

    /* the per-instance layer */
    enum boot_mode {
        MODE_OFF,      /* sharedroot=off: plain root, maintenance */
        MODE_VOLATILE, /* tmpfs uppers, nothing persists */
        MODE_INSTANCE, /* sharedroot.instance=: one filesystem */
        MODE_LAYOUT,   /* a layout file: partitions */
    } mode;
    bool in_root; /* init= on the shared root itself: no initramfs, no switch */
    /* the check of the instance disk the root stage started (stage-instance.h), until the
     * instance stage takes it; NULL when none runs */
    struct instcheck *early_check;
    struct layout layout;
    char layout_path[PATH_MAX];   /* where the layout came from, "" if none */
    bool dev_is_tmpfs;            /* /dev is our tmpfs: create nodes for new devices */
    char tmp_desc[PATH_MAX + 32]; /* what /tmp is, for the state file */
    char swap_desc[PATH_MAX];

    /* reconcile: what the policy changed in each overlay ("" nothing), for the state file */
    struct reconciled {
        char *dir, *applied;
    } * reconciled;
    size_t n_reconciled;

    /* timing, monotonic ms */
    uint64_t t_start;
    uint64_t stage_ms[_STAGE_MAX];
    uint64_t stage_t0; /* when the running stage started (the handoff line's switch time) */

    /* switch: the shutdown program is kept for /run/initramfs (init/shutdown.c) */
    bool shutdown_kept;
    bool init_is_systemd; /* the real init resolves to systemd in the new root */

    /* test runs of the shutdown program: --shutdown VERB [--oldroot DIR] */
    const char *shutdown_verb, *shutdown_oldroot;

    /* hooks (hooks/): the hook that failed the stage, "" when the stage itself failed */
    char failed_hook[256];
};

/* Release what the boot holds (test runs; a real boot execs instead). */
void boot_ctx_free(struct boot_ctx *ctx);
