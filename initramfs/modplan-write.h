/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The module plan of the image (mounts/modplan.h, sharedroot-mkinitramfs(8) THE MODULE PLAN):
 * what libkmod resolved for the module set, written so that sharedroot-init loads the modules
 * with finit_module and needs no libkmod: every module file with its dependencies in load
 * order, the built-in modules of the set, their soft dependencies, and the aliases of the
 * modules of the set (the alias table restricted to the image).
 */
#pragma once

#include <stdio.h>

#include "kmodset.h"

struct modplan_stats {
    size_t modules, builtin, aliases, softdeps;
};

/* Write the plan of s to f. -ELOOP for a dependency cycle (depmod refuses those), -ENOENT for a
 * dependency missing from the set. */
int modplan_write(const struct kmodset *s, FILE *f, struct modplan_stats *stats);
