// SPDX-License-Identifier: GPL-2.0-or-later
#include "ext4meta.h"

#include <errno.h>
#include <et/com_err.h>
#include <ext2fs/ext2fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "instance.h"
#include "util.h"

/* Find path (relative to the root, raw bytes) by lookups from the root; every component but
 * the last must be a directory, so no symlink is ever followed. */
static errcode_t lookup(ext2_filsys fs, const char *path, ext2_ino_t *ino)
{
    ext2_ino_t cur = EXT2_ROOT_INO;
    const char *p = path;

    while (*p) {
        const char *e = strchrnul(p, '/');
        struct ext2_inode inode;
        errcode_t err = ext2fs_read_inode(fs, cur, &inode);

        if (err)
            return err;
        if (!LINUX_S_ISDIR(inode.i_mode))
            return EXT2_ET_NO_DIRECTORY;
        err = ext2fs_lookup(fs, cur, p, (int)(e - p), NULL, &cur);
        if (err)
            return err;
        p = *e ? e + 1 : e;
    }
    *ino = cur;
    return 0;
}

struct names {
    char **v;
    size_t n, cap;
};

static int collect_name(char *name, char *value, size_t len, void *data)
{
    struct names *ns = data;

    (void)value, (void)len;
    if (array_grow(&ns->v, ns->n, 1, &ns->cap, sizeof *ns->v) < 0 || !(ns->v[ns->n] = strdup(name)))
        return XATTR_ABORT;
    ns->n++;
    return 0;
}

/* The inode's xattrs become exactly e's. */
static errcode_t set_xattrs(ext2_filsys fs, ext2_ino_t ino, const struct tree_entry *e)
{
    struct ext2_xattr_handle *h = NULL;
    struct names ns = {0};
    errcode_t err = ext2fs_xattrs_open(fs, ino, &h);

    if (!err)
        err = ext2fs_xattrs_read(h);
    if (!err)
        err = ext2fs_xattrs_iterate(h, collect_name, &ns);
    for (size_t i = 0; !err && i < ns.n; i++)
        err = ext2fs_xattr_remove(h, ns.v[i]);
    for (size_t i = 0; !err && i < e->nxattrs; i++)
        err = ext2fs_xattr_set(h, e->xattrs[i].name, e->xattrs[i].value, e->xattrs[i].len);
    for (size_t i = 0; i < ns.n; i++)
        free(ns.v[i]);
    free(ns.v);
    if (h) {
        errcode_t c = ext2fs_xattrs_close(&h);
        if (!err)
            err = c;
    }
    return err;
}

/* 32 bits of seconds plus the epoch bits and nanoseconds of the extra field, as the kernel's
 * ext4_encode_extra_time does. */
static void encode_time(const struct timespec *ts, __u32 *sec, __u32 *extra)
{
    *sec = (__u32)ts->tv_sec;
    if (extra)
        *extra = (__u32)((((ts->tv_sec - (__s32)ts->tv_sec) >> 32) & EXT4_EPOCH_MASK) |
                         ((__u32)ts->tv_nsec << EXT4_EPOCH_BITS));
}

static errcode_t set_inode(ext2_filsys fs, ext2_ino_t ino, const struct tree_entry *e)
{
    struct ext2_inode_large in;
    errcode_t err = ext2fs_read_inode_full(fs, ino, (struct ext2_inode *)&in, sizeof in);
    size_t isize = EXT2_GOOD_OLD_INODE_SIZE;

    if (err)
        return err;
    if ((in.i_mode & LINUX_S_IFMT) != (e->mode & S_IFMT))
        return EXT2_ET_FILE_NOT_FOUND; /* not what was staged: refuse to guess */
    if (EXT2_INODE_SIZE(fs->super) > EXT2_GOOD_OLD_INODE_SIZE)
        isize += in.i_extra_isize;
    in.i_mode = (__u16)((in.i_mode & LINUX_S_IFMT) | (e->mode & 07777));
    in.i_uid = (__u16)e->uid;
    ext2fs_set_i_uid_high(in, e->uid >> 16);
    in.i_gid = (__u16)e->gid;
    ext2fs_set_i_gid_high(in, e->gid >> 16);
    if (e->has_times) {
        bool extra = inode_includes(isize, i_atime_extra);
        encode_time(&e->atime, &in.i_atime, extra ? &in.i_atime_extra : NULL);
        encode_time(&e->mtime, &in.i_mtime, extra ? &in.i_mtime_extra : NULL);
        encode_time(&e->ctime, &in.i_ctime, extra ? &in.i_ctime_extra : NULL);
    }
    return ext2fs_write_inode_full(fs, ino, (struct ext2_inode *)&in, sizeof in);
}

int ext4meta_apply(const char *image, const struct tree *t, char *why, size_t n)
{
    ext2_filsys fs = NULL;
    errcode_t err;
    int r = 0;

    err = ext2fs_open(image, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs);
    if (!err)
        err = ext2fs_read_bitmaps(fs);
    if (err) {
        snprintf(why, n, "cannot open the new filesystem in %s: %s", image, error_message(err));
        if (fs)
            ext2fs_close_free(&fs);
        return -EIO;
    }
    for (size_t i = 0; i < t->n && r == 0; i++) {
        const struct tree_entry *e = &t->e[i];
        ext2_ino_t ino;

        if (e->hardlink)
            continue;
        err = lookup(fs, e->path, &ino);
        if (!err)
            err = set_xattrs(fs, ino, e);
        if (!err)
            err = set_inode(fs, ino, e);
        if (err) {
            snprintf(why, n, "cannot set owner, mode, times and xattrs of /%s in %s: %s", e->path,
                     image, error_message(err));
            r = err == EXT2_ET_EA_NO_SPACE || err == EXT2_ET_BLOCK_ALLOC_FAIL ? -ENOSPC : -EIO;
        }
    }
    err = ext2fs_close_free(&fs);
    if (err && r == 0) {
        snprintf(why, n, "cannot write the new filesystem in %s: %s", image, error_message(err));
        r = -EIO;
    }
    return r;
}

int ext4meta_has_marker(const char *image, char *why, size_t n)
{
    ext2_filsys fs = NULL;
    struct ext2_inode inode;
    ext2_ino_t ino;
    errcode_t err = ext2fs_open(image, EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs);
    int r = 0;

    if (err) {
        snprintf(why, n, "cannot read its ext4 filesystem: %s", error_message(err));
        return -EIO;
    }
    err = lookup(fs, INSTANCE_MARKER, &ino);
    if (!err)
        err = ext2fs_read_inode(fs, ino, &inode);
    if (err || !LINUX_S_ISREG(inode.i_mode)) {
        snprintf(why, n, "it has no %s marker, so it is not a sharedroot instance",
                 INSTANCE_MARKER);
        r = -EMEDIUMTYPE;
    }
    ext2fs_close_free(&fs);
    return r;
}
