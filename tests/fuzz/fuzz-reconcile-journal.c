/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The apply journal (reconcile/apply.c), which PID 1 resumes at boot from the guest-writable
 * store: every action parsed names a safe relative path below the upper dir, and the run id
 * (a dir of backups/) is one path component. */
#include "apply.h"
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rc_journal j;

    if (size > (64u << 20))
        return 0;
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (rc_journal_parse(copy, size, &j) == 0) {
        if (!j.run[0] || strchr(j.run, '/') || j.run[0] == '.')
            abort();
        for (size_t i = 0; i < j.n; i++)
            if (!rc_path_is_safe(j.a[i].path) || j.a[i].what < RC_ACT_REMOVE ||
                j.a[i].what > RC_ACT_MOVE ||
                (j.a[i].what == RC_ACT_OPAQUE &&
                 (!j.a[i].ns || j.a[i].ns > (RC_NS_TRUSTED | RC_NS_USER))))
                abort();
        rc_journal_done(&j);
    } else if (j.n || j.a) {
        abort();
    }
    free(copy);
    return 0;
}
