// SPDX-License-Identifier: GPL-2.0-or-later
/* The identity of the filesystem a base dir lives on, for its fingerprint (see store.h). */
#include <blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "store.h"

int rc_fs_identity(int fd, char *out, size_t n)
{
    struct stat st;
    out[0] = 0;
    if (fstat(fd, &st) < 0)
        return -errno;
    /* major 0: an anonymous device (tmpfs, overlayfs, a FUSE or network filesystem) */
    if (major(st.st_dev) == 0)
        return -ENODEV;
    char *dev = blkid_devno_to_devname(st.st_dev);
    if (!dev)
        return -ENODEV;
    blkid_probe pr = blkid_new_probe_from_filename(dev);
    free(dev);
    if (!pr)
        return -ENODEV;
    const char *type = NULL, *uuid = NULL;
    int r = -ENODEV;
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID);
    if (blkid_do_safeprobe(pr) == 0 && blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0 &&
        blkid_probe_lookup_value(pr, "UUID", &uuid, NULL) == 0 &&
        (size_t)snprintf(out, n, "%s %s", type, uuid) < n)
        r = 0;
    else
        out[0] = 0;
    blkid_free_probe(pr);
    return r;
}
