/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a new instance holds: the layout the init's first boot would make (claimed), and the
 * admin's files in its upper dirs. Shared by create and restore.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec.h"
#include "tree.h"

/* The marker's content. */
extern const char inst_marker_text[];

/* Stage the root (0700), the marker, overlay/NAME/{upper,work} (0755), the reconcile stores
 * (0700) and tmp (1777), all root's, as an empty instance is after its first boot. */
int inst_stage_layout(struct tree *t, const struct inst_spec *s, char *why, size_t n);

/* A file an admin puts into an overlaid dir: --file SRC:/etc/PATH[:MODE[:UID:GID]]. */
struct inst_file {
    char src[4096];   /* host file, "" with data */
    const void *data; /* content when src is NULL */
    size_t len;
    char dest[4096]; /* absolute path in the guest: "/etc/PATH" */
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

/* Parse SRC:/DEST[:MODE[:UID:GID]] (SRC must not contain ":/", DEST no ':'). Defaults: 0644,
 * 0:0. why says what is wrong. */
int inst_file_parse(const char *arg, struct inst_file *f, char *why, size_t n);

/* Stage f into the upper dir of the overlay holding f->dest (missing dirs below the upper:
 * 0755 root's). -ENOENT (why says) when no overlay holds it. */
int inst_stage_file(struct tree *t, const struct inst_spec *s, const struct inst_file *f, char *why,
                    size_t n);

/* A user name for --user: [a-z_][a-z0-9_.-]* with an optional final '$', at most 32. */
bool inst_user_name_ok(const char *name);
