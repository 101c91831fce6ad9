// SPDX-License-Identifier: GPL-2.0-or-later
/* The NBD handshake against a fake server on a socketpair: the server's side is written in
 * advance (the client's bytes wait in the other direction and are checked afterwards).
 * Well-behaved servers (NBD_OPT_GO, the NBD_OPT_EXPORT_NAME fallback, non-fixed newstyle)
 * and hostile ones: bad magic, oldstyle, lies about sizes, overlong and truncated replies,
 * endless replies, silence. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nbd-handshake.h"
#include "testlib.h"

#define GO 7
#define EXPORT_NAME 1
#define ABORT 2
#define REP_ACK 1
#define REP_INFO 3
#define ERR(n) (0x80000000u + (n))

struct srv {
    unsigned char b[200000];
    size_t n;
};

static void raw(struct srv *s, const void *p, size_t n)
{
    memcpy(s->b + s->n, p, n);
    s->n += n;
}

static void u64(struct srv *s, uint64_t v)
{
    v = htobe64(v);
    raw(s, &v, 8);
}

static void u32(struct srv *s, uint32_t v)
{
    v = htobe32(v);
    raw(s, &v, 4);
}

static void u16(struct srv *s, uint16_t v)
{
    v = htobe16(v);
    raw(s, &v, 2);
}

static void greet(struct srv *s, uint16_t hflags)
{
    u64(s, 0x4e42444d41474943ULL);
    u64(s, 0x49484156454F5054ULL);
    u16(s, hflags);
}

static void rep(struct srv *s, uint32_t opt, uint32_t type, const void *data, uint32_t len)
{
    u64(s, 0x3e889045565a9ULL);
    u32(s, opt);
    u32(s, type);
    u32(s, len);
    if (len)
        raw(s, data, len);
}

static void info_export(struct srv *s, uint64_t size, uint16_t flags)
{
    unsigned char p[12];
    uint16_t t = htobe16(0), f = htobe16(flags);
    uint64_t z = htobe64(size);
    memcpy(p, &t, 2);
    memcpy(p + 2, &z, 8);
    memcpy(p + 10, &f, 2);
    rep(s, GO, REP_INFO, p, 12);
}

static void info_block(struct srv *s, uint32_t min, uint32_t pref, uint32_t max)
{
    unsigned char p[14];
    uint16_t t = htobe16(3);
    uint32_t v[3] = {htobe32(min), htobe32(pref), htobe32(max)};
    memcpy(p, &t, 2);
    memcpy(p + 2, v, 12);
    rep(s, GO, REP_INFO, p, 14);
}

static void info_text(struct srv *s, uint16_t type, const char *text, size_t n)
{
    unsigned char p[5000];
    uint16_t t = htobe16(type);
    memcpy(p, &t, 2);
    memcpy(p + 2, text, n);
    rep(s, GO, REP_INFO, p, (uint32_t)(n + 2));
}

#define F_OK_RO (0x0001 | 0x0002 | 0x0100) /* HAS_FLAGS | READ_ONLY | CAN_MULTI_CONN */

/* A conversation: the server's bytes, then (optionally) its end of the stream. */
struct run {
    int r;
    struct nbd_export e;
    char why[512];
    unsigned char sent[8192]; /* what the client wrote */
    size_t n_sent;
    int flags_after;
};

static struct run converse(struct srv *s, bool close_after, const char *name, int timeout_ms)
{
    struct run out = {0};
    int sv[2];

    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    CHECK_INT(write(sv[1], s->b, s->n), (long long)s->n);
    if (close_after)
        shutdown(sv[1], SHUT_WR);
    out.r = nbd_handshake(sv[0], name, timeout_ms, &out.e, out.why, sizeof out.why);
    out.flags_after = fcntl(sv[0], F_GETFL);
    close(sv[0]);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    ssize_t k = read(sv[1], out.sent, sizeof out.sent);
    out.n_sent = k > 0 ? (size_t)k : 0;
    close(sv[1]);
    return out;
}

static uint32_t be32_at(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return be32toh(v);
}

static uint16_t be16_at(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return be16toh(v);
}

