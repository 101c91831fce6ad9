// SPDX-License-Identifier: GPL-2.0-or-later
#include "rtnl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netlink.h"

struct rtnl {
    struct nl nl;
};

int rtnl_open(struct rtnl **out)
{
    struct rtnl *r = calloc(1, sizeof *r);
    int ret;

    if (!r)
        return -ENOMEM;
    ret = nl_open(&r->nl, NETLINK_ROUTE);
    if (ret < 0) {
        free(r);
        return ret;
    }
    *out = r;
    return 0;
}

struct rtnl *rtnl_close(struct rtnl *r)
{
    if (r) {
        nl_close(&r->nl);
        free(r);
    }
    return NULL;
}

struct link_dump {
    struct rtnl_link *v;
    size_t n, max;
};

static int link_attr(const struct nlattr *a, void *data)
{
    struct rtnl_link *l = data;
    size_t len = mnl_attr_get_payload_len(a);

    switch (mnl_attr_get_type(a)) {
    case IFLA_IFNAME:
        if (len > 0 && len <= sizeof l->name) {
            memcpy(l->name, mnl_attr_get_payload(a), len);
            l->name[sizeof l->name - 1] = 0;
        }
        break;
    case IFLA_MTU:
        if (len == 4)
            l->mtu = mnl_attr_get_u32(a);
        break;
    case IFLA_ADDRESS:
        if (len == 6)
            memcpy(l->mac, mnl_attr_get_payload(a), 6);
        break;
    }
    return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
    struct link_dump *d = data;
    const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
    struct rtnl_link *l;

    if (nlh->nlmsg_type != RTM_NEWLINK || d->n == d->max)
        return MNL_CB_OK;
    l = &d->v[d->n];
    memset(l, 0, sizeof *l);
    l->index = ifi->ifi_index;
    l->type = ifi->ifi_type;
    l->flags = ifi->ifi_flags;
    mnl_attr_parse(nlh, sizeof *ifi, link_attr, l);
    if (l->name[0])
        d->n++;
    return MNL_CB_OK;
}

int rtnl_links(struct rtnl *r, struct rtnl_link *out, size_t max)
{
    char buf[256];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct ifinfomsg *ifi;
    struct link_dump d = {.v = out, .max = max};
    int ret;

    nlh->nlmsg_type = RTM_GETLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ret = nl_talk(&r->nl, nlh, link_cb, &d);
    return ret < 0 ? ret : (int)d.n;
}

static struct nlmsghdr *request(char *buf, unsigned short type, unsigned short flags)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    return nlh;
}

static int link_set(struct rtnl *r, int index, bool up, unsigned mtu, const unsigned char *mac)
{
    char buf[256];
    struct nlmsghdr *nlh = request(buf, RTM_NEWLINK, 0);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);

    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = up ? IFF_UP : 0;
    if (mtu)
        mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
    if (mac)
        mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
    return nl_talk(&r->nl, nlh, NULL, NULL);
}

int rtnl_link_up(struct rtnl *r, int index, unsigned mtu, const unsigned char *mac)
{
    int ret;

    /* most drivers take a new MAC address only while the link is down */
    if (mac && (ret = link_set(r, index, false, 0, mac)) < 0)
        return ret;
    return link_set(r, index, true, mtu, NULL);
}

static size_t addr_len(const struct inet_addr *a)
{
    return a->family == AF_INET6 ? 16 : 4;
}

int rtnl_addr_add(struct rtnl *r, int index, const struct inet_addr *addr, int prefix)
{
    char buf[256];
    struct nlmsghdr *nlh = request(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);

    ifa->ifa_family = (unsigned char)addr->family;
    ifa->ifa_prefixlen = (unsigned char)prefix;
    /* no duplicate address detection: a static IPv6 address is usable at once */
    ifa->ifa_flags = IFA_F_PERMANENT | (addr->family == AF_INET6 ? IFA_F_NODAD : 0);
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (unsigned)index;
    mnl_attr_put(nlh, IFA_LOCAL, addr_len(addr), addr->a);
    mnl_attr_put(nlh, IFA_ADDRESS, addr_len(addr), addr->a);
    if (addr->family == AF_INET && prefix < 31) {
        unsigned char brd[4];
        for (int i = 0; i < 4; i++) {
            int bits = prefix - i * 8;
            unsigned char mask = bits >= 8   ? 0xff
                                 : bits <= 0 ? 0
                                             : (unsigned char)(0xff << (8 - bits));
            brd[i] = (unsigned char)(addr->a[i] | (unsigned char)~mask);
        }
        mnl_attr_put(nlh, IFA_BROADCAST, 4, brd);
    }
    return nl_talk(&r->nl, nlh, NULL, NULL);
}

int rtnl_route_add(struct rtnl *r, int index, const struct inet_addr *dst, int dst_prefix,
                   const struct inet_addr *gw, bool dhcp)
{
    char buf[256];
    struct nlmsghdr *nlh = request(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
    int family = dst ? dst->family : gw ? gw->family : AF_INET;

    rtm->rtm_family = (unsigned char)family;
    rtm->rtm_dst_len = dst ? (unsigned char)dst_prefix : 0;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = dhcp ? RTPROT_DHCP : RTPROT_BOOT;
    rtm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    if (dst)
        mnl_attr_put(nlh, RTA_DST, addr_len(dst), dst->a);
    if (gw)
        mnl_attr_put(nlh, RTA_GATEWAY, addr_len(gw), gw->a);
    mnl_attr_put_u32(nlh, RTA_OIF, (unsigned)index);
    return nl_talk(&r->nl, nlh, NULL, NULL);
}
