/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The failure path. The stage has already logged what failed with which device or path.
 * Here: a summary on the console, then the emergency shell if the initramfs has one
 * (leaving it retries the failed stage), else the kernel's panic= policy. In a test run
 * (not PID 1) the process exits with status 1 instead.
 */
#pragma once

#include "context.h"

void emergency(struct boot_ctx *ctx, enum stage s, int error);

/* What panic=N means for PID 1 (kernel semantics): <0 reboot now, 0 wait forever, N>0
 * reboot after N seconds. Returns the delay in seconds, -1 for "never". Pure. */
int emergency_panic_delay(const struct cmdline *c);