TEST(go_with_block_sizes)
{
    struct srv s = {0};
    greet(&s, 3);
    info_export(&s, 64 << 20, F_OK_RO);
    info_block(&s, 512, 4096, 32 << 20);
    rep(&s, GO, REP_ACK, NULL, 0);
    struct run r = converse(&s, false, "base", 2000);
    CHECK_INT(r.r, 0);
    CHECK_INT(r.e.size, 64 << 20);
    CHECK_INT(r.e.flags, F_OK_RO);
    CHECK_INT(r.e.min_block, 512);
    CHECK_INT(r.e.pref_block, 4096);
    CHECK_INT(r.e.max_payload, 32 << 20);
    CHECK(r.e.used_go);
    /* client flags FIXED_NEWSTYLE|NO_ZEROES, then IHAVEOPT GO len=4+4+2+2 "base" 1 x BLOCK_SIZE */
    CHECK_INT(r.n_sent, 4 + 16 + 12);
    CHECK_INT(be32_at(r.sent), 3);
    CHECK(memcmp(r.sent + 4, "IHAVEOPT", 8) == 0);
    CHECK_INT(be32_at(r.sent + 12), GO);
    CHECK_INT(be32_at(r.sent + 16), 12);
    CHECK_INT(be32_at(r.sent + 20), 4);
    CHECK(memcmp(r.sent + 24, "base", 4) == 0);
    CHECK_INT(be16_at(r.sent + 28), 1);
    CHECK_INT(be16_at(r.sent + 30), 3);
    CHECK(!(r.flags_after & O_NONBLOCK));
}

TEST(go_default_export_and_unknown_infos_ignored)
{
    struct srv s = {0};
    greet(&s, 1);
    info_text(&s, 1, "canonical", 9);
    info_text(&s, 77, "future info type", 16);
    info_export(&s, 4096, 0x0001);
    info_text(&s, 2, "desc\x01\xff", 6);
    rep(&s, GO, REP_ACK, NULL, 0);
    struct run r = converse(&s, false, "", 2000);
    CHECK_INT(r.r, 0);
    CHECK_INT(r.e.size, 4096);
    CHECK_INT(r.e.min_block, 0);
    CHECK_STR(r.e.description, "desc??");
    CHECK_INT(be32_at(r.sent), 1); /* no NO_ZEROES: the server did not offer it */
    CHECK_INT(be32_at(r.sent + 20), 0);
}

TEST(go_unsupported_falls_back_to_export_name)
{
    struct srv s = {0};
    unsigned char zeroes[124] = {0};
    greet(&s, 1);
    rep(&s, GO, ERR(1), "what is GO", 10);
    u64(&s, 1 << 20);
    u16(&s, 0x0003);
    raw(&s, zeroes, sizeof zeroes);
    struct run r = converse(&s, false, "base", 2000);
    CHECK_INT(r.r, 0);
    CHECK(!r.e.used_go);
    CHECK_INT(r.e.size, 1 << 20);
    CHECK_INT(r.e.flags, 3);
    /* after the GO: IHAVEOPT EXPORT_NAME len=4 "base" */
    size_t go = 4 + 16 + 12;
    CHECK_INT(r.n_sent, go + 16 + 4);
    CHECK_INT(be32_at(r.sent + go + 8), EXPORT_NAME);
    CHECK_INT(be32_at(r.sent + go + 12), 4);
    CHECK(memcmp(r.sent + go + 16, "base", 4) == 0);
}

TEST(plain_newstyle_server_gets_export_name)
{
    struct srv s = {0};
    greet(&s, 2); /* NO_ZEROES but not FIXED_NEWSTYLE */
    u64(&s, 8192);
    u16(&s, 0x0001);
    struct run r = converse(&s, false, "x", 2000);
    CHECK_INT(r.r, 0);
    CHECK(!r.e.used_go);
    CHECK_INT(be32_at(r.sent), 2);
    CHECK_INT(be32_at(r.sent + 12), EXPORT_NAME);
}

TEST(unknown_export_names_what_the_server_said)
{
    struct srv s = {0};
    greet(&s, 3);
    rep(&s, GO, ERR(6), "no export 'nope'\n", 17);
    struct run r = converse(&s, false, "nope", 2000);
    CHECK_INT(r.r, -ENOENT);
    CHECK(strstr(r.why, "no such export") && strstr(r.why, "no export 'nope'?"));
    /* a soft disconnect followed the error */
    size_t go = 4 + 16 + 12;
    CHECK_INT(r.n_sent, go + 16);
    CHECK_INT(be32_at(r.sent + go + 8), ABORT);
}

