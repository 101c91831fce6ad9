/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stage "early": the kernel filesystems an init needs, and the log sinks. */
#pragma once

#include "context.h"

int stage_early(struct boot_ctx *ctx);
