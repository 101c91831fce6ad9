/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /run/sharedroot/state as overlay-reconcile --report reads it (reconcile/state.c): written by
 * sharedroot-init, but --state takes any file. A parsed overlay always has a lower and an upper
 * dir, and no path key is empty (an empty path would be the working directory). */
#include "fuzz.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rc_state st;
    char why[512];

    if (size > (1u << 20))
        return 0; /* rc_state_load refuses a bigger file */
    /* exactly size bytes: a read past the end is ASan's to see */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (rc_state_parse(copy, size, &st, why, sizeof why) == 0) {
        for (size_t i = 0; i < st.n; i++) {
            const struct rc_state_overlay *o = &st.ov[i];
            if (!o->lower || !o->upper || !*o->lower || !*o->upper || (o->store && !*o->store) ||
                (o->dir && !*o->dir))
                abort();
        }
        rc_state_done(&st);
    } else if (st.n || st.ov || st.ignore) {
        abort(); /* a failed parse leaves nothing behind */
    }
    free(copy);
    return 0;
}
