// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Settling the inode times of an ext4 image. See ext4times.h.
 */
#include "ext4times.h"

#include <errno.h>
#include <ext2fs/ext2fs.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "reconcile.h"

/* How far into the large inode a field reaches, counted from the end of the 128-byte one. */
#define EXTRA_END(field)                                                                           \
    (offsetof(struct ext2_inode_large, field) + sizeof(((struct ext2_inode_large *)0)->field) -    \
     EXT2_GOOD_OLD_INODE_SIZE)

static void settle(struct ext2_inode_large *in, int64_t ts)
{
    in->i_atime = in->i_mtime;
    in->i_ctime = in->i_mtime;
    if (in->i_extra_isize >= EXTRA_END(i_atime_extra)) {
        in->i_ctime_extra = in->i_mtime_extra;
        in->i_atime_extra = in->i_mtime_extra;
    }
    if (in->i_extra_isize >= EXTRA_END(i_crtime_extra)) {
        /* 32 bits of seconds, the epoch (bits 32-33) in the extra field's low bits */
        uint32_t lo = (uint32_t)ts;
        in->i_crtime = lo;
        in->i_crtime_extra = (uint32_t)(((ts - (int64_t)(int32_t)lo) >> 32) & 3);
    }
}

int ext4_settle_times(const char *path, int64_t timestamp, const char **what)
{
    ext2_filsys fs = NULL;
    ext2_inode_scan scan = NULL;
    struct ext2_inode_large *in = NULL;
    ext2_ino_t ino;
    errcode_t e;
    int size, r = 0;

    /* libext2fs stamps the superblock's write time with the clock unless told */
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)timestamp);
    setenv("E2FSPROGS_FAKE_TIME", now, 1);
    e = ext2fs_open(path, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs);
    if (e) {
        *what = "opening the image with libext2fs";
        return -EIO;
    }
    size = EXT2_INODE_SIZE(fs->super);
    in = calloc(1, (size_t)size);
    if (!in) {
        *what = "allocating an inode buffer";
        r = -ENOMEM;
        goto out;
    }
    if (ext2fs_open_inode_scan(fs, 0, &scan)) {
        *what = "scanning the inode tables";
        r = -EIO;
        goto out;
    }
    while (!(e = ext2fs_get_next_inode_full(scan, &ino, (struct ext2_inode *)in, size)) && ino) {
        if (!in->i_links_count)
            continue;
        settle(in, timestamp);
        if (ext2fs_write_inode_full(fs, ino, (struct ext2_inode *)in, size)) {
            *what = "writing an inode";
            r = -EIO;
            goto out;
        }
    }
    if (e) {
        *what = "reading the inode tables";
        r = -EIO;
    }
out:
    if (scan)
        ext2fs_close_inode_scan(scan);
    free(in);
    if (fs && ext2fs_close_free(&fs) && r == 0) {
        *what = "writing the image back";
        r = -EIO;
    }
    return r;
}

int ext4_seal_write_state(const char *path, const char **what)
{
    ext2_filsys fs = NULL;
    errcode_t e = ext2fs_open(path, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs);
    if (e) {
        *what = "opening the image with libext2fs";
        return -EIO;
    }
    struct rc_write_seal w = rc_base_write_seal(fs->super->s_uuid);
    fs->super->s_mnt_count = 0;
    fs->super->s_mtime = 0;
    fs->super->s_mtime_hi = 0;
    fs->super->s_wtime_hi = 0;
    fs->super->s_state = EXT2_VALID_FS;
    fs->super->s_error_count = 0;
    /* nothing was written through this handle, so ext2fs_close adds nothing to it */
    fs->super->s_kbytes_written = w.kbytes;
    /* ext2fs_flush stamps s_wtime with fs->now (else the clock) */
    fs->now = (time_t)w.wtime;
    fs->flags |= EXT2_FLAG_SUPER_ONLY;
    ext2fs_mark_super_dirty(fs);
    if (ext2fs_close_free(&fs)) {
        *what = "writing the superblock";
        return -EIO;
    }
    return 0;
}
