/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A store's history (reconcile/store.c), one recording a line, from the instance disk: lines
 * that do not parse are skipped, and every entry kept names a snapshot that can exist (64
 * lower-case hex digits) at a valid time. */
#include "fuzz.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rc_history_entry *h = NULL;
    size_t n = 0;

    if (size > (4u << 20))
        return 0;
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (rc_history_parse(copy, size, &h, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (strlen(h[i].fingerprint) != 64 || h[i].nsec < 0 || h[i].nsec > 999999999)
                abort();
            for (const char *p = h[i].fingerprint; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                    abort();
        }
        free(h);
    }
    free(copy);
    return 0;
}