TEST(export_name_refused_by_closing)
{
    struct srv s = {0};
    greet(&s, 0);
    struct run r = converse(&s, true, "nope", 2000);
    CHECK_INT(r.r, -ENOENT);
    CHECK(strstr(r.why, "NBD_OPT_EXPORT_NAME") != NULL);
}

TEST(error_replies_map_to_errno)
{
    static const struct {
        uint32_t type;
        int err;
    } m[] = {{ERR(2), -EACCES},          {ERR(3), -EPROTO},    {ERR(4), -EPROTONOSUPPORT},
             {ERR(5), -EPROTONOSUPPORT}, {ERR(7), -ESHUTDOWN}, {ERR(8), -EPROTO},
             {ERR(9), -EPROTO},          {ERR(99), -EIO}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        struct srv s = {0};
        greet(&s, 1);
        rep(&s, GO, m[i].type, NULL, 0);
        struct run r = converse(&s, false, "b", 2000);
        CHECK_INT(r.r, m[i].err);
        CHECK(r.why[0]);
    }
}

TEST(not_an_nbd_server)
{
    struct srv s = {0};
    raw(&s, "SSH-2.0-OpenSSH_9.2p1 Debian\r\n", 30);
    struct run r = converse(&s, true, "b", 2000);
    CHECK_INT(r.r, -EPROTO);
    CHECK(strstr(r.why, "not an NBD server") != NULL);
    CHECK_INT(r.n_sent, 0);
}

TEST(oldstyle_server_is_refused)
{
    struct srv s = {0};
    unsigned char zeroes[124] = {0};
    u64(&s, 0x4e42444d41474943ULL);
    u64(&s, 0x00420281861253ULL);
    u64(&s, 1 << 20);
    u32(&s, 1);
    raw(&s, zeroes, sizeof zeroes);
    struct run r = converse(&s, false, "b", 2000);
    CHECK_INT(r.r, -EPROTONOSUPPORT);
    CHECK(strstr(r.why, "oldstyle") != NULL);
}

TEST(overlong_reply_is_refused_before_reading_it)
{
    struct srv s = {0};
    greet(&s, 1);
    u64(&s, 0x3e889045565a9ULL);
    u32(&s, GO);
    u32(&s, REP_INFO);
    u32(&s, 0xffffffffu);
    struct run r = converse(&s, false, "b", 2000);
    CHECK_INT(r.r, -EPROTO);
    CHECK(strstr(r.why, "4294967295 bytes") != NULL);
}

TEST(reply_length_bound_is_exact)
{
    char text[NBD_REPLY_MAX];
    memset(text, 'd', sizeof text);
    struct srv s = {0};
    greet(&s, 1);
    info_text(&s, 2, text, NBD_REPLY_MAX - 2); /* exactly NBD_REPLY_MAX */
    info_export(&s, 4096, 1);
    rep(&s, GO, REP_ACK, NULL, 0);
    struct run r = converse(&s, false, "b", 2000);
    CHECK_INT(r.r, 0);
    CHECK_INT(strlen(r.e.description), sizeof r.e.description - 1);

    struct srv t = {0};
    greet(&t, 1);
    info_text(&t, 2, text, NBD_REPLY_MAX - 1);
    r = converse(&t, false, "b", 2000);
    CHECK_INT(r.r, -EPROTO);
}

TEST(two_different_sizes_are_a_lie)
{
    struct srv s = {0};
    greet(&s, 1);
    info_export(&s, 1 << 20, 1);
    info_export(&s, 1ULL << 40, 1);
    rep(&s, GO, REP_ACK, NULL, 0);
    struct run r = converse(&s, false, "b", 2000);
    CHECK_INT(r.r, -EPROTO);
    CHECK(strstr(r.why, "two different") != NULL);

    struct srv t = {0}; /* the same twice is fine */
    greet(&t, 1);
    info_export(&t, 1 << 20, 1);
    info_export(&t, 1 << 20, 1);
    rep(&t, GO, REP_ACK, NULL, 0);
    CHECK_INT(converse(&t, false, "b", 2000).r, 0);
}

