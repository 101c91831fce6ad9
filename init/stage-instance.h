/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stage "instance": decide the instance layout (sharedroot.instance=, a layout file, or
 * volatile), publish the base read-only at /run/sharedroot/base, then fsck, mount and claim
 * each instance filesystem. Nothing is ever formatted; a filesystem that is not empty and not
 * ours is refused untouched.
 */
#pragma once

#include "context.h"
#include "instcheck.h"

int stage_instance(struct boot_ctx *ctx);

/* Mount a device named by a spec read-write at target after fsck; used for instance
 * partitions and a /tmp partition. what names the option or layout line in messages. */
int mount_instance_device(struct boot_ctx *ctx, const char *what, const char *spec,
                          const char *fstype, const char *options, int passno, const char *target,
                          char *dev, size_t dev_size, enum instance_inspect inspect);

/* Start the check of sharedroot.instance= (the read-only look and fsck, mounts/instcheck.h) in
 * a child process when the guest has more than one CPU online, its device already exists and
 * nothing can come between now and the
 * instance stage that would make the verdict stale (a layout file, a break point or hooks
 * after the root stage, a network device); else the instance stage checks as before. Called
 * by the root stage before it mounts the base. */
void instance_check_start_early(struct boot_ctx *ctx);

/* The command-line part of that decision (no device is looked at). Pure but for the hook
 * directory it reads. */
bool instance_check_may_start_early(const struct boot_ctx *ctx);

/* Wait for the early check, if one runs, and forget its verdict: before a shell or hooks,
 * which may touch the disk (the instance stage then checks again), and when the boot ends. */
void instance_check_early_end(struct boot_ctx *ctx);
