// SPDX-License-Identifier: GPL-2.0-or-later
#include "nbd-connect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

/* A dead server is noticed by TCP even while the disk is idle: after 30 s of silence, 3
 * probes 10 s apart. */
#define KEEPALIVE_IDLE_S 30
#define KEEPALIVE_INTERVAL_S 10
#define KEEPALIVE_COUNT 3

static void addr_text(struct nbd_server_addr *a)
{
    const void *p = a->sa.ss_family == AF_INET6
                        ? (const void *)&((struct sockaddr_in6 *)&a->sa)->sin6_addr
                        : (const void *)&((struct sockaddr_in *)&a->sa)->sin_addr;
    if (!inet_ntop(a->sa.ss_family, p, a->text, sizeof a->text))
        snprintf(a->text, sizeof a->text, "?");
}

int nbd_addr_numeric(const char *text, unsigned port, struct nbd_server_addr *out)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)&out->sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->sa;
    char host[64];
    const char *pct = strchr(text, '%');

    memset(out, 0, sizeof *out);
    if (port == 0 || port > 65535 || strlen(text) >= sizeof host)
        return -EINVAL;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        out->len = sizeof *v4;
    } else {
        /* a link-local address names its interface: fe80::1%eth0 */
        snprintf(host, sizeof host, "%.*s", pct ? (int)(pct - text) : (int)strlen(text), text);
        if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1)
            return -EINVAL;
        if (pct && !(v6->sin6_scope_id = if_nametoindex(pct + 1)))
            return -ENODEV;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        out->len = sizeof *v6;
    }
    addr_text(out);
    return 0;
}

int nbd_resolve(const char *server, unsigned port, struct nbd_server_addr *out, char *why, size_t n)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    char service[8];
    int r = nbd_addr_numeric(server, port, out);

    if (r == 0)
        return 0;
    if (r == -ENODEV) {
        snprintf(why, n, "no interface named in the address %s", server);
        return r;
    }
    snprintf(service, sizeof service, "%u", port);
    r = getaddrinfo(server, service, &hints, &res);
    if (r != 0) {
        snprintf(why, n,
                 "cannot resolve the server name %s: %s; give its address, or a DNS server "
                 "(nameserver=, or by DHCP)",
                 server, gai_strerror(r));
        return r == EAI_NONAME || r == EAI_NODATA ? -ENOENT : -EHOSTUNREACH;
    }
    memset(out, 0, sizeof *out);
    if (res->ai_addrlen > sizeof out->sa) {
        freeaddrinfo(res);
        return -EINVAL;
    }
    memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    addr_text(out);
    return 0;
}

static void tune(int fd)
{
    int one = 1, idle = KEEPALIVE_IDLE_S, intvl = KEEPALIVE_INTERVAL_S, cnt = KEEPALIVE_COUNT;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

/* A non-blocking connect bounded by timeout_ms; the socket is left blocking. */
static int tcp_connect(const struct nbd_server_addr *a, int timeout_ms, int *out)
{
    _cleanup_close_ int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int err = 0;
    socklen_t len = sizeof err;
    struct pollfd p = {.fd = fd, .events = POLLOUT};

    if (fd < 0)
        return -errno;
    if (connect(fd, (const struct sockaddr *)&a->sa, a->len) < 0) {
        if (errno != EINPROGRESS)
            return -errno;
        int n;
        do
            n = poll(&p, 1, timeout_ms);
        while (n < 0 && errno == EINTR);
        if (n == 0)
            return -ETIMEDOUT;
        if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
            return -(err ? err : errno);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    tune(fd);
    *out = take_fd(&fd);
    return 0;
}

bool nbd_export_same(const struct nbd_export *a, const struct nbd_export *b)
{
    return a->size == b->size && a->flags == b->flags;
}

static int open_one(const struct nbd_server_addr *addr, const char *name, int timeout_ms, int *fd,
                    struct nbd_export *e, char *why, size_t why_n)
{
    int r = tcp_connect(addr, timeout_ms, fd);

    if (r < 0) {
        snprintf(why, why_n, "cannot connect: %s", strerror(-r));
        return r;
    }
    r = nbd_handshake(*fd, name, timeout_ms, e, why, why_n);
    if (r < 0) {
        close(*fd);
        *fd = -1;
    }
    return r;
}

int nbd_open(const struct nbd_server_addr *addr, const char *export_name, int timeout_ms, int *fds,
             size_t *n, struct nbd_export *e, char *why, size_t why_n)
{
    size_t want = *n ? *n : 1, have = 0;
    int r;

    r = open_one(addr, export_name, timeout_ms, &fds[0], e, why, why_n);
    if (r < 0)
        return r;
    have = 1;
    if (!(e->flags & NBD_TFLAG_CAN_MULTI_CONN))
        want = 1;
    for (; have < want; have++) {
        struct nbd_export other;
        r = open_one(addr, export_name, timeout_ms, &fds[have], &other, why, why_n);
        if (r == 0 && !nbd_export_same(e, &other)) {
            snprintf(why, why_n,
                     "the server describes the export differently on connection %zu (size "
                     "%llu, flags 0x%x) than on connection 1 (size %llu, flags 0x%x)",
                     have + 1, (unsigned long long)other.size, other.flags,
                     (unsigned long long)e->size, e->flags);
            close(fds[have]);
            r = -EPROTO;
        }
        if (r < 0)
            break;
    }
    if (r < 0) {
        for (size_t i = 0; i < have; i++)
            close(fds[i]);
        return r;
    }
    *n = have;
    return 0;
}
