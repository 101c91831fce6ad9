/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Handing NBD sockets to the kernel over the nbd generic netlink family
 * (linux/nbd-netlink.h): NBD_CMD_CONNECT with a dead-connection timeout, NBD_CMD_RECONFIGURE
 * with new sockets after a server restart, NBD_CMD_STATUS, and the NBD_CMD_LINK_DEAD events
 * of the family's multicast group. Needs CAP_SYS_ADMIN and the nbd module.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "netlink.h"

struct nbd_genl {
    struct nl nl;
    uint16_t family;
    uint32_t mcast_group; /* 0: the kernel has none */
};

struct nbd_connect_params {
    uint64_t size;           /* bytes */
    uint32_t block_size;     /* 512..4096, a power of 2 */
    uint64_t server_flags;   /* transmission flags; NBD_FLAG_READ_ONLY makes the disk read-only */
    unsigned io_timeout_s;   /* a request unanswered this long is resent on another connection */
    unsigned dead_timeout_s; /* with no live connection, requests wait this long */
    const char *backend;     /* shown in /sys/block/nbdN/backend; must match on reconfigure */
};

/* -ENOENT: the kernel has no nbd family (module not loaded). */
int nbd_genl_open(struct nbd_genl *g);
void nbd_genl_close(struct nbd_genl *g);

/* Connect the sockets fds[0..n) as one device; its index in *index (/dev/nbdINDEX). */
int nbd_genl_connect(struct nbd_genl *g, const int *fds, size_t n,
                     const struct nbd_connect_params *p, int *index);

/* Give the device new sockets in place of dead ones (-ENOSPC: none of its sockets is dead). */
int nbd_genl_reconfigure(struct nbd_genl *g, int index, const int *fds, size_t n,
                         const char *backend);

/* 1 when the device has a live configuration, 0 when not, or a negative errno. */
int nbd_genl_connected(struct nbd_genl *g, int index);

/* The indexes of the devices with a live configuration, at most max of them, in list[0..*n). */
int nbd_genl_connected_list(struct nbd_genl *g, int *list, size_t max, size_t *n);

/* End the device's configuration (NBD_CMD_DISCONNECT): the kernel sends NBD_CMD_DISC to the
 * server and drops the sockets. No NBD_CMD_LINK_DEAD event follows, so a resident helper does
 * not reconnect. */
int nbd_genl_disconnect(struct nbd_genl *g, int index);

/* Open a second socket subscribed to the family's multicast group (NBD_CMD_LINK_DEAD), for
 * poll(). */
int nbd_genl_watch_open(const struct nbd_genl *g, struct nl *watch);

/* Read the pending events of watch: the number of LINK_DEAD events for index (0 if none), or
 * a negative errno (-EAGAIN: none pending). Never blocks. */
int nbd_genl_watch_read(struct nl *watch, int index);

/* The block size for the kernel: bs= if given (it must honour the server's minimum), else
 * the server's minimum block size, at least 512; at most 4096 (the kernel's limit). -EINVAL
 * with a message in why when the two cannot agree. */
int nbd_block_size(uint32_t server_min, unsigned requested, uint32_t *out, char *why, size_t n);
