/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stage "reconcile": before the overlays are mounted (overlayfs forbids touching an upper
 * while it is mounted), record the base of each overlay for next time and reconcile the
 * host's copies against base updates by the sharedroot.reconcile= policy. Never blocks the
 * boot: a failure is reported and the overlay is mounted as it was.
 */
#pragma once

#include "context.h"

#define RECONCILE_REPORT SHAREDROOT_RUN "/reconcile.json"

int stage_reconcile(struct boot_ctx *ctx);
