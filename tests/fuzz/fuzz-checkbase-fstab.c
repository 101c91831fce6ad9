/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The /etc/fstab of an image, as sharedroot-check-base reads it (checkbase/check-fstab.c):
 * libmount's parser and the four fstab checks (root mounted rw, remount, swap, kernel device
 * names) on the text. */
#include "check-fstab.h"
#include "checks.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct findings out = {0};
    size_t n;
    const struct check *table = checks_table(&n);
    struct check_ctx ctx = {.rootfd = -1, .target = "fuzz", .out = &out};

    if (size > 1024 * 1024)
        return 0;
    (void)check_fstab_text(&ctx, &table[0], (const char *)data, size);
    findings_done(&out);
    return 0;
}
