/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emergency shell. A busybox (recognized by a working "--list") goes to /bin/busybox with
 * every applet it lists as a symlink /bin/APPLET -> busybox, /bin/sh among them. Any other
 * shell goes to /bin/sh. Either way with its ELF closure (nothing for a static busybox).
 */
#pragma once

#include "ldso.h"
#include "plan.h"

/* The default shell: /usr/bin/busybox or /bin/busybox, or NULL when neither exists. */
const char *busybox_default(void);
/* Why the busybox shell is in the image, for --list: a statically linked one also says that
 * one linked against libc would make the image smaller. NULL when out of memory. */
char *busybox_reason(const char *shell);
int busybox_add(struct plan *p, const struct ldso *l, const char *shell);
