/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stage "devices": load drivers for present hardware and wait for the root device. */
#pragma once

#include <stddef.h>

#include "context.h"

int stage_devices(struct boot_ctx *ctx);

/* Wait (up to sharedroot.timeout, handling uevents) until the device spec exists; what is
 * the option that named it ("root", "sharedroot.instance", a layout line) for messages. */
/* Load the module for a filesystem type (alias fs-TYPE, else the name); quiet when there is
 * none (built in). */
void devices_load_fs(struct boot_ctx *ctx, const char *fstype);

int devices_wait_for_spec(struct boot_ctx *ctx, const char *what, const char *spec, char *dev,
                          size_t n);

/* When dev, named by what=spec ("root", "sharedroot.instance"; a layout entry's description
 * when what holds a blank), holds a partition table where a filesystem was expected: say so
 * on the console (the table's type, each partition the kernel found with its filesystem and
 * tags, and the what= that names the partition holding the filesystem, which is for) and
 * return -ENOENT. 0 when dev holds no partition table: the caller says "no filesystem". */
int devices_explain_partitioned(struct boot_ctx *ctx, const char *what, const char *spec,
                                const char *dev, const char *is_for);
