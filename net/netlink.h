/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One netlink request at a time over libmnl: send, then read until the kernel's
 * acknowledgement or the end of a dump, each receive bounded in time. Used for rtnetlink
 * (rtnl.h) and for the nbd generic netlink family (nbd-genl.h).
 */
#pragma once

#include <libmnl/libmnl.h>

/* The kernel answers at once; this bounds one that does not. */
#define NL_RECV_TIMEOUT_S 5

struct nl {
    struct mnl_socket *sock;
    unsigned portid;
    unsigned seq;
};

/* Open and bind a socket of the netlink bus (NETLINK_ROUTE, NETLINK_GENERIC). */
int nl_open(struct nl *nl, int bus);
void nl_close(struct nl *nl);

/* Send nlh (its sequence number is set here) and run cb on every answer until the ACK or
 * NLMSG_DONE. 0, or the kernel's negative errno, or -ETIMEDOUT. */
int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
