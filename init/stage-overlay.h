/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stage "overlay": mount each overlaid directory of the base with its per-instance upper. */
#pragma once

#include "context.h"

int stage_overlay(struct boot_ctx *ctx);
