/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 of contents, streamed. mbedTLS's libmbedcrypto rather than libgit2: libgit2 has
 * no public streaming hash (git_odb_hash wants the whole blob in memory, and a base may hold
 * files larger than RAM), and SHA-256 keeps the store's names collision-resistant even
 * against a hostile upper, which SHA-1 no longer is.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct rc_sha {
    void *ctx; /* mbedtls_sha256_context */
};

int rc_sha_init(struct rc_sha *s);
int rc_sha_update(struct rc_sha *s, const void *p, size_t n);
/* Writes 32 bytes and frees the context. */
int rc_sha_final(struct rc_sha *s, unsigned char out[32]);
void rc_sha_done(struct rc_sha *s);
/* End a walk's digest: when r (the walk's result) is negative, only free s and return r;
 * else finish s into out, 64 lower-case hex digits and a NUL. */
int rc_sha_final_hex(struct rc_sha *s, int r, char out[65]);
/* Add a path (with its NUL) and its stat fields (mode, owner, size, inode, mtime, ctime,
 * rdev, as 64-bit words) to s: the record of one entry in the stat-walk fingerprints (the
 * base's in store.c, the upper's in settled.c). The byte layout is part of recorded
 * fingerprints: changing it changes every fingerprint. */
int rc_sha_stat(struct rc_sha *s, const char *path, const struct stat *st);

int rc_hash_buf(const void *p, size_t n, unsigned char out[32]);
/* Hash everything readable from fd (from its current offset) in fixed-size chunks; *size
 * (may be NULL) gets the byte count. */
int rc_hash_fd(int fd, unsigned char out[32], uint64_t *size);
