/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stage "tmp-swap": /tmp (instance storage cleaned at boot, tmpfs, a device, or kept) and swap. */
#pragma once

#include "context.h"

int stage_tmp_swap(struct boot_ctx *ctx);
