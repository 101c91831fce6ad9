/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/fstab lines that are wrong on a base many guests mount read-only at once: `/` mounted
 * read-write, grown or remounted, swap that belongs to one instance, disks named by kernel names
 * that differ between guests (xvda on Xen, vda on KVM), a filesystem of the shared disk
 * itself (the ESP of a cloud image) mounted read-write.
 */
#pragma once

#include "checks.h"

int check_fstab_root_rw(struct check_ctx *ctx, const struct check *c);
int check_fstab_growfs(struct check_ctx *ctx, const struct check *c);
int check_fstab_remount(struct check_ctx *ctx, const struct check *c);
int check_fstab_swap(struct check_ctx *ctx, const struct check *c);
int check_fstab_device_name(struct check_ctx *ctx, const struct check *c);
int check_fstab_base_rw(struct check_ctx *ctx, const struct check *c);

/* The partition of d an fstab source names (PARTUUID=, PARTLABEL=, UUID=, LABEL=, quoted or
 * not, or a /dev/disk/by-{partuuid,partlabel,uuid,label}/ link): its index, or -1. */
int fstab_names_partition(const struct disk *d, const char *source);

/* Every fstab check at once on the text of an fstab (len bytes, NULs and all), each finding
 * under c: the parser's entry for the fuzz target (tests/fuzz). */
int check_fstab_text(struct check_ctx *ctx, const struct check *c, const char *text, size_t len);
