// SPDX-License-Identifier: GPL-2.0-or-later
#include "nbd-handshake.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "time-util.h"

#define NBD_MAGIC 0x4e42444d41474943ULL    /* "NBDMAGIC" */
#define NBD_IHAVEOPT 0x49484156454F5054ULL /* "IHAVEOPT" */
#define NBD_CLISERV 0x00420281861253ULL    /* oldstyle negotiation */
#define NBD_REP_MAGIC 0x3e889045565a9ULL

#define NBD_HFLAG_FIXED_NEWSTYLE (1u << 0)
#define NBD_HFLAG_NO_ZEROES (1u << 1)

#define NBD_OPT_EXPORT_NAME 1
#define NBD_OPT_ABORT 2
#define NBD_OPT_GO 7

#define NBD_REP_ACK 1
#define NBD_REP_INFO 3
#define NBD_REP_FLAG_ERROR (1u << 31)
#define NBD_REP_ERR_UNSUP (NBD_REP_FLAG_ERROR + 1)
#define NBD_REP_ERR_POLICY (NBD_REP_FLAG_ERROR + 2)
#define NBD_REP_ERR_INVALID (NBD_REP_FLAG_ERROR + 3)
#define NBD_REP_ERR_PLATFORM (NBD_REP_FLAG_ERROR + 4)
#define NBD_REP_ERR_TLS_REQD (NBD_REP_FLAG_ERROR + 5)
#define NBD_REP_ERR_UNKNOWN (NBD_REP_FLAG_ERROR + 6)
#define NBD_REP_ERR_SHUTDOWN (NBD_REP_FLAG_ERROR + 7)
#define NBD_REP_ERR_BLOCK_SIZE_REQD (NBD_REP_FLAG_ERROR + 8)
#define NBD_REP_ERR_TOO_BIG (NBD_REP_FLAG_ERROR + 9)

#define NBD_INFO_EXPORT 0
#define NBD_INFO_DESCRIPTION 2
#define NBD_INFO_BLOCK_SIZE 3

/* The zero padding after NBD_OPT_EXPORT_NAME's reply, unless NO_ZEROES was agreed */
#define NBD_EXPORT_NAME_PADDING 124

/* One conversation: the socket, the deadline and where the explanation goes. */
struct conv {
    int fd;
    long long deadline_ms;
    char *why;
    size_t why_n;
};

__attribute__((format(printf, 3, 4))) static int say(struct conv *c, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, c->why_n, fmt, ap);
    va_end(ap);
    return -err;
}

static int wait_fd(struct conv *c, short events)
{
    for (;;) {
        long long left = c->deadline_ms - (long long)now_ms();
        struct pollfd p = {.fd = c->fd, .events = events};
        int n;

        if (left <= 0)
            return -ETIMEDOUT;
        n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -errno;
    }
}

/* Exactly n bytes, or -ECONNRESET when the server closed the connection first. */
static int rd(struct conv *c, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t k = read(c->fd, (char *)buf + got, n - got);
        if (k > 0) {
            got += (size_t)k;
            continue;
        }
        if (k == 0)
            return -ECONNRESET;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int r = wait_fd(c, POLLIN);
        if (r < 0)
            return r;
    }
    return 0;
}

static int wr(struct conv *c, const void *buf, size_t n)
{
    size_t done = 0;

    while (done < n) {
        ssize_t k = send(c->fd, (const char *)buf + done, n - done, MSG_NOSIGNAL);
        if (k >= 0) {
            done += (size_t)k;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int r = wait_fd(c, POLLOUT);
        if (r < 0)
            return r;
    }
    return 0;
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return be64toh(v);
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return be32toh(v);
}

static uint16_t get16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return be16toh(v);
}

