/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a clone must not inherit from the machine it was copied from: its machine-id, ssh
 * host keys, host name, DHCP leases and DUIDs, journal, random seeds and secrets, the
 * backups of its files, its /tmp and its swap (memory of the old machine). Applied to the
 * upper dirs of a mounted copy; nothing is followed through a symlink.
 */
#pragma once

#include <stddef.h>

#include "spec.h"

struct identity_result {
    unsigned emptied, removed, kept_whiteouts;
    bool swap_removed;
};

/* Reset the identity of the instance mounted at rootfd; the instance's own /etc/hostname is
 * removed (the base's, or sharedroot.hostname=, applies, unless clone writes a new one). Each
 * change is listed on stderr with --verbose. */
int identity_reset(int rootfd, const struct inst_spec *s, struct identity_result *res, char *why,
                   size_t n);
