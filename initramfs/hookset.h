/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The boot-stage hooks that go into the image, at /lib/sharedroot/hooks/<stage>.d/NAME
 * (see sharedroot-hooks(7)). Sources, highest precedence first: --hook STAGE:PATH, the
 * config dir (/etc/sharedroot/hooks/<stage>.d/ or --hooks-dir), the shipped hooks. A name
 * that is already taken in a stage keeps its first source, so a config file overrides a
 * shipped hook of the same name (and an empty non-executable file disables it).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "plan.h"

#define HOOKSET_IMAGE_DIR "/lib/sharedroot/hooks"
#define HOOKSET_CONFIG_DIR "/etc/sharedroot/hooks"

struct hookset_entry {
    char *stage, *name, *source, *origin; /* origin: "--hook", "config DIR", "shipped" */
    mode_t mode;
};

struct hookset {
    struct hookset_entry *v;
    size_t n;
};

/* --hook STAGE:PATH. Usage errors (unknown stage, missing file) are reported and -EINVAL. */
int hookset_add_arg(struct hookset *h, const char *arg);
/* Every candidate in DIR/<stage>.d/ for each stage; a missing DIR or stage dir is fine. */
int hookset_add_dir(struct hookset *h, const char *dir, const char *origin);
/* Put the hooks (with their own permission bits) and their directories into the plan; warns
 * about a hook that sharedroot-init will refuse (group/other-writable) or skip (not
 * executable). */
int hookset_plan(const struct hookset *h, struct plan *p);
void hookset_done(struct hookset *h);
