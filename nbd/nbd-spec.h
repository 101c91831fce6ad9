/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NBD device specs as root=, netroot=, sharedroot.instance= and layout lines write them, in
 * dracut's documented form and as an NBD URI (see sharedroot-init(8), "Network root"):
 *
 *   nbd:SERVER[:PORT|:EXPORT[:FSTYPE[:MOUNTOPTS[:NBDOPTS]]]]
 *   nbd://SERVER[:PORT][/EXPORT]
 *
 * SERVER is a host name, an IPv4 address or an IPv6 address in brackets. Parsing is pure.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NBD_DEFAULT_PORT 10809
#define NBD_SPEC_MAX 511           /* the whole spec */
#define NBD_SERVER_MAX 255         /* a DNS name's limit */
#define NBD_EXPORT_NAME_MAX 255    /* the protocol allows 4096; nobody names an export so */
#define NBD_MAX_CONNECTIONS 16     /* sharedroot.nbd.connections=, connections= */
#define NBD_MAX_DEAD_TIMEOUT 86400 /* sharedroot.nbd.timeout=, timeout= (seconds) */

struct nbd_spec {
    char server[NBD_SERVER_MAX + 1];           /* without brackets */
    uint16_t port;                             /* NBD_DEFAULT_PORT unless given */
    char export_name[NBD_EXPORT_NAME_MAX + 1]; /* "": the server's default export */
    char fstype[32];                           /* "": probe */
    char mount_options[256];                   /* "": none */
    unsigned connections;                      /* connections=N; 0: sharedroot.nbd.connections= */
    unsigned timeout_s;                        /* timeout=N; 0: sharedroot.nbd.timeout= */
    unsigned block_size;                       /* bs=N; 0: what the server asks for, else 512 */
};

/* Whether s is meant as an NBD spec ("nbd:", also "nbds:" and "nbd+unix:" so that they can
 * be refused with a reason), well formed or not. */
bool nbd_spec_is(const char *s);

/* Parse s. -EINVAL for anything malformed (empty parts, bad port, control bytes, unknown
 * NBDOPTS, TLS or unix-socket URIs, too long), with *why (may be NULL) set to a static
 * explanation for the user. */
int nbd_spec_parse(const char *s, struct nbd_spec *out, const char **why);

/* "server 10.0.2.2 port 10809 export 'base'" (or "the default export") for messages. */
void nbd_spec_describe(const struct nbd_spec *spec, char *buf, size_t n);
