/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Monotonic time in milliseconds, for timeouts and stage timings (never the wall clock). */
#pragma once

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t now_ms(void);