TEST(impossible_sizes_and_flags)
{
    struct {
        uint64_t size;
        uint16_t flags;
        int err;
    } c[] = {{0, 1, -ENODATA},         {511, 1, -ENODATA}, {UINT64_MAX, 1, -EPROTO},
             {1ULL << 63, 1, -EPROTO}, {4096, 0, -EPROTO}, {(1ULL << 63) - 1, 1, 0}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct srv s = {0};
        greet(&s, 1);
        info_export(&s, c[i].size, c[i].flags);
        rep(&s, GO, REP_ACK, NULL, 0);
        CHECK_INT(converse(&s, false, "b", 2000).r, c[i].err);
    }
    /* the same checks after NBD_OPT_EXPORT_NAME */
    struct srv t = {0};
    greet(&t, 2);
    u64(&t, 0);
    u16(&t, 1);
    CHECK_INT(converse(&t, false, "b", 2000).r, -ENODATA);
}

TEST(invalid_block_sizes)
{
    uint32_t c[][3] = {{3, 4096, 1 << 20},    {1 << 17, 1 << 17, 1 << 20}, {512, 256, 1 << 20},
                       {4096, 2048, 1 << 20}, {512, 4096, 1024},           {0, 4096, 1 << 20},
                       {512, 3000, 1 << 20}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct srv s = {0};
        greet(&s, 1);
        info_export(&s, 1 << 20, 1);
        info_block(&s, c[i][0], c[i][1], c[i][2]);
        rep(&s, GO, REP_ACK, NULL, 0);
        CHECK_INT(converse(&s, false, "b", 2000).r, -EPROTO);
    }
    struct srv s = {0}; /* min 1 (a file), max "no limit" */
    greet(&s, 1);
    info_export(&s, 1 << 20, 1);
    info_block(&s, 1, 512, 0xffffffffu);
    rep(&s, GO, REP_ACK, NULL, 0);
    CHECK_INT(converse(&s, false, "b", 2000).r, 0);
}

TEST(malformed_replies)
{
    struct srv a = {0}; /* ACK without an export */
    greet(&a, 1);
    rep(&a, GO, REP_ACK, NULL, 0);
    CHECK_INT(converse(&a, false, "b", 2000).r, -EPROTO);

    struct srv b = {0}; /* NBD_INFO_EXPORT of the wrong length */
    unsigned char p[13] = {0};
    greet(&b, 1);
    rep(&b, GO, REP_INFO, p, 13);
    CHECK_INT(converse(&b, false, "b", 2000).r, -EPROTO);

    struct srv c = {0}; /* a reply to another option */
    greet(&c, 1);
    rep(&c, 3, REP_ACK, NULL, 0);
    CHECK_INT(converse(&c, false, "b", 2000).r, -EPROTO);

    struct srv d = {0}; /* bad reply magic */
    greet(&d, 1);
    u64(&d, 0x1234);
    u32(&d, GO);
    u32(&d, REP_ACK);
    u32(&d, 0);
    CHECK_INT(converse(&d, false, "b", 2000).r, -EPROTO);

    struct srv e = {0}; /* an ACK with data */
    greet(&e, 1);
    info_export(&e, 4096, 1);
    rep(&e, GO, REP_ACK, "xx", 2);
    CHECK_INT(converse(&e, false, "b", 2000).r, -EPROTO);

    struct srv f = {0}; /* NBD_REP_SERVER is no answer to GO */
    greet(&f, 1);
    rep(&f, GO, 2, "\0\0\0\0", 4);
    CHECK_INT(converse(&f, false, "b", 2000).r, -EPROTO);

    struct srv g = {0}; /* an INFO too short to carry its type */
    greet(&g, 1);
    rep(&g, GO, REP_INFO, "x", 1);
    CHECK_INT(converse(&g, false, "b", 2000).r, -EPROTO);

    struct srv h = {0}; /* bad second magic */
    u64(&h, 0x4e42444d41474943ULL);
    u64(&h, 0x4141414141414141ULL);
    u16(&h, 1);
    CHECK_INT(converse(&h, false, "b", 2000).r, -EPROTO);
}

