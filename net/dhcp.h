/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DHCPv4 by an existing client, busybox udhcpc: it asks, we configure. udhcpc runs its
 * script with the lease in the environment; our script (sharedroot-init started under the
 * name DHCP_SCRIPT_NAME) writes the lease to a file, which is parsed here as untrusted input
 * (a DHCP server's word), and the addresses and routes are then set over rtnetlink.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ipconf.h"

#define DHCP_SCRIPT_NAME "udhcpc-script" /* basename under which the init is it */
#define DHCP_SCRIPT_PATH "/lib/sharedroot/" DHCP_SCRIPT_NAME
#define DHCP_LEASE_ENV "SHAREDROOT_DHCP_LEASE" /* where the script writes the lease */
#define DHCP_LEASE_MAX 8192                    /* bytes of a lease file */
#define DHCP_DOMAIN_MAX 253

struct dhcp_lease {
    struct inet_addr addr;   /* required */
    int prefix;              /* 32 when the server sent no subnet mask */
    struct inet_addr router; /* the first valid one, if any */
    struct inet_addr dns[NAMESERVERS_MAX];
    size_t n_dns;
    char hostname[IPCONF_HOSTNAME_MAX + 1]; /* "" unless sent and valid */
    char domain[DHCP_DOMAIN_MAX + 1];
    unsigned lease_s;        /* 0 when not sent */
    struct inet_addr server; /* the DHCP server (option 54) */
    unsigned mtu;            /* 0 unless sent and 68..65535 */
};

/* Parse a lease file's text (KEY=VALUE lines). Values that are present but malformed are
 * dropped (a bad host name, a bad DNS address); -EINVAL with *why only when there is no
 * usable address. */
int dhcp_lease_parse(const char *text, size_t len, struct dhcp_lease *out, const char **why);

/* The udhcpc script: argv[1] is the event; on "bound" and "renew" the lease in the
 * environment goes to $SHAREDROOT_DHCP_LEASE (atomically). Returns the exit status. */
int dhcp_script_main(int argc, char **argv);

/* Run udhcpc (busybox at `busybox`, the script at `script`) on each of the n interfaces at
 * once, each writing its lease to lease_dir/IFNAME.lease, bounded by timeout_s in all. 0 when
 * at least one interface got a lease (got[i] says which), -ETIMEDOUT when none did, other
 * negative errno when udhcpc could not run (why says what). */
int dhcp_run(const char *busybox, const char *script, const char *lease_dir,
             char (*ifnames)[IF_NAMESIZE], size_t n, int timeout_s, struct dhcp_lease *leases,
             bool *got, char *why, size_t why_n);
