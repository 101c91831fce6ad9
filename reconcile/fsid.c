// SPDX-License-Identifier: GPL-2.0-or-later
/* The identity of the filesystem a base dir lives on, for its fingerprint (see store.h). */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "store.h"

/* Whether the ext2/3/4 filesystem on dev carries sharedroot-mkbase's seal (rc_base_seal,
 * reconcile.h). */
static bool ext_sealed(const char *dev)
{
    uint8_t sb[RC_EXT_SB_SIZE];
    int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    bool sealed =
        pread(fd, sb, sizeof sb, RC_EXT_SB_OFFSET) == (ssize_t)sizeof sb && rc_ext_sb_sealed(sb);
    close(fd);
    return sealed;
}

/* libblkid's names of the filesystem type statfs reports, so that only that type is probed
 * for: a full probe reads the offsets of every other format too (RAID members at the
 * device's end among them), cold reads that cost 20 ms of a guest's boot under TCG. NULL for
 * a type not listed: everything is probed, as before. */
static const char *const *probe_names(long f_type)
{
    static const char *const ext[] = {"ext4", "ext3", "ext2", "ext4dev", NULL};
    static const char *const erofs[] = {"erofs", NULL};
    static const char *const squashfs[] = {"squashfs", "squashfs3", NULL};
    static const char *const xfs[] = {"xfs", NULL};
    static const char *const btrfs[] = {"btrfs", NULL};
    static const char *const f2fs[] = {"f2fs", NULL};
    switch ((unsigned long)f_type & 0xffffffffu) {
    case 0xEF53u:
        return ext;
    case 0xE0F5E1E2u:
        return erofs;
    case 0x73717368u:
        return squashfs;
    case 0x58465342u:
        return xfs;
    case 0x9123683Eu:
        return btrfs;
    case 0xF2F52010u:
        return f2fs;
    default:
        return NULL;
    }
}

int rc_fs_identity(int fd, char *out, size_t n, bool *sealed)
{
    struct stat st;
    struct statfs sfs;
    out[0] = 0;
    if (sealed)
        *sealed = false;
    if (fstat(fd, &st) < 0)
        return -errno;
    /* major 0: an anonymous device (tmpfs, overlayfs, a FUSE or network filesystem) */
    if (major(st.st_dev) == 0)
        return -ENODEV;
    char *dev = blkid_devno_to_devname(st.st_dev);
    if (!dev)
        return -ENODEV;
    blkid_probe pr = blkid_new_probe_from_filename(dev);
    if (!pr) {
        free(dev);
        return -ENODEV;
    }
    const char *type = NULL, *uuid = NULL;
    int r = -ENODEV;
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID);
    const char *const *names = fstatfs(fd, &sfs) == 0 ? probe_names((long)sfs.f_type) : NULL;
    if (names)
        blkid_probe_filter_superblocks_type(pr, BLKID_FLTR_ONLYIN, (char **)names);
    if (blkid_do_safeprobe(pr) == 0 && blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0 &&
        blkid_probe_lookup_value(pr, "UUID", &uuid, NULL) == 0 &&
        (size_t)snprintf(out, n, "%s %s", type, uuid) < n)
        r = 0;
    else
        out[0] = 0;
    /* read from the device the UUID came from; an ext superblock only (erofs and the
     * others have no hash seed to carry the seal) */
    if (r == 0 && sealed && strncmp(type, "ext", 3) == 0)
        *sealed = ext_sealed(dev);
    blkid_free_probe(pr);
    free(dev);
    return r;
}
