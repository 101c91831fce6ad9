/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stage "devices": load drivers for present hardware and wait for the root device. */
#pragma once

#include "context.h"

int stage_devices(struct boot_ctx *ctx);
