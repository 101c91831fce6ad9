// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-mkbase's decisions. See baseplan.h.
 */
#include "baseplan.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile.h"

int plan_parse_type(const char *s, enum base_type *t)
{
    if (s && strcmp(s, "ext4") == 0)
        *t = BASE_EXT4;
    else if (s && strcmp(s, "erofs") == 0)
        *t = BASE_EROFS;
    else
        return -EINVAL;
    return 0;
}

int plan_check_label(const char *s, const char **why)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > MKBASE_LABEL_MAX) {
        *why = "a label is 1 to 16 bytes";
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == '/' || c == '"' || c == '\\' || c == '\'') {
            *why = "a label is printable ASCII without white space, quotes, '/' or '\\' (it "
                   "is written in root=LABEL= and fstab)";
            return -EINVAL;
        }
    }
    return 0;
}

int plan_parse_uuid(const char *s, char out[37])
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (!s || strlen(s) != sizeof shape - 1)
        return -EINVAL;
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return -EINVAL;
        out[i] = (char)tolower((unsigned char)s[i]);
    }
    out[36] = '\0';
    return 0;
}

uint64_t plan_align(uint64_t bytes)
{
    uint64_t rem = bytes % MKBASE_ALIGN;
    if (!rem)
        return bytes;
    if (bytes > UINT64_MAX - (MKBASE_ALIGN - rem))
        return bytes - rem;
    return bytes + (MKBASE_ALIGN - rem);
}

int plan_parse_size(const char *s, uint64_t *bytes)
{
    static const char units[] = "KMGT";
    unsigned long long v;
    char *end;
    int shift = 0;

    if (!s || !isdigit((unsigned char)s[0]))
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno)
        return -ERANGE;
    if (*end) {
        const char *u = strchr(units, toupper((unsigned char)*end));
        if (!u || end[1])
            return -EINVAL;
        shift = 10 * (int)(u - units + 1);
    }
    if (v > (UINT64_C(16) << 40) >> shift)
        return -ERANGE;
    v <<= shift;
    if (v < 8u * 1024 * 1024)
        return -ERANGE;
    *bytes = plan_align(v);
    return 0;
}

void plan_uuid_from(const struct tree_stats *st, enum base_type t, const char *label, char out[37])
{
    unsigned char b[16];
    size_t ln = label ? strlen(label) : 0;

    memcpy(b, st->fingerprint, 16);
    /* the type and the label count too: ext4 and erofs images of one tree differ */
    b[0] ^= (unsigned char)(t + 1);
    for (size_t i = 0; i < ln; i++)
        b[1 + i % 15] ^= (unsigned char)label[i];
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 layout */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

uint64_t plan_ext4_inodes(const struct tree_stats *st)
{
    uint64_t n = st->files + st->dirs + st->symlinks + st->others;
    return n + n / 8 + 1024;
}

uint64_t plan_ext4_size(const struct tree_stats *st)
{
    uint64_t blocks = st->data_blocks + st->dirs + st->dir_bytes / MKBASE_BLOCK;
    uint64_t inode_bytes = plan_ext4_inodes(st) * 256;
    /* room for the allocator and the block group metadata (bitmaps, descriptors, indirect
     * and extent blocks of big files): a tenth, and 16 MiB for a small tree */
    uint64_t bytes = blocks * MKBASE_BLOCK + inode_bytes;
    bytes += bytes / 10 + 16u * 1024 * 1024;
    return plan_align(bytes);
}

/* Bump-allocate a formatted string in buf. */
static const char *put(char *buf, size_t bufsz, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static const char *put(char *buf, size_t bufsz, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*used >= bufsz)
        return NULL;
    va_start(ap, fmt);
    n = vsnprintf(buf + *used, bufsz - *used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= bufsz - *used)
        return NULL;
    const char *s = buf + *used;
    *used += (size_t)n + 1;
    return s;
}

void plan_hash_seed(const struct plan *p, char out[37])
{
    uint8_t b[16], seed[16];
    size_t k = 0;

    snprintf(out, 37, "%s", p->uuid);
    if (!p->uuid_derived)
        return;
    for (size_t i = 0; p->uuid[i] && p->uuid[i + 1] && k < 16; i++) {
        if (p->uuid[i] == '-')
            continue;
        char hex[3] = {p->uuid[i], p->uuid[i + 1], 0};
        b[k++] = (uint8_t)strtoul(hex, NULL, 16);
        i++;
    }
    if (k != 16)
        return; /* not a UUID: never a seal */
    rc_base_seal(b, seed);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             seed[0], seed[1], seed[2], seed[3], seed[4], seed[5], seed[6], seed[7], seed[8],
             seed[9], seed[10], seed[11], seed[12], seed[13], seed[14], seed[15]);
}

int plan_mkfs_argv(const struct plan *p, const char **argv, size_t n, const char **env, char *buf,
                   size_t bufsz)
{
    const char *v[32];
    size_t k = 0, used = 0;

    if (p->type == BASE_EXT4) {
        env[0] = put(buf, bufsz, &used, "E2FSPROGS_FAKE_TIME=%" PRId64, p->timestamp);
        env[1] = NULL;
        v[k++] = "mkfs.ext4";
        v[k++] = "-q";
        v[k++] = "-F";
        v[k++] = "-b";
        v[k++] = "4096";
        /* a read-only base has nothing to journal; no inline data (dax refuses it); no
         * blocks reserved for root (nobody writes it) */
        v[k++] = "-O";
        v[k++] = "^has_journal,^inline_data";
        v[k++] = "-m";
        v[k++] = "0";
        v[k++] = "-N";
        v[k++] = put(buf, bufsz, &used, "%" PRIu64, p->inodes);
        v[k++] = "-U";
        v[k++] = p->uuid;
        /* the directory hash seed is random unless given: the same tree, the same image;
         * for a UUID derived from the tree, the seal that says so (rc_base_seal, reconcile.h) */
        char seed[37];
        plan_hash_seed(p, seed);
        v[k++] = "-E";
        v[k++] = put(buf, bufsz, &used, "hash_seed=%s,nodiscard", seed);
        if (p->label) {
            v[k++] = "-L";
            v[k++] = p->label;
        }
        v[k++] = "-d";
        v[k++] = p->dir;
        v[k++] = p->output;
        v[k++] = put(buf, bufsz, &used, "%" PRIu64 "k", p->size / 1024);
    } else {
        /* mkfs.erofs clamps newer mtimes to SOURCE_DATE_EPOCH and writes it as the build
         * time; -T would give every file that one time */
        env[0] = put(buf, bufsz, &used, "SOURCE_DATE_EPOCH=%" PRId64, p->timestamp);
        env[1] = NULL;
        v[k++] = "mkfs.erofs";
        v[k++] = "--quiet";
        /* every regular file in whole blocks of its own: erofs maps with dax only such
         * "flat plain" files, not those whose tail is packed inline with the inode (the
         * default), which a guest then reads into its own page cache */
        v[k++] = "-Enoinline_data";
        v[k++] = "-U";
        v[k++] = p->uuid;
        /* mkfs.erofs 1.5 has no -L: the label is written into the superblock afterwards,
         * which its checksum would then not cover */
        if (p->label)
            v[k++] = "-Enosbcrc";
        v[k++] = p->output;
        v[k++] = p->dir;
    }
    for (size_t i = 0; i < k; i++)
        if (!v[i])
            return -ENOSPC;
    if (!env[0] || k + 1 > n)
        return -ENOSPC;
    memcpy(argv, v, k * sizeof *v);
    argv[k] = NULL;
    return 0;
}
