// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

int nl_open(struct nl *nl, int bus)
{
    struct timeval tv = {.tv_sec = NL_RECV_TIMEOUT_S};
    int e;

    memset(nl, 0, sizeof *nl);
    nl->sock = mnl_socket_open2(bus, SOCK_CLOEXEC);
    if (!nl->sock)
        return -errno;
    if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
        setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
        e = errno;
        nl_close(nl);
        return -e;
    }
    nl->portid = mnl_socket_get_portid(nl->sock);
    nl->seq = (unsigned)time(NULL);
    return 0;
}

void nl_close(struct nl *nl)
{
    if (nl->sock)
        mnl_socket_close(nl->sock);
    nl->sock = NULL;
}

int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
    char buf[16384];

    nlh->nlmsg_seq = ++nl->seq;
    if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof buf);
        int ret;

        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
        ret = mnl_cb_run(buf, (size_t)n, nl->seq, nl->portid, cb, data);
        if (ret < 0)
            return errno ? -errno : -EIO;
        if (ret == MNL_CB_STOP)
            return 0;
    }
}