TEST(endless_replies_are_cut_off)
{
    struct srv s = {0};
    greet(&s, 1);
    for (int i = 0; i < NBD_REPLIES_MAX + 5; i++)
        info_text(&s, 2, "again", 5);
    struct run r = converse(&s, false, "b", 2000);
    CHECK_INT(r.r, -EPROTO);
    CHECK(strstr(r.why, "more than") != NULL);
}

TEST(silent_server_times_out)
{
    struct srv s = {0};
    greet(&s, 1); /* and then nothing */
    struct run r = converse(&s, false, "b", 150);
    CHECK_INT(r.r, -ETIMEDOUT);
    CHECK(strstr(r.why, "in time") != NULL);
    struct srv t = {0}; /* not even a greeting */
    CHECK_INT(converse(&t, false, "b", 50).r, -ETIMEDOUT);
}

TEST(truncated_conversations)
{
    struct srv full = {0};
    greet(&full, 1);
    info_export(&full, 1 << 20, 1);
    rep(&full, GO, REP_ACK, NULL, 0);
    /* every proper prefix of a good conversation, then the server hangs up */
    for (size_t cut = 0; cut < full.n; cut++) {
        struct srv s = {0};
        raw(&s, full.b, cut);
        struct run r = converse(&s, true, "b", 2000);
        CHECK(r.r == -ECONNRESET || r.r == -ENOENT || r.r == -EPROTO);
        CHECK(r.why[0]);
    }
}

TEST(server_strings_are_cut_and_printable)
{
    char msg[4000];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (char)(i % 256);
    struct srv s = {0};
    greet(&s, 1);
    rep(&s, GO, ERR(6), msg, sizeof msg);
    struct run r = converse(&s, false, "b", 2000);
    CHECK_INT(r.r, -ENOENT);
    CHECK(strlen(r.why) < sizeof r.why);
    for (const char *p = r.why; *p; p++)
        CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
}

TEST(retryable_errors)
{
    CHECK(nbd_handshake_retryable(-ECONNREFUSED));
    CHECK(nbd_handshake_retryable(-ECONNRESET));
    CHECK(nbd_handshake_retryable(-ETIMEDOUT));
    CHECK(nbd_handshake_retryable(-ESHUTDOWN));
    CHECK(nbd_handshake_retryable(-EHOSTUNREACH));
    CHECK(!nbd_handshake_retryable(-ENOENT));
    CHECK(!nbd_handshake_retryable(-EPROTO));
    CHECK(!nbd_handshake_retryable(-EACCES));
    CHECK(!nbd_handshake_retryable(-ENODATA));
}

/* Random servers (deterministic seed): a valid conversation with bytes flipped, cut or
 * inserted. No crash, no hang, a known result. */
static unsigned rnd(unsigned long long *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (unsigned)(*x >> 11);
}

TEST(mutated_servers)
{
    unsigned long long seed = 0x5eed;
    struct srv good = {0};
    greet(&good, 3);
    info_text(&good, 2, "base image", 10);
    info_export(&good, 1 << 30, F_OK_RO);
    info_block(&good, 512, 4096, 1 << 25);
    rep(&good, GO, REP_ACK, NULL, 0);
    for (int i = 0; i < 3000; i++) {
        struct srv s = good;
        int edits = 1 + (int)(rnd(&seed) % 4);
        for (int k = 0; k < edits; k++) {
            size_t at = rnd(&seed) % s.n;
            switch (rnd(&seed) % 3) {
            case 0:
                s.b[at] ^= (unsigned char)(1u << (rnd(&seed) % 8));
                break;
            case 1:
                s.n = at;
                break;
            default:
                s.b[at] = (unsigned char)rnd(&seed);
                break;
            }
            if (s.n == 0)
                break;
        }
        struct run r = converse(&s, true, "base", 500);
        CHECK(r.r == 0 || r.r == -EPROTO || r.r == -ECONNRESET || r.r == -ENOENT ||
              r.r == -ENODATA || r.r == -EACCES || r.r == -EPROTONOSUPPORT || r.r == -ESHUTDOWN ||
              r.r == -EIO);
        if (r.r == 0) {
            CHECK(r.e.size >= 512 && r.e.size <= (uint64_t)INT64_MAX);
            CHECK(r.e.flags & 1);
        } else {
            CHECK(r.why[0]);
        }
        if (test_failed_now)
            break;
    }
}

int main(void)
{
    return test_main();
}
