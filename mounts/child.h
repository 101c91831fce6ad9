/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Waiting for a helper program the boot runs (fsck, mkswap) without an unbounded wait. */
#pragma once

#include <sys/types.h>

/* Wait for the child pid for at most timeout_ms: 0 and *status when it ended; -ETIMEDOUT
 * when it had to be killed (SIGKILL; reaped when it dies within a second, else left to PID
 * 1's reaper); -errno when it cannot be waited for (not a child). The child's end wakes the
 * wait at once (a pidfd); where the kernel has no pidfds (before Linux 5.3) it looks every
 * 10 ms. */
int child_wait_bounded(pid_t pid, int timeout_ms, int *status);
