/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The three trees an overlay is judged by, opened once: upper, lower, and the merge base
 * (a store or a dir). Reads the content of any version of a path, and merges.
 */
#pragma once

#include "reconcile.h"
#include "store.h"
#include "util.h"

enum rc_side { RC_SIDE_UPPER, RC_SIDE_LOWER, RC_SIDE_BASE };

struct rc_sources {
    int upperfd, lowerfd, mbfd; /* mbfd: --merge-base dir, or -1 */
    struct rc_store *store;     /* NULL without a store */
    uint64_t max_merge, max_hash;
    unsigned max_depth;
};

/* Open the dirs of ov (the store only if it exists, unless create_store): upper and store
 * strictly below ov->root (rc_open_typed), and none of upper, lower and store the same as or
 * inside another. On failure *msg (when msg is not NULL; free it) names the dir and the path
 * at fault ("the upper dir: /mnt/h1/overlay/etc/upper: No such file or directory; /mnt/h1 is
 * an instance disk: ..."). */
int rc_sources_open(struct rc_sources *s, const struct rc_overlay *ov,
                    const struct rc_options *opts, bool create_store, char **msg);
void rc_sources_close(struct rc_sources *s);

/* The dir fd of a side (RC_SIDE_BASE: the merge base dir, or -1). */
int rc_sources_side_fd(const struct rc_sources *s, enum rc_side side);

/* Content of one side's version of path (file data or symlink target); from the store by
 * hash for a stored merge base, checked against its name (-EBADMSG). -EFBIG beyond
 * max_merge. */
int rc_sources_read(const struct rc_sources *s, enum rc_side side, const char *path,
                    const struct rc_version *v, struct rc_buf *out);

/* Three-way merge of an entry whose upper and lower are files (an absent or non-file merge
 * base merges as empty). 1 clean, 0 conflict, negative errno (-EMEDIUMTYPE: binary). */
int rc_sources_merge(const struct rc_sources *s, const struct rc_entry *e, struct rc_buf *out);
