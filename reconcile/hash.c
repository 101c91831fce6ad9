// SPDX-License-Identifier: GPL-2.0-or-later
#include "hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <unistd.h>

int rc_sha_init(struct rc_sha *s)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c)
        return -ENOMEM;
    if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        return -EIO;
    }
    s->ctx = c;
    return 0;
}

int rc_sha_update(struct rc_sha *s, const void *p, size_t n)
{
    return EVP_DigestUpdate(s->ctx, p, n) == 1 ? 0 : -EIO;
}

int rc_sha_final(struct rc_sha *s, unsigned char out[32])
{
    unsigned int len = 0;
    int ok = EVP_DigestFinal_ex(s->ctx, out, &len);
    rc_sha_done(s);
    return ok == 1 && len == 32 ? 0 : -EIO;
}

void rc_sha_done(struct rc_sha *s)
{
    EVP_MD_CTX_free(s->ctx);
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
