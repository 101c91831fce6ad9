/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stage "root": mount the shared base read-only, with journal replay disabled, at the sysroot. */
#pragma once

#include "context.h"

int stage_root(struct boot_ctx *ctx);
