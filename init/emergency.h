/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The failure path and the break points. The stage has already logged what failed with
 * which device or path. Here: a summary on the console (stage, error, failed hook, the last
 * log lines, the command line, how to retry), then the emergency shell if the initramfs has
 * one (leaving it, or "sharedroot-init --resume" from inside it, retries), else the kernel's
 * panic= policy. In a test run (not PID 1) the process exits with status 1 instead.
 */
#pragma once

#include "context.h"

#define EMERGENCY_SHELL "/bin/sh"
/* While a shell of PID 1 runs, this file holds "PID STAGE\n" for sharedroot-init --resume. */
#define EMERGENCY_RUN_DIR "/run/sharedroot"
#define EMERGENCY_SHELL_FILE "emergency-shell"

void emergency(struct boot_ctx *ctx, enum stage s, int error);

/* sharedroot.break=STAGE: print the state (mounts, devices, command line) and run the shell;
 * returns when the shell ends, and the boot goes on. A test run only prints the state. */
void emergency_break(struct boot_ctx *ctx, enum stage s);

/* sharedroot-init --resume, run from within the shell PID 1 waits for: end that shell (as
 * recorded in RUN_DIR/emergency-shell), so PID 1 retries the failed stage or goes on after a
 * break point. Returns 0, or a negative errno after printing why to stderr. */
int emergency_resume(const char *run_dir);

/* What panic=N means for PID 1 (kernel semantics): <0 reboot now, 0 wait forever, N>0
 * reboot after N seconds. Returns the delay in seconds, -1 for "never". Pure. */
int emergency_panic_delay(const struct cmdline *c);
