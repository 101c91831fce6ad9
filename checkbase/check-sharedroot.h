/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What sharedroot-init itself needs from the base: its layout file (mounts/layout.h), the
 * overlaid directories, the real init it hands over to. */
#pragma once

#include "checks.h"

int check_layout(struct check_ctx *ctx, const struct check *c);
int check_overlay_dirs(struct check_ctx *ctx, const struct check *c);
int check_init(struct check_ctx *ctx, const struct check *c);
