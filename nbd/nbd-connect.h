/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * From an NBD spec to connected sockets in the transmission phase: resolve the server,
 * connect (bounded), tune the socket for a long-lived root device (keepalive, no delay),
 * negotiate. With several connections every one must report the same export, else the
 * server is lying and none is used.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "nbd-handshake.h"
#include "nbd-spec.h"

struct nbd_server_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[64]; /* the numeric address, for messages and for the resident helper */
};

/* Resolve spec->server (numeric, else getaddrinfo with /etc/resolv.conf) and port. */
int nbd_resolve(const char *server, unsigned port, struct nbd_server_addr *out, char *why,
                size_t n);

/* Parse a numeric address and port (what nbd_resolve put in text) without any lookup. */
int nbd_addr_numeric(const char *text, unsigned port, struct nbd_server_addr *out);

/* Connect and negotiate n sockets (the later ones only if the export allows several:
 * NBD_FLAG_CAN_MULTI_CONN; *n is lowered to what was opened). On success fds[0..*n) are
 * blocking sockets ready for the kernel and *e describes the export. timeout_ms bounds each
 * connection. Errors as nbd_handshake, -EPROTO when connections disagree about the export;
 * nothing stays open on failure. */
int nbd_open(const struct nbd_server_addr *addr, const char *export_name, int timeout_ms, int *fds,
             size_t *n, struct nbd_export *e, char *why, size_t why_n);

/* Whether two descriptions of an export are the same export (size and flags). */
bool nbd_export_same(const struct nbd_export *a, const struct nbd_export *b);