static void put64(unsigned char *p, uint64_t v)
{
    v = htobe64(v);
    memcpy(p, &v, 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    v = htobe32(v);
    memcpy(p, &v, 4);
}

static void put16(unsigned char *p, uint16_t v)
{
    v = htobe16(v);
    memcpy(p, &v, 2);
}

/* A string from the server, cut to the buffer and made printable for a console. */
static void printable_copy(char *dst, size_t cap, const unsigned char *src, size_t n)
{
    size_t i;

    for (i = 0; i < n && i + 1 < cap; i++)
        dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
    dst[i] = 0;
}

static int send_option(struct conv *c, uint32_t opt, const void *data, uint32_t len)
{
    unsigned char h[16];
    int r;

    put64(h, NBD_IHAVEOPT);
    put32(h + 8, opt);
    put32(h + 12, len);
    r = wr(c, h, sizeof h);
    if (r == 0 && len)
        r = wr(c, data, len);
    return r;
}

/* After an error reply the protocol wants a soft disconnect; a failure here changes nothing. */
static void soft_disconnect(struct conv *c)
{
    long long saved = c->deadline_ms;

    c->deadline_ms = (long long)now_ms() + 100;
    send_option(c, NBD_OPT_ABORT, NULL, 0);
    c->deadline_ms = saved;
}

static int io_error(struct conv *c, int r, const char *when)
{
    if (r == -ETIMEDOUT)
        return say(c, ETIMEDOUT, "no answer from the server %s in time", when);
    if (r == -ECONNRESET)
        return say(c, ECONNRESET, "the server closed the connection %s", when);
    return say(c, -r, "connection failed %s: %s", when, strerror(-r));
}

static bool pow2(uint32_t v)
{
    return v && !(v & (v - 1));
}

/* proto.md, "Size constraints" */
static int check_block_sizes(struct conv *c, const struct nbd_export *e)
{
    if (!e->min_block)
        return 0;
    if (!pow2(e->min_block) || e->min_block > 65536)
        return say(c, EPROTO,
                   "the server sent an invalid minimum block size %u (must be a power "
                   "of 2 up to 65536)",
                   e->min_block);
    if (!pow2(e->pref_block) || e->pref_block < 512 || e->pref_block < e->min_block)
        return say(c, EPROTO, "the server sent an invalid preferred block size %u", e->pref_block);
    if (e->max_payload < e->pref_block)
        return say(c, EPROTO,
                   "the server sent a maximum payload (%u) below its preferred block "
                   "size (%u)",
                   e->max_payload, e->pref_block);
    return 0;
}

static int check_export(struct conv *c, const struct nbd_export *e)
{
    if (!(e->flags & NBD_TFLAG_HAS_FLAGS))
        return say(c, EPROTO,
                   "the server's transmission flags 0x%04x lack NBD_FLAG_HAS_FLAGS, "
                   "which every NBD server sets",
                   e->flags);
    if (e->size > (uint64_t)INT64_MAX)
        return say(c, EPROTO, "the server claims an impossible export size of %llu bytes",
                   (unsigned long long)e->size);
    if (e->size < 512)
        return say(c, ENODATA, "the export is empty (%llu bytes, less than one sector)",
                   (unsigned long long)e->size);
    return check_block_sizes(c, e);
}

/* An NBD_REP_INFO payload of len bytes. */
static int take_info(struct conv *c, const unsigned char *p, uint32_t len, struct nbd_export *e,
                     bool *have_export)
{
    uint16_t type;

    if (len < 2)
        return say(c, EPROTO, "the server sent an NBD_REP_INFO of %u bytes", len);
    type = get16(p);
    switch (type) {
    case NBD_INFO_EXPORT: {
        uint64_t size;
        uint16_t flags;
        if (len != 12)
            return say(c, EPROTO, "the server sent an NBD_INFO_EXPORT of %u bytes (must be 12)",
                       len);
        size = get64(p + 2);
        flags = get16(p + 10);
        if (*have_export && (size != e->size || flags != e->flags))
            return say(c, EPROTO,
                       "the server sent two different NBD_INFO_EXPORT replies (size "
                       "%llu then %llu, flags 0x%x then 0x%x)",
                       (unsigned long long)e->size, (unsigned long long)size, e->flags, flags);
        e->size = size;
        e->flags = flags;
        *have_export = true;
        return 0;
    }
    case NBD_INFO_BLOCK_SIZE:
        if (len != 14)
            return say(c, EPROTO, "the server sent an NBD_INFO_BLOCK_SIZE of %u bytes (must be 14)",
                       len);
        e->min_block = get32(p + 2);
        e->pref_block = get32(p + 6);
        e->max_payload = get32(p + 10);
        if (!e->min_block)
            return say(c, EPROTO, "the server sent a minimum block size of 0");
        return 0;
    case NBD_INFO_DESCRIPTION:
        printable_copy(e->description, sizeof e->description, p + 2, len - 2);
        return 0;
    default:
        return 0; /* proto.md: the client MUST ignore information types it does not know */
    }
}

static int error_reply(struct conv *c, uint32_t type, const unsigned char *p, uint32_t len)
{
    char text[256];

    printable_copy(text, sizeof text, p, len);
    soft_disconnect(c);
    switch (type) {
    case NBD_REP_ERR_UNKNOWN:
        return say(c, ENOENT, "the server has no such export%s%s", *text ? ": " : "", text);
    case NBD_REP_ERR_POLICY:
        return say(c, EACCES, "the server refuses this client by policy%s%s", *text ? ": " : "",
                   text);
    case NBD_REP_ERR_TLS_REQD:
        return say(c, EPROTONOSUPPORT,
                   "the server requires TLS, which sharedroot does not "
                   "speak%s%s",
                   *text ? ": " : "", text);
    case NBD_REP_ERR_PLATFORM:
        return say(c, EPROTONOSUPPORT, "the server cannot serve this request on its platform%s%s",
                   *text ? ": " : "", text);
    case NBD_REP_ERR_SHUTDOWN:
        return say(c, ESHUTDOWN, "the server is shutting down%s%s", *text ? ": " : "", text);
    case NBD_REP_ERR_INVALID:
    case NBD_REP_ERR_BLOCK_SIZE_REQD:
    case NBD_REP_ERR_TOO_BIG:
        return say(c, EPROTO, "the server rejected NBD_OPT_GO (error %u)%s%s",
                   type & ~NBD_REP_FLAG_ERROR, *text ? ": " : "", text);
    default:
        return say(c, EIO, "the server answered NBD_OPT_GO with error %u%s%s",
                   type & ~NBD_REP_FLAG_ERROR, *text ? ": " : "", text);
    }
}

/* NBD_OPT_GO asking for NBD_INFO_BLOCK_SIZE. -EOPNOTSUPP: the server does not know the
 * option; fall back to NBD_OPT_EXPORT_NAME. */
static int opt_go(struct conv *c, const char *name, struct nbd_export *e)
{
    size_t nl = strlen(name);
    unsigned char data[4 + NBD_REPLY_MAX + 4];
    unsigned char buf[NBD_REPLY_MAX];
    bool have_export = false;
    int r;

    if (nl > NBD_REPLY_MAX)
        return say(c, ENAMETOOLONG, "export name too long");
    put32(data, (uint32_t)nl);
    memcpy(data + 4, name, nl);
    put16(data + 4 + nl, 1); /* one information request: */
    put16(data + 6 + nl, NBD_INFO_BLOCK_SIZE);
    r = send_option(c, NBD_OPT_GO, data, (uint32_t)(nl + 8));
    if (r < 0)
        return io_error(c, r, "while sending NBD_OPT_GO");
    for (int i = 0; i < NBD_REPLIES_MAX; i++) {
        unsigned char h[20];
        uint32_t opt, type, len;

        r = rd(c, h, sizeof h);
        if (r < 0)
            return io_error(c, r, "while answering NBD_OPT_GO");
        if (get64(h) != NBD_REP_MAGIC)
            return say(c, EPROTO, "the server's option reply has a bad magic number");
        opt = get32(h + 8);
        type = get32(h + 12);
        len = get32(h + 16);
        if (opt != NBD_OPT_GO)
            return say(c, EPROTO, "the server answered option %u, not NBD_OPT_GO", opt);
        if (len > NBD_REPLY_MAX)
            return say(c, EPROTO, "the server sent an option reply of %u bytes (more than %u)", len,
                       NBD_REPLY_MAX);
        r = rd(c, buf, len);
        if (r < 0)
            return io_error(c, r, "in the middle of an option reply");
        if (type == NBD_REP_ERR_UNSUP)
            return -EOPNOTSUPP;
        if (type & NBD_REP_FLAG_ERROR)
            return error_reply(c, type, buf, len);
        if (type == NBD_REP_INFO) {
            r = take_info(c, buf, len, e, &have_export);
            if (r < 0)
                return r;
            continue;
        }
        if (type != NBD_REP_ACK)
            return say(c, EPROTO, "the server answered NBD_OPT_GO with reply type %u", type);
        if (len != 0)
            return say(c, EPROTO, "the server's NBD_REP_ACK carries %u bytes of data", len);
        if (!have_export)
            return say(c, EPROTO, "the server accepted NBD_OPT_GO without NBD_INFO_EXPORT");
        e->used_go = true;
        return 0;
    }
    return say(c, EPROTO, "the server sent more than %d replies to NBD_OPT_GO", NBD_REPLIES_MAX);
}

static int opt_export_name(struct conv *c, const char *name, bool no_zeroes, struct nbd_export *e)
{
    unsigned char reply[10 + NBD_EXPORT_NAME_PADDING];
    size_t want = no_zeroes ? 10 : sizeof reply;
    int r;

    r = send_option(c, NBD_OPT_EXPORT_NAME, name, (uint32_t)strlen(name));
    if (r < 0)
        return io_error(c, r, "while sending NBD_OPT_EXPORT_NAME");
    r = rd(c, reply, want);
    if (r == -ECONNRESET)
        return say(c, ENOENT,
                   "the server closed the connection after NBD_OPT_EXPORT_NAME: "
                   "it has no such export, or refuses this client");
    if (r < 0)
        return io_error(c, r, "after NBD_OPT_EXPORT_NAME");
    e->size = get64(reply);
    e->flags = get16(reply + 8);
    e->used_go = false;
    return 0;
}

static int negotiate(struct conv *c, const char *name, struct nbd_export *e)
{
    unsigned char greet[18], cflags[4];
    uint16_t hflags;
    uint32_t mine;
    int r;

    r = rd(c, greet, sizeof greet);
    if (r < 0)
        return io_error(c, r, "before its greeting");
    if (get64(greet) != NBD_MAGIC)
        return say(c, EPROTO,
                   "this is not an NBD server (no NBDMAGIC greeting); check the "
                   "address and the port");
    if (get64(greet + 8) == NBD_CLISERV)
        return say(c, EPROTONOSUPPORT,
                   "the server speaks the oldstyle handshake (one export "
                   "per port), which is not supported; configure it for "
                   "newstyle exports by name");
    if (get64(greet + 8) != NBD_IHAVEOPT)
        return say(c, EPROTO, "the server's greeting has a bad second magic number");
    hflags = get16(greet + 16);
    mine = hflags & (NBD_HFLAG_FIXED_NEWSTYLE | NBD_HFLAG_NO_ZEROES);
    put32(cflags, mine);
    r = wr(c, cflags, sizeof cflags);
    if (r < 0)
        return io_error(c, r, "after its greeting");
    r = -EOPNOTSUPP;
    if (hflags & NBD_HFLAG_FIXED_NEWSTYLE)
        r = opt_go(c, name, e);
    if (r == -EOPNOTSUPP)
        r = opt_export_name(c, name, mine & NBD_HFLAG_NO_ZEROES, e);
    return r < 0 ? r : check_export(c, e);
}

int nbd_handshake(int fd, const char *export_name, int timeout_ms, struct nbd_export *out,
                  char *why, size_t why_n)
{
    struct conv c = {
        .fd = fd, .deadline_ms = (long long)now_ms() + timeout_ms, .why = why, .why_n = why_n};
    int flags = fcntl(fd, F_GETFL), r;

    memset(out, 0, sizeof *out);
    if (why_n)
        why[0] = 0;
    if (flags < 0)
        return say(&c, errno, "bad socket: %s", strerror(errno));
    if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return say(&c, errno, "cannot make the socket non-blocking: %s", strerror(errno));
    r = negotiate(&c, export_name, out);
    fcntl(fd, F_SETFL, flags);
    if (r < 0)
        memset(out, 0, sizeof *out);
    return r;
}

bool nbd_handshake_retryable(int err)
{
    switch (err < 0 ? -err : err) {
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case EHOSTDOWN:
    case ENETUNREACH:
    case ENETDOWN:
    case EPIPE:
    case ESHUTDOWN:
    case EAGAIN:
        return true;
    default:
        return false;
    }
}
