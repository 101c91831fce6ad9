/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The network root, the network part of the devices stage (sharedroot-init(8), "Network
 * root"): the interfaces ip= asks for (or DHCP on every Ethernet interface when an nbd: spec
 * needs the network and there is no ip=), brought up over rtnetlink with DHCP by udhcpc;
 * NBD devices attached for nbd: specs (root=, netroot=, sharedroot.instance=, layout lines),
 * handed to the kernel and watched by the resident helper; and what the booted system reads
 * about it in /run/sharedroot/state.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "context.h"

/* The devices stage's part: bring the network up when ip= or an nbd: spec on the command
 * line asks for it, and attach netroot=. 0 when there was nothing to do. */
int netroot_devices(struct boot_ctx *ctx);

/* The spec root= stands for: netroot= when root= is absent or "/dev/root" (dracut), else
 * root=. NULL when there is neither. */
const char *netroot_root_spec(const struct boot_ctx *ctx);

/* Attach the nbd: spec (bringing the network up first if needed) and put its device node
 * (/dev/nbdN) in dev. base: the shared base (read-only whatever the server says), else an
 * instance disk (the export must be writable). Attaching the same spec again returns the
 * device it has. */
int netroot_attach(struct boot_ctx *ctx, const char *what, const char *spec, bool base, char *dev,
                   size_t n);

/* For an attached nbd: spec, the FSTYPE and MOUNTOPTS it carries ("" when none); NULL for
 * anything else. */
const char *netroot_spec_fstype(const struct boot_ctx *ctx, const char *spec);
const char *netroot_spec_options(const struct boot_ctx *ctx, const char *spec);

/* For an attached nbd: spec, "NBD server S port P, export 'E', N bytes" in buf and true. */
bool netroot_describe(const struct boot_ctx *ctx, const char *spec, char *buf, size_t n);

/* The NET_* and NBD_* lines of /run/sharedroot/state. */
void netroot_publish(FILE *f, const struct boot_ctx *ctx);

/* Before the switch, for each interface configured here: a systemd.link(5) file in
 * NETROOT_LINK_DIR (on /run, which the booted system keeps) that keeps its name
 * (ipconf_link_file). A failure is logged and left: the boot goes on. */
#define NETROOT_LINK_DIR "/run/systemd/network"
void netroot_write_links(const struct boot_ctx *ctx);

void netroot_free(struct boot_ctx *ctx);

/* The shutdown program's part, after every filesystem below the old root is unmounted (and
 * synced): flush each connected NBD device (a FLUSH request to its server); with disconnect
 * (nothing had to be detached lazily) end its configuration (NBD_CMD_DISCONNECT: the server
 * sees NBD_CMD_DISC, not a dropped connection) and stop the resident helpers
 * (@sharedroot-nbd, SIGTERM, bounded wait). Nothing when the kernel has no nbd driver. PID 1
 * only: a test run must not touch the host's devices. */
void netroot_shutdown(bool disconnect);

/* The shutdown program's part before its unmounts: tell the resident helpers (SIGUSR1) to
 * close their descriptors on the old /dev, which would keep it and the root below busy. */
void netroot_shutdown_prepare(void);

/* Is this /proc/PID/cmdline (n bytes) a resident helper's (argv[0] "@sharedroot-nbd")? */
bool netroot_is_helper_cmdline(const char *cmdline, size_t n);
