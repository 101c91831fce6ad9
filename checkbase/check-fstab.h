/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/fstab lines that are wrong on a base many guests mount read-only at once: `/` mounted
 * read-write or remounted, swap that belongs to one instance, disks named by kernel names
 * that differ between guests (xvda on Xen, vda on KVM).
 */
#pragma once

#include <libmount.h>

#include "checks.h"

/* Parse an fstab-format file of the root with libmount. 1 and the table (unref it), 0 when
 * the file does not exist, negative errno (printed) when it cannot be read. *bad_line is the
 * first line libmount could not parse, 0 when all parsed. */
int fstab_parse(struct check_ctx *ctx, const char *path, struct libmnt_table **ret,
                unsigned *bad_line);

int check_fstab_root_rw(struct check_ctx *ctx, const struct check *c);
int check_fstab_remount(struct check_ctx *ctx, const struct check *c);
int check_fstab_swap(struct check_ctx *ctx, const struct check *c);
int check_fstab_device_name(struct check_ctx *ctx, const struct check *c);
