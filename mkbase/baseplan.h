/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What sharedroot-mkbase will run, decided purely from the options and what the walk of the
 * tree found: the checked option values, the image size, the identity (UUID, timestamp) that
 * makes the output the same for the same tree, and the mkfs command line. Unit-tested.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum base_type { BASE_EXT4, BASE_EROFS };

#define MKBASE_BLOCK 4096u              /* the page size: what dax maps */
#define MKBASE_ALIGN (2u * 1024 * 1024) /* a pmem device is mapped in 2 MiB sections */
#define MKBASE_LABEL_MAX 16             /* ext4 s_volume_name, erofs volume_name */

/* What the walk of the tree found (tree.c). */
struct tree_stats {
    uint64_t files, dirs, symlinks, others; /* others: device nodes, fifos, sockets */
    uint64_t data_blocks;                   /* regular files' and long symlinks' 4 KiB blocks */
    uint64_t dir_bytes;                     /* directory entries, about 8 + name bytes each */
    int64_t newest_mtime;                   /* seconds; 0 for an empty tree */
    unsigned char fingerprint[32];          /* SHA-256 of every entry's path and metadata */
};

/* --type: "ext4" or "erofs"; -EINVAL otherwise. */
int plan_parse_type(const char *s, enum base_type *t);

/* --label: 1..16 bytes, printable ASCII without '/', '"', '\\' or white space (it lands in
 * LABEL= on kernel command lines and in fstab). -EINVAL with *why. */
int plan_check_label(const char *s, const char **why);

/* --uuid: 8-4-4-4-12 hex digits; lowercased into out[37]. -EINVAL otherwise. */
int plan_parse_uuid(const char *s, char out[37]);

/* --size: a number of bytes with an optional K, M, G or T suffix (powers of 1024), at least
 * 8 MiB and at most 16 TiB; rounded up to a multiple of MKBASE_ALIGN. -EINVAL/-ERANGE. */
int plan_parse_size(const char *s, uint64_t *bytes);

/* A UUID (version 4 layout, lowercase) derived from the tree's fingerprint, the type and the
 * label: the same tree gives the same UUID, another tree another one. */
void plan_uuid_from(const struct tree_stats *st, enum base_type t, const char *label, char out[37]);

/* The ext4 image size for the tree: its blocks, inode tables and directories with room for
 * the allocator, rounded up to MKBASE_ALIGN. */
uint64_t plan_ext4_size(const struct tree_stats *st);

/* The inode count for mkfs.ext4 -N: the tree's entries with a margin. */
uint64_t plan_ext4_inodes(const struct tree_stats *st);

/* Round up to a multiple of MKBASE_ALIGN (0 stays 0; saturates at UINT64_MAX rounded down). */
uint64_t plan_align(uint64_t bytes);

struct plan {
    enum base_type type;
    const char *dir, *output; /* the tree; the file mkfs writes (a temporary name) */
    const char *label;        /* NULL: none */
    char uuid[37];
    bool uuid_derived; /* uuid is plan_uuid_from's (the tree's digest), not given by hand */
    int64_t timestamp; /* filesystem time and the clamp for newer mtimes */
    uint64_t size;     /* ext4: the image size; erofs: ignored (padded afterwards) */
    uint64_t inodes;   /* ext4 -N */
};

/* The ext4 directory hash seed for p (8-4-4-4-12 hex): for a UUID derived from the tree,
 * the seal that tells the reconcile engine so (rc_base_seal in reconcile/reconcile.h); for one
 * given by hand, the UUID itself. Either way the same tree gives the same image. */
void plan_hash_seed(const struct plan *p, char out[37]);

/* The mkfs command line for p, NULL-terminated, in argv (at most n entries, strings in buf of
 * bufsz bytes), and the environment assignments it needs in env (at most 3, NULL-terminated;
 * E2FSPROGS_FAKE_TIME, SOURCE_DATE_EPOCH). -ENOSPC when it does not fit. */
int plan_mkfs_argv(const struct plan *p, const char **argv, size_t n, const char **env, char *buf,
                   size_t bufsz);
