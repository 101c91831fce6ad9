/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The module files of the image and their index. The .ko files go to
 * /lib/modules/KVER/<the same relative path> as they are (compressed ones stay compressed).
 * The index (modules.dep.bin, modules.alias.bin, modules.softdep, modules.builtin.bin, ...)
 * is regenerated for exactly that set by running depmod on a staging copy, so the guest's
 * libkmod can resolve aliases and dependencies among the modules that are really there.
 */
#pragma once

#include "kmodset.h"
#include "plan.h"

/* Add every non-built-in module of s to the plan. */
int depmod_plan_modules(struct plan *p, const struct kmodset *s, const char *kver);
/* Copy the modules and the kernel's order/builtin lists to STAGING/lib/modules/KVER, run
 * depmod there and add the generated index files to the plan. */
int depmod_build_index(struct plan *p, const struct kmodset *s, const char *moddir,
                       const char *kver, const char *staging);
