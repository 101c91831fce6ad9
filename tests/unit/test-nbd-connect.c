// SPDX-License-Identifier: GPL-2.0-or-later
/* Several connections to one export (a fake server on 127.0.0.1 in a child process): all
 * must describe the same export, else none is used; the kernel's block size; numeric
 * server addresses. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nbd-connect.h"
#include "nbd-genl.h"
#include "testlib.h"

static void put(int fd, const void *p, size_t n)
{
    if (write(fd, p, n) != (ssize_t)n)
        _exit(3);
}

static void put64(int fd, uint64_t v)
{
    v = htobe64(v);
    put(fd, &v, 8);
}

static void put32(int fd, uint32_t v)
{
    v = htobe32(v);
    put(fd, &v, 4);
}

static void put16(int fd, uint16_t v)
{
    v = htobe16(v);
    put(fd, &v, 2);
}

static void get(int fd, void *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, (char *)p + got, n - got);
        if (k <= 0)
            _exit(4);
        got += (size_t)k;
    }
}

/* Serve one fixed-newstyle NBD_OPT_GO with the given size and flags. */
static void serve(int c, uint64_t size, uint16_t flags)
{
    unsigned char buf[4096];
    uint32_t len;

    put64(c, 0x4e42444d41474943ULL);
    put64(c, 0x49484156454F5054ULL);
    put16(c, 3);
    get(c, buf, 4);  /* client flags */
    get(c, buf, 16); /* IHAVEOPT, option, length */
    memcpy(&len, buf + 12, 4);
    len = be32toh(len);
    if (len > sizeof buf)
        _exit(5);
    get(c, buf, len);
    put64(c, 0x3e889045565a9ULL);
    put32(c, 7);
    put32(c, 3);
    put32(c, 12);
    put16(c, 0);
    put64(c, size);
    put16(c, flags);
    put64(c, 0x3e889045565a9ULL);
    put32(c, 7);
    put32(c, 1);
    put32(c, 0);
}

/* A server answering n connections, the i-th with sizes[i]; returns its pid. */
static pid_t fake_server(struct nbd_server_addr *addr, const uint64_t *sizes, uint16_t flags, int n)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    pid_t pid;

    CHECK(l >= 0);
    CHECK_INT(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    CHECK_INT(listen(l, 16), 0);
    CHECK_INT(getsockname(l, (struct sockaddr *)&sa, &sl), 0);
    CHECK_INT(nbd_addr_numeric("127.0.0.1", ntohs(sa.sin_port), addr), 0);
    pid = fork();
    if (pid == 0) {
        alarm(10);
        for (int i = 0; i < n; i++) {
            int c = accept(l, NULL, NULL);
            if (c < 0)
                _exit(2);
            serve(c, sizes[i], flags);
            /* keep it open until the client is done */
            if (i == n - 1)
                pause();
        }
        pause();
        _exit(0);
    }
    close(l);
    return pid;
}

