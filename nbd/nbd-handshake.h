/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client side of the NBD handshake (fixed newstyle, NBD_OPT_GO with a fallback to
 * NBD_OPT_EXPORT_NAME; doc/proto.md of the NBD project) over a connected stream socket.
 * Everything the server sends is untrusted: every length is bounded before anything is read,
 * every value is checked, strings are cut and made printable, and the whole exchange is
 * bounded in time. After success the socket is in the transmission phase, ready for the
 * kernel (nbd-genl.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Transmission flags (linux/nbd.h has some of them, not all) */
#define NBD_TFLAG_HAS_FLAGS (1u << 0)
#define NBD_TFLAG_READ_ONLY (1u << 1)
#define NBD_TFLAG_CAN_MULTI_CONN (1u << 8)

/* Longest option reply we accept (an NBD_REP_INFO is 14 bytes; error texts are short). */
#define NBD_REPLY_MAX 4096
/* Option replies to one NBD_OPT_GO we accept before calling it a misbehaving server. */
#define NBD_REPLIES_MAX 64

struct nbd_export {
    uint64_t size;      /* bytes; checked: > 0, <= INT64_MAX */
    uint16_t flags;     /* transmission flags */
    uint32_t min_block; /* NBD_INFO_BLOCK_SIZE, 0 when not sent; checked as proto.md says */
    uint32_t pref_block;
    uint32_t max_payload;
    bool used_go;          /* false: the server only knew NBD_OPT_EXPORT_NAME */
    char description[128]; /* NBD_INFO_DESCRIPTION if sent, made printable */
};

/* Negotiate export_name ("" = the server's default) on fd within timeout_ms. 0 on success.
 * On failure a negative errno and a message in why (what the server did, what it said):
 *   -ENOENT        the server does not have that export (NBD_REP_ERR_UNKNOWN, or it closed
 *                  the connection after NBD_OPT_EXPORT_NAME)
 *   -EACCES        refused by policy; -EPROTONOSUPPORT: TLS required, or an oldstyle server
 *   -ESHUTDOWN     the server is shutting down
 *   -EPROTO        not an NBD server, or it broke the protocol (bad magic, lengths, sizes)
 *   -ECONNRESET    the connection ended; -ETIMEDOUT: no answer in time; other errno of I/O.
 * The socket's file status flags are restored before returning. */
int nbd_handshake(int fd, const char *export_name, int timeout_ms, struct nbd_export *out,
                  char *why, size_t why_n);

/* Whether err is worth another connection attempt (server not there yet, restarting). */
bool nbd_handshake_retryable(int err);
