// SPDX-License-Identifier: GPL-2.0-or-later
#include "hook-names.h"

#include <string.h>

const char *const hook_stages[HOOK_N_STAGES] = {
    "early", "devices", "root", "instance", "reconcile", "overlay", "tmp-swap", "switch",
};

bool hooks_stage_is_valid(const char *stage)
{
    for (int i = 0; i < HOOK_N_STAGES; i++)
        if (strcmp(stage, hook_stages[i]) == 0)
            return true;
    return false;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

bool hooks_name_is_candidate(const char *name)
{
    static const char *const leftovers[] = {".dpkg-", ".rpmnew", ".rpmsave", ".ucf-"};

    if (!name[0] || name[0] == '.' || has_suffix(name, "~") || strchr(name, '/'))
        return false;
    for (size_t i = 0; i < sizeof leftovers / sizeof leftovers[0]; i++)
        if (strstr(name, leftovers[i]))
            return false;
    return true;
}

bool hooks_name_is_optional(const char *name)
{
    return has_suffix(name, HOOKS_OPTIONAL_SUFFIX) && strlen(name) > strlen(HOOKS_OPTIONAL_SUFFIX);
}
