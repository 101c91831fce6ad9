/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan as a list for the kernel's usr/gen_init_cpio (CONFIG_INITRAMFS_SOURCE=LIST), to
 * build the initramfs into a kernel image:
 *
 *   dir <name> <mode> <uid> <gid>
 *   file <name> <location> <mode> <uid> <gid>
 *   slink <name> <target> <mode> <uid> <gid>
 *   nod <name> <mode> <uid> <gid> <dev_type> <maj> <min>
 *
 * Every location is an absolute path. Files that exist only while the image is built (the
 * module index made by depmod, empty marker files) are copied to LIST.files/ beside the
 * list, which must then be kept with it.
 */
#pragma once

#include "plan.h"

/* staging: the build's staging dir (files under it are copied), may be NULL. */
int cpiolist_write(const struct plan *p, const char *list, const char *staging);
