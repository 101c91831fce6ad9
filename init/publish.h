/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /run/sharedroot/state: what the booted system (admins, overlay-reconcile --report) can
 * read about this boot. key=value lines in os-release style; values double-quoted with
 * \" \\ \$ \` escaped. The keys are documented in sharedroot-init(8).
 */
#pragma once

#include <stdio.h>

#include "context.h"

#define STATE_FILE SHAREDROOT_RUN "/state"

/* Write one KEY="value" line, escaping value. */
void state_write_kv(FILE *f, const char *key, const char *value);

/* Write the whole state to path (temp file + rename). */
int publish_state(struct boot_ctx *ctx, const char *path);
