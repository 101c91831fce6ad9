/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The partition table of a disk image, as sharedroot-check-base reads it
 * (checkbase/partition.c): libblkid's partitions probing of the input as a whole disk, the
 * checks of every entry against the image and the others, the filesystem probe of each usable
 * partition within its range, the choice of the root, the list of the partitions. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "partition.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4 * 1024 * 1024)
        return 0;
    int fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    struct disk d;
    char why[512];
    if (disk_probe(fd, size, &d, why, sizeof why) > 0) {
        (void)disk_choose(&d, 0, why, sizeof why);
        (void)disk_choose(&d, 1, why, sizeof why);
        FILE *null = fopen("/dev/null", "we");
        if (null) {
            disk_list(&d, null);
            fclose(null);
        }
        (void)disk_find(&d, "LABEL", "root");
        disk_done(&d);
    }
    close(fd);
    return 0;
}
