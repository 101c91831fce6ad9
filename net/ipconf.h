/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network part of the kernel command line, in the forms users already write for dracut
 * and for the kernel's own ip= (which Debian's cloud kernel lacks: CONFIG_IP_PNP is off):
 *
 *   ip=dhcp | ip=on | ip=any | ip=off | ip=none
 *   ip=IFACE:dhcp[:MTU[:MAC]]
 *   ip=CLIENT:[PEER]:GATEWAY:NETMASK:HOSTNAME:IFACE:{none|off|dhcp|on|any}[:DNS1[:DNS2]]
 *   ip=CLIENT:[PEER]:GATEWAY:NETMASK:HOSTNAME:IFACE:{none|off|dhcp|on|any}[:MTU[:MAC]]
 *   nameserver=ADDR (repeatable)
 *
 * IPv6 addresses go in brackets; NETMASK is dotted or a prefix length; CLIENT may carry its
 * prefix ("10.0.0.2/24"). Parsing is pure; see sharedroot-init(8).
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#define IPCONF_MAX 8      /* ip= words */
#define NAMESERVERS_MAX 3 /* as resolv.conf reads them */
#define IPCONF_HOSTNAME_MAX 63

struct inet_addr {
    int family; /* 0: unset; AF_INET or AF_INET6 */
    unsigned char a[16];
};

enum ipconf_method {
    IPCONF_OFF,    /* ip=off|none: no network configuration */
    IPCONF_DHCP,   /* DHCPv4 by udhcpc */
    IPCONF_STATIC, /* address, prefix, gateway as given */
};

struct ipconf {
    enum ipconf_method method;
    char ifname[IF_NAMESIZE]; /* "": every Ethernet interface (DHCP) or the first (static) */
    struct inet_addr client;
    int prefix; /* static: 0..32 / 0..128 */
    struct inet_addr gateway;
    struct inet_addr dns[2];
    char hostname[IPCONF_HOSTNAME_MAX + 1];
    unsigned mtu;         /* 0: leave as is */
    unsigned char mac[6]; /* set on the interface when has_mac */
    bool has_mac;
};

/* Parse the value of one ip= word. -EINVAL with *why (may be NULL) a static explanation for
 * anything malformed or unsupported (IPv6 autoconfiguration, DHCPv6, iBFT, BOOTP, RARP). */
int ipconf_parse(const char *value, struct ipconf *out, const char **why);

/* Check several ip= together: at most one without an interface, no interface twice, ip=off
 * alone. -EINVAL with *why. */
int ipconf_check_all(const struct ipconf *v, size_t n, const char **why);

/* An IPv4 or IPv6 address, no brackets, no prefix. -EINVAL otherwise. */
int inet_addr_parse(const char *s, struct inet_addr *out);
/* inet_ntop of a; "" for an unset one. */
void inet_addr_format(const struct inet_addr *a, char *buf, size_t n);

/* The systemd.link(5) file that keeps interface IFACE's name in the booted system (the
 * interfaces the initramfs configured stay up, and the kernel does not rename an interface
 * that is up). Its length, -EINVAL for a name that is not an interface name (empty, longer
 * than IF_NAMESIZE - 1, ".", "..", '/', ':', a blank or a control character), -ENAMETOOLONG
 * when buf is too small. */
int ipconf_link_file(const char *iface, char *buf, size_t n);
