/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The naming rules of hooks, shared by the runner (sharedroot-init) and the builder
 * (sharedroot-mkinitramfs) so both agree on what counts as a hook. Pure, no logging.
 */
#pragma once

#include <stdbool.h>

#define HOOKS_OPTIONAL_SUFFIX "-optional"

/* The stages that have hook directories, in boot order (the stage names of sharedroot-init). */
extern const char *const hook_stages[];
#define HOOK_N_STAGES 8
bool hooks_stage_is_valid(const char *stage);

/* Candidates among the names in a stage dir: not hidden (.*), not editor or package manager
 * leftovers (*~, *.dpkg-*, *.rpmnew, *.rpmsave, *.ucf-*), no '/'. */
bool hooks_name_is_candidate(const char *name);
/* NAME ends in -optional (and is more than that): its failure does not stop the boot. */
bool hooks_name_is_optional(const char *name);
