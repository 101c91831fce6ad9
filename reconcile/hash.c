// SPDX-License-Identifier: GPL-2.0-or-later
#include "hash.h"

#include <errno.h>
#include <mbedtls/sha256.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* SHA-256 from mbedTLS: libgit2 (the merge) already depends on libmbedcrypto, so the
 * initramfs carries it anyway; OpenSSL's libcrypto would add 4.6 MB to every initramfs. */
int rc_sha_init(struct rc_sha *s)
{
    mbedtls_sha256_context *c = malloc(sizeof *c);
    if (!c)
        return -ENOMEM;
    mbedtls_sha256_init(c);
    if (mbedtls_sha256_starts_ret(c, 0) != 0) {
        mbedtls_sha256_free(c);
        free(c);
        return -EIO;
    }
    s->ctx = c;
    return 0;
}

int rc_sha_update(struct rc_sha *s, const void *p, size_t n)
{
    return mbedtls_sha256_update_ret(s->ctx, p, n) == 0 ? 0 : -EIO;
}

int rc_sha_final(struct rc_sha *s, unsigned char out[32])
{
    int r = mbedtls_sha256_finish_ret(s->ctx, out);
    rc_sha_done(s);
    return r == 0 ? 0 : -EIO;
}

int rc_sha_final_hex(struct rc_sha *s, int r, char out[65])
{
    unsigned char bin[32];

    if (r < 0) {
        rc_sha_done(s);
        return r;
    }
    r = rc_sha_final(s, bin);
    if (r >= 0)
        rc_hex(bin, sizeof bin, out);
    return r;
}

void rc_sha_done(struct rc_sha *s)
{
    if (s->ctx) {
        mbedtls_sha256_free(s->ctx);
        free(s->ctx);
    }
    s->ctx = NULL;
}

int rc_hash_buf(const void *p, size_t n, unsigned char out[32])
{
    struct rc_sha s;
    int r = rc_sha_init(&s);
    if (r < 0)
        return r;
    r = rc_sha_update(&s, p, n);
    if (r < 0) {
        rc_sha_done(&s);
        return r;
    }
    return rc_sha_final(&s, out);
}

int rc_hash_fd(int fd, unsigned char out[32], uint64_t *size)
{
    struct rc_sha s;
    unsigned char buf[65536];
    uint64_t total = 0;
    int r = rc_sha_init(&s);
    if (r < 0)
        return r;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            break;
        }
        if (n == 0)
            break;
        total += (uint64_t)n;
        r = rc_sha_update(&s, buf, (size_t)n);
        if (r < 0)
            break;
    }
    if (r < 0) {
        rc_sha_done(&s);
        return r;
    }
    if (size)
        *size = total;
    return rc_sha_final(&s, out);
}

int rc_sha_stat(struct rc_sha *s, const char *path, const struct stat *st)
{
    struct {
        uint64_t mode, uid, gid, size, ino, mtime_s, mtime_ns, ctime_s, ctime_ns, rdev;
    } fixed = {st->st_mode,
               st->st_uid,
               st->st_gid,
               (uint64_t)st->st_size,
               st->st_ino,
               (uint64_t)st->st_mtim.tv_sec,
               (uint64_t)st->st_mtim.tv_nsec,
               (uint64_t)st->st_ctim.tv_sec,
               (uint64_t)st->st_ctim.tv_nsec,
               st->st_rdev};
    int r = rc_sha_update(s, path, strlen(path) + 1);
    return r < 0 ? r : rc_sha_update(s, &fixed, sizeof fixed);
}
