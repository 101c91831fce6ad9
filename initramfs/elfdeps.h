/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ELF closure of a binary: its interpreter at the exact PT_INTERP path and every
 * DT_NEEDED library, recursively, placed in the plan at the path the loader finds it at,
 * with the content of its realpath. Cycles end because a library already in the plan is not
 * looked at again. A realpath already in the plan under another path (the dynamic loader: the
 * PT_INTERP path and libc's DT_NEEDED) is added as a symbolic link to it, so its bytes are in
 * the image once.
 */
#pragma once

#include "ldso.h"
#include "plan.h"

/* Add the binary at host path src as dest (mode 0755, kind/reason for --list) and its
 * closure. Errors are reported on stderr, naming the file. */
int elfdeps_add_binary(struct plan *p, const struct ldso *l, const char *src, const char *dest,
                       const char *kind, const char *reason);

/* Add the shared library name (a soname, as in DT_NEEDED) and its closure, found the way the
 * loader would for the binary like (host path); reason names who wants it (for --list). */
int elfdeps_add_library(struct plan *p, const struct ldso *l, const char *name, const char *like,
                        const char *reason);

/* The multiarch triplet of a binary: from the directory of its interpreter's realpath when
 * that looks like one (/usr/lib/x86_64-linux-gnu/ld-...), else from its machine; may be NULL. */
char *elfdeps_triplet(const char *binary);
