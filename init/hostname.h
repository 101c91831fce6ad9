/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sharedroot.hostname=NAME: a fresh instance gets NAME as its /etc/hostname, written through
 * the /etc overlay into the instance's upper dir. An instance that has its own /etc/hostname
 * in its upper dir (or deleted it: a whiteout) keeps it, and the boot says so. Built into the
 * init, so it works with every initramfs (it used to be a hook that only --shipped-hooks put
 * in).
 */
#pragma once

#include <stddef.h>

#include "context.h"

/* Longest host name (HOST_NAME_MAX) and label (RFC 1035). */
#define HOSTNAME_MAX 64
#define HOSTNAME_LABEL_MAX 63

/* 0 when name is a valid host name: labels of letters, digits and '-' (not at either end of
 * a label), 1 to 63 characters each, separated by single dots, 64 characters in all at
 * most. Otherwise -EINVAL and why says what is wrong. */
int hostname_check(const char *name, char *why, size_t n);

/* Apply sharedroot.hostname= after the overlays are mounted. Never fails the boot: every
 * outcome (named, kept, refused, impossible) is said on the console. */
void hostname_apply(struct boot_ctx *ctx);
