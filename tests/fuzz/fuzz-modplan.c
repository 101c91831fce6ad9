/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The module plan (mounts/modplan.c) that sharedroot-init reads from the initramfs or a module
 * directory: what parses keeps the parser's promises (the probe list of a module holds it once,
 * required; a lookup of its name finds it), and lookups and command-line options of any text
 * do not crash or leak. */
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "modplan.h"

#define STEPS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct modplan_step steps[STEPS];
    struct modplan *p = NULL;
    char why[256];
    size_t idx[16];
    bool by_alias;

    if (modplan_parse((const char *)data, size, &p, why, sizeof why) < 0) {
        if (p)
            abort();
        return 0;
    }
    for (size_t i = 0; i < modplan_count(p) && i < 256; i++) {
        int n = modplan_probe_list(p, i, steps, STEPS);
        bool seen = false;
        if (n == -ELOOP || n == -E2BIG)
            continue;
        if (n <= 0)
            abort();
        /* the module itself is in its probe list, once, and required */
        for (int s = 0; s < n; s++)
            if (steps[s].mod == i) {
                if (seen || !steps[s].required)
                    abort();
                seen = true;
            }
        if (!seen)
            abort();
        /* and so is a name lookup of it */
        int m = modplan_lookup(p, modplan_name(p, i), idx, 16, &by_alias);
        if (m != 1 || idx[0] != i || by_alias)
            abort();
    }
    /* the input as a command line and as a modalias */
    char *s = fuzz_string(data, size < 4096 ? size : 4096);
    if (s) {
        (void)modplan_lookup(p, s, idx, 16, &by_alias);
        (void)modplan_set_cmdline(p, s);
        for (size_t i = 0; i < modplan_count(p); i++)
            (void)modplan_options(p, i);
        free(s);
    }
    modplan_free(p);
    return 0;
}
