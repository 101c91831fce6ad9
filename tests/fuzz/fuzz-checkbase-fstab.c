/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The /etc/fstab of an image, as sharedroot-check-base reads it (checkbase/check-fstab.c):
 * libmount's parser and the five fstab checks (root mounted rw, remount, swap, kernel device
 * names, a partition of the image mounted rw) on the text, for a disk image of two partitions
 * with every kind of name. */
#include "check-fstab.h"
#include "checks.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct findings out = {0};
    size_t n;
    const struct check *table = checks_table(&n);
    struct part parts[2] = {
        {.number = 1,
         .start = 1 << 20,
         .size = 1 << 20,
         .type = "0xef",
         .fstype = "vfat",
         .partuuid = "12345678-01",
         .uuid = "a1b2-c3d4",
         .label = "EFI"},
        {.number = 2,
         .start = 2 << 20,
         .size = 1 << 20,
         .type = "0x83",
         .fstype = "ext4",
         .partuuid = "12345678-02",
         .name = "root",
         .label = "root"},
    };
    struct disk disk = {.pttype = "dos", .size = 3 << 20, .v = parts, .n = 2};
    struct check_ctx ctx = {.rootfd = -1, .target = "fuzz", .disk = &disk, .out = &out};

    if (size > 1024 * 1024)
        return 0;
    (void)check_fstab_text(&ctx, &table[0], (const char *)data, size);
    findings_done(&out);
    return 0;
}
