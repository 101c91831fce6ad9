/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running the boots: the accelerator probe, the initramfs builds, then every boot of
 * run->boots, at most opt.jobs at once, each bounded by its timeout; SIGINT, SIGTERM, SIGHUP
 * and SIGQUIT end every QEMU this process started (by its process group) before it returns.
 */
#pragma once

#include "boottest.h"

/* The boots of every configuration: warm-up rounds first, then rounds 1..reps, each round
 * in configuration order (interleaved: A B A B, not A A B B). */
int run_plan(struct run *run);

/* Everything before the first boot: output directories, input files, the QEMU binary, the
 * accelerator, initramfs images. Errors are printed; -errno. */
int run_prepare(struct run *run);

/* Release what run_prepare() set up (after run_boots()). */
void run_close(struct run *run);

/* Run the planned boots. 0, or -EINTR when a signal ended the run (run->interrupted). */
int run_boots(struct run *run);

/* One console line of a running boot against its configuration: what it tells. Exposed for
 * tests: the same logic the runner applies to a live console. */
struct line_state {
    const struct bt_config *cfg;
    struct boot *boot;
    bool probe; /* the KVM probe: any line is success */
    bool handoff_seen, time_seen, expect_seen[RUNFILE_MAX_LIST];
    bool success;
    bool failure;
};
void line_state_init(struct line_state *ls, const struct bt_config *cfg, struct boot *boot);
void line_feed(struct line_state *ls, const char *line, size_t len);
/* The console's line not ended yet (console_pending(), when no more bytes are there for now):
 * the expect patterns are matched against it too, for a prompt such as "login: " that waits
 * for input without a newline; it counts as a line only when it ends. Whether that made the
 * boot a success. */
bool line_peek(struct line_state *ls, const char *partial);
/* What is still missing, for a timeout's or an early exit's reason ("the handoff line"). */
void line_missing(const struct line_state *ls, char *buf, size_t size);
