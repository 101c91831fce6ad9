/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Links, addresses and routes over rtnetlink, with libmnl (a few kilobytes against
 * libnl-route-3's several hundred: the initramfs must stay small; see docs/network-root.md).
 * Every call waits for the kernel's acknowledgement; a receive time-out bounds each one.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "ipconf.h"

#define RTNL_LINKS_MAX 64

#ifndef IFF_LOWER_UP /* linux/if.h has it, but clashes with net/if.h */
#define IFF_LOWER_UP 0x10000
#endif

struct rtnl;

struct rtnl_link {
    int index;
    char name[IF_NAMESIZE];
    unsigned short type; /* ARPHRD_* */
    unsigned flags;      /* IFF_*; IFF_LOWER_UP is the carrier */
    unsigned mtu;
    unsigned char mac[6]; /* for ARPHRD_ETHER */
};

int rtnl_open(struct rtnl **out);
struct rtnl *rtnl_close(struct rtnl *r);

/* The links there are now, at most max of them. Returns how many, or a negative errno. */
int rtnl_links(struct rtnl *r, struct rtnl_link *out, size_t max);

/* Set the MAC address (mac may be NULL) and the MTU (0: leave), then bring the link up. */
int rtnl_link_up(struct rtnl *r, int index, unsigned mtu, const unsigned char *mac);

/* Add (or replace) a permanent address addr/prefix on the link. */
int rtnl_addr_add(struct rtnl *r, int index, const struct inet_addr *addr, int prefix);

/* A route to dst/dst_prefix (dst NULL: the default route) via gw (NULL: on the link itself),
 * added or replaced in the main table. dhcp: marked as learnt by DHCP (RTPROT_DHCP), else as
 * set up at boot (RTPROT_BOOT), which is how the real system's network manager tells them. */
int rtnl_route_add(struct rtnl *r, int index, const struct inet_addr *dst, int dst_prefix,
                   const struct inet_addr *gw, bool dhcp);
