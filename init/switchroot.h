/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stage "switch": hand the machine to the real init on the new root.
 * Order matters: find and check the init BEFORE anything is torn down, because after the
 * initramfs is deleted there is no way back.
 */
#pragma once

#include <stddef.h>

#include "context.h"

/* The init candidates tried after init= (or without it), in order. */
extern const char *const switch_default_inits[];

/* Find the real init inside the root open at sysroot_fd; symlinks are resolved inside that
 * root, never on the initramfs. Writes the path (absolute, as seen from the new root) into
 * out. Falls back from a missing init= to the default list and says so. -ENOENT when none
 * of them is an executable regular file. */
int switch_find_init(int sysroot_fd, const char *wanted, char *out, size_t n);

/* The fallback of the lookup above for kernels without openat2 (before 5.6): stat path from
 * a child chrooted into the root. Public for tests. */
struct stat;
int switch_stat_in_root_chroot(int root_fd, const char *path, struct stat *st);

int stage_switch(struct boot_ctx *ctx);
