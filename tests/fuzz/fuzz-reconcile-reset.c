/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The reset request (reconcile/reset.c) a running guest leaves on its instance disk and PID 1
 * carries out at the next boot: every path parsed is "" (all) or a safe relative path below the
 * upper dir, and a request formats and parses back to the same paths. */
#include "fuzz.h"
#include "reset.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char **p, **q;
    size_t n, m;

    if (size > (4u << 20))
        return 0;
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (rc_reset_parse(copy, size, &p, &n) == 0) {
        struct rc_buf b = {0};
        for (size_t i = 0; i < n; i++)
            if (*p[i] && !rc_path_is_safe(p[i]))
                abort();
        if (rc_reset_format(p, n, &b) < 0 || rc_reset_parse(b.data, b.len, &q, &m) < 0 || m != n)
            abort();
        for (size_t i = 0; i < n; i++)
            if (strcmp(p[i], q[i]) != 0)
                abort();
        rc_reset_paths_free(q, m);
        rc_reset_paths_free(p, n);
        rc_buf_done(&b);
    } else if (p || n) {
        abort();
    }
    free(copy);
    return 0;
}
