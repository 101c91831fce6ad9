/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The record store, kept per instance on instance storage:
 *
 *   objects/ab/cdef...      contents by SHA-256 (file data, symlink targets), read-only, shared
 *                           by every snapshot (deduplicated)
 *   snapshots/<fingerprint> manifest of a base as recorded: one line per path, sorted
 *   history                 "<seconds>.<nanoseconds> <fingerprint>" per recording
 *   backups/<run>/<path>    host files saved before an apply replaced or removed them
 *   journal                 the plan of an apply in progress (see apply.h)
 *   tmp/                    objects being written
 *
 * A manifest line: KIND MODE UID GID RDEV SIZE HASH META PATH, with KIND one of f d l p c b s,
 * MODE octal, HASH/META 64 hex digits (HASH "-" for dirs), PATH escaped (rc_escape_c).
 */
#pragma once

#include <stdbool.h>

#include "reconcile.h"
#include "util.h"

struct rc_manifest_entry {
    char *path;
    struct rc_version v;
};

struct rc_manifest {
    char fingerprint[RC_HASH_HEX];
    struct rc_manifest_entry *e; /* sorted by path (strcmp) */
    size_t n, cap;
};

struct rc_history_entry {
    int64_t sec;
    long nsec;
    char fingerprint[RC_HASH_HEX];
};

struct rc_store {
    int dfd;
    unsigned tmp_counter;
    struct rc_history_entry *hist;
    size_t nhist;
    struct rc_manifest **loaded; /* snapshots read so far */
    size_t nloaded;
    char bad_object[80]; /* the last object whose content did not match its name, or "" */
    char refused[80];    /* the last dir of the store refused as a symlink ("objects/ab") */
};

/* Take the store dir dfd (owned from here on); create: make its layout (objects/, ...). */
int rc_store_open_fd(int dfd, bool create, struct rc_store **out);
void rc_store_free(struct rc_store *s);

/* The store was prepared by sharedroot-instance create (RC_STORE_PREPARED) and nothing has
 * been recorded into it yet (its history read when not yet loaded). */
bool rc_store_prepared_unrecorded(struct rc_store *s);

/* The snapshot recorded last at or before the time (sec, nsec); *out = NULL when there is
 * none. The manifest stays owned by the store. */
int rc_store_snapshot_at(struct rc_store *s, int64_t sec, long nsec,
                         const struct rc_manifest **out);

/* "objects/ab/cdef..." for a hash. */
void rc_store_object_name(const unsigned char hash[32], char out[80]);
/* Store what fd holds (read from offset 0) unless present; *added says whether it was new. */
int rc_store_put_fd(struct rc_store *s, int fd, unsigned char hash[32], bool *added);
int rc_store_put_buf(struct rc_store *s, const void *p, size_t n, unsigned char hash[32]);
/* An object's content, checked against its name: -EBADMSG (and s->bad_object set) when it
 * does not match, -ENOENT when missing, -EFBIG beyond max bytes. */
int rc_store_read_object(struct rc_store *s, const unsigned char hash[32], size_t max,
                         struct rc_buf *out);
/* Copy an object to out (from out's offset), checked the same way: on -EBADMSG what was
 * copied must be thrown away. */
int rc_store_copy_object(struct rc_store *s, const unsigned char hash[32], int out);
/* "store object objects/ab/... does not match its name ...", or "STORE DIR is a symlink ...",
 * or NULL when nothing in the store was refused. */
char *rc_store_bad_object_text(const struct rc_store *s);

/* rc_record into an open store from an open lower dir, both already checked (opened below
 * their roots, kept apart: rc_sources_open); res->why names ov's paths. The store's layout
 * (objects/, ...) is made when something is to be written. */
int rc_record_into(struct rc_store *s, int lowerfd, const struct rc_overlay *ov,
                   struct rc_record_result *res);
/* Record the base dir lowerfd (see rc_record); *too_deep as for rc_walk. */
int rc_store_record(struct rc_store *s, int lowerfd, unsigned max_depth,
                    struct rc_record_result *res, char **too_deep);
/* The fingerprint of the base dir lowerfd (see rc_fingerprint); *info (may be NULL) says what
 * it rests on. */
int rc_fingerprint_fd(int lowerfd, unsigned max_depth, struct rc_fp_info *info,
                      char out[RC_HASH_HEX], char **too_deep);
/* The most bytes of content-pass records a fingerprint's stat pass collects on its way (a
 * record is the path and about 90 bytes); beyond, the content pass walks the dir again. A
 * variable for the tests (0: always the second walk). */
extern size_t rc_fp_collect_max;
/* Whether statfs's f_type is a read-only image format (erofs, squashfs, cramfs, iso9660,
 * romfs): built, never changed in place, its inode numbers from the layout and no ctime of
 * its own, so a stat walk cannot see a content change that kept the sizes and mtimes. */
bool rc_fp_image_fs(long f_type);
/* The rule: stat evidence is trusted on a filesystem that is not an image format and where
 * some entry's ctime differs from its mtime (times the kernel kept, not settled by a
 * reproducible build); otherwise the content is hashed too, up to RC_FP_CONTENT_MAX bytes of
 * files. */
enum rc_fp_evidence rc_fp_evidence_for(bool image_fs, bool times_kept, uint64_t file_bytes);
/* "TYPE UUID" of the filesystem holding fd, read by libblkid from its block device; "" (and
 * -ENODEV) when it has none (tmpfs, overlayfs, a filesystem without a UUID). *sealed (may be
 * NULL): an ext2/3/4 filesystem whose UUID sharedroot-mkbase derived from its content
 * (rc_base_seal, reconcile.h). */
int rc_fs_identity(int fd, char *out, size_t n, bool *sealed);
/* 1 when the filesystem holding fd is an ext2/3/4 image sealed by sharedroot-mkbase whose
 * superblock still holds the sealed write state (rc_ext_sb_untouched, reconcile.h): out is then
 * "sealed UUID"; else 0 (out ""). Reads the superblock only (1 KiB); no libblkid probe. */
int rc_fs_untouched_seal(int fd, char *out, size_t n);

/* A manifest of a live tree (below sub of rootfd), hashing every file; with store non-NULL
 * also copying contents into it (counting new objects in *added). */
int rc_manifest_from_dir(int rootfd, const char *sub, unsigned max_depth, struct rc_store *store,
                         size_t *added, struct rc_manifest **out, char **too_deep);
const struct rc_manifest_entry *rc_manifest_find(const struct rc_manifest *m, const char *path);
/* Digest of everything below dir in m (paths relative to dir): equal digests, equal trees. */
int rc_manifest_subtree_digest(const struct rc_manifest *m, const char *dir, unsigned char out[32]);
void rc_manifest_free(struct rc_manifest *m);
int rc_manifest_format(const struct rc_manifest *m, struct rc_buf *out);
/* Parse len bytes of a manifest: -EBADMSG on anything malformed (a bad line, a NUL byte, an
 * unsafe or empty path, a mode beyond 07777). */
int rc_manifest_parse(const char *text, size_t len, struct rc_manifest **out);
/* Parse a history file: lines that do not parse are skipped (a torn last line must not lose
 * the rest). */
int rc_history_parse(const char *text, size_t len, struct rc_history_entry **out, size_t *n);