static void stop(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

TEST(several_connections_to_a_multi_conn_export)
{
    struct nbd_server_addr a;
    uint64_t sizes[4] = {1 << 20, 1 << 20, 1 << 20, 1 << 20};
    pid_t pid = fake_server(&a, sizes, 0x0103, 4);
    int fds[4];
    size_t n = 4;
    struct nbd_export e;
    char why[512];

    CHECK_INT(nbd_open(&a, "base", 3000, fds, &n, &e, why, sizeof why), 0);
    CHECK_INT(n, 4);
    CHECK_INT(e.size, 1 << 20);
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
    stop(pid);
}

TEST(one_connection_without_multi_conn)
{
    struct nbd_server_addr a;
    uint64_t sizes[1] = {1 << 20};
    pid_t pid = fake_server(&a, sizes, 0x0003, 1);
    int fds[4];
    size_t n = 4;
    struct nbd_export e;
    char why[512];

    CHECK_INT(nbd_open(&a, "base", 3000, fds, &n, &e, why, sizeof why), 0);
    CHECK_INT(n, 1);
    close(fds[0]);
    stop(pid);
}

TEST(connections_that_disagree_are_a_lie)
{
    struct nbd_server_addr a;
    uint64_t sizes[3] = {1 << 20, 1 << 20, 1 << 30};
    pid_t pid = fake_server(&a, sizes, 0x0103, 3);
    int fds[3] = {-1, -1, -1};
    size_t n = 3;
    struct nbd_export e;
    char why[512];

    CHECK_INT(nbd_open(&a, "base", 3000, fds, &n, &e, why, sizeof why), -EPROTO);
    CHECK(strstr(why, "connection 3") != NULL);
    stop(pid);
}

TEST(nobody_listening)
{
    struct nbd_server_addr a;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    int l = socket(AF_INET, SOCK_STREAM, 0), fds[1];
    size_t n = 1;
    struct nbd_export e;
    char why[512];

    /* a port that was free a moment ago */
    bind(l, (struct sockaddr *)&sa, sizeof sa);
    getsockname(l, (struct sockaddr *)&sa, &sl);
    close(l);
    CHECK_INT(nbd_addr_numeric("127.0.0.1", ntohs(sa.sin_port), &a), 0);
    CHECK_INT(nbd_open(&a, "base", 1000, fds, &n, &e, why, sizeof why), -ECONNREFUSED);
    CHECK(nbd_handshake_retryable(-ECONNREFUSED));
}

TEST(numeric_addresses)
{
    struct nbd_server_addr a;
    char why[256];
    CHECK_INT(nbd_addr_numeric("10.0.2.100", 10809, &a), 0);
    CHECK_STR(a.text, "10.0.2.100");
    CHECK_INT(nbd_addr_numeric("2001:db8::1", 10809, &a), 0);
    CHECK_STR(a.text, "2001:db8::1");
    CHECK_INT(nbd_addr_numeric("fe80::1%lo", 1, &a), 0);
    CHECK_INT(nbd_addr_numeric("fe80::1%nosuchif0", 1, &a), -ENODEV);
    CHECK_INT(nbd_addr_numeric("server", 1, &a), -EINVAL);
    CHECK_INT(nbd_addr_numeric("10.0.2.100", 0, &a), -EINVAL);
    CHECK_INT(nbd_addr_numeric("10.0.2.100", 65536, &a), -EINVAL);
    CHECK_INT(nbd_resolve("127.0.0.1", 99, &a, why, sizeof why), 0);
}

TEST(block_size_for_the_kernel)
{
    uint32_t bs;
    char why[256];
    CHECK_INT(nbd_block_size(0, 0, &bs, why, sizeof why), 0);
    CHECK_INT(bs, 512);
    CHECK_INT(nbd_block_size(1, 0, &bs, why, sizeof why), 0);
    CHECK_INT(bs, 512);
    CHECK_INT(nbd_block_size(4096, 0, &bs, why, sizeof why), 0);
    CHECK_INT(bs, 4096);
    CHECK_INT(nbd_block_size(512, 4096, &bs, why, sizeof why), 0);
    CHECK_INT(bs, 4096);
    CHECK_INT(nbd_block_size(8192, 0, &bs, why, sizeof why), -EINVAL);
    CHECK(strstr(why, "8192") != NULL);
    CHECK_INT(nbd_block_size(4096, 1024, &bs, why, sizeof why), -EINVAL);
    CHECK(strstr(why, "bs=1024") != NULL);
}

TEST(same_export)
{
    struct nbd_export a = {.size = 10, .flags = 1}, b = a;
    CHECK(nbd_export_same(&a, &b));
    b.size = 11;
    CHECK(!nbd_export_same(&a, &b));
    b = a;
    b.flags = 3;
    CHECK(!nbd_export_same(&a, &b));
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return test_main();
}
