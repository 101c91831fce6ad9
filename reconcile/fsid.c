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

/* The primary ext2/3/4 superblock of dev (RC_EXT_SB_SIZE bytes), or false. */
static bool read_ext_sb(const char *dev, uint8_t sb[RC_EXT_SB_SIZE])
{
    int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    bool ok = pread(fd, sb, RC_EXT_SB_SIZE, RC_EXT_SB_OFFSET) == (ssize_t)RC_EXT_SB_SIZE;
    close(fd);
    return ok;
}

/* Whether the ext2/3/4 filesystem on dev carries sharedroot-mkbase's seal (rc_base_seal,
 * reconcile.h). */
static bool ext_sealed(const char *dev)
{
    uint8_t sb[RC_EXT_SB_SIZE];
    return read_ext_sb(dev, sb) && rc_ext_sb_sealed(sb);
}

/* The block device holding fd's filesystem (malloc'd), or NULL: none for an anonymous device
 * (major 0: tmpfs, overlayfs, a FUSE or network filesystem). */
static char *devname_of(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || major(st.st_dev) == 0)
        return NULL;
    return blkid_devno_to_devname(st.st_dev);
}

int rc_fs_untouched_seal(int fd, char *out, size_t n)
{
    struct statfs sfs;
    uint8_t sb[RC_EXT_SB_SIZE];
    out[0] = 0;
    /* only an ext2/3/4 filesystem carries the seal: no device is opened for any other */
    if (fstatfs(fd, &sfs) < 0 || ((unsigned long)sfs.f_type & 0xffffffffu) != 0xEF53u)
        return 0;
    char *dev = devname_of(fd);
    bool untouched = dev && read_ext_sb(dev, sb) && rc_ext_sb_untouched(sb);
    free(dev);
    if (!untouched)
        return 0;
    const uint8_t *u = sb + 0x68;
    snprintf(out, n, "sealed %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
    return 1;
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
    struct statfs sfs;
    out[0] = 0;
    if (sealed)
        *sealed = false;
    char *dev = devname_of(fd);
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
