// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "fsio.h"
#include "merge.h"
#include "walk.h"

#define DEFAULT_MAX_MERGE (64ull << 20)
#define DEFAULT_MAX_DEPTH 4096u

static int open_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int rc_sources_open(struct rc_sources *s, const struct rc_overlay *ov,
                    const struct rc_options *opts, bool create_store)
{
    *s = (struct rc_sources){.upperfd = -1, .lowerfd = -1, .mbfd = -1};
    s->max_merge = opts && opts->max_merge_size ? opts->max_merge_size : DEFAULT_MAX_MERGE;
    s->max_depth = opts && opts->max_depth ? opts->max_depth : DEFAULT_MAX_DEPTH;
    int r = 0;
    if ((s->upperfd = open_dir(ov->upper)) < 0)
        r = s->upperfd;
    else if ((s->lowerfd = open_dir(ov->lower)) < 0)
        r = s->lowerfd;
    else if (ov->merge_base_dir && (s->mbfd = open_dir(ov->merge_base_dir)) < 0)
        r = s->mbfd;
    else if (ov->store && !ov->merge_base_dir) {
        r = rc_store_open(ov->store, create_store, &s->store);
        if (r == -ENOENT && !create_store)
            r = 0; /* never recorded: every merge base unknown */
    }
    if (r < 0)
        rc_sources_close(s);
    return r;
}

void rc_sources_close(struct rc_sources *s)
{
    if (s->upperfd >= 0)
        close(s->upperfd);
    if (s->lowerfd >= 0)
        close(s->lowerfd);
    if (s->mbfd >= 0)
        close(s->mbfd);
    rc_store_free(s->store);
    s->upperfd = s->lowerfd = s->mbfd = -1;
    s->store = NULL;
}

static int side_fd(const struct rc_sources *s, enum rc_side side)
{
    return side == RC_SIDE_UPPER ? s->upperfd : side == RC_SIDE_LOWER ? s->lowerfd : s->mbfd;
}

int rc_sources_read(const struct rc_sources *s, enum rc_side side, const char *path,
                    const struct rc_version *v, struct rc_buf *out)
{
    int r = rc_buf_grow(out, 0);
    if (r < 0 || v->kind == RC_ABSENT || v->kind == RC_WHITEOUT || v->kind == RC_DIR)
        return r;
    if (v->size > s->max_merge)
        return -EFBIG;
    _cleanup_close_ int fd = -1;
    if (side == RC_SIDE_BASE && s->mbfd < 0) {
        if (!s->store || !v->have_hash)
            return -ENOENT;
        /* Not kept: larger than RC_STORE_CONTENT_MAX when it was recorded. */
        if (v->size > RC_STORE_CONTENT_MAX)
            return -EFBIG;
        fd = rc_store_open_object(s->store, v->hash);
    } else if (v->kind == RC_SYMLINK) {
        const char *name;
        _cleanup_close_ int dfd = rc_open_parent(side_fd(s, side), path, &name);
        return dfd < 0 ? dfd : rc_read_symlink(dfd, name, out);
    } else if (v->kind == RC_FILE) {
        fd = rc_open_beneath(side_fd(s, side), path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    } else {
        return 0; /* devices, fifos, sockets have no content to read */
    }
    return fd < 0 ? fd : rc_read_all(fd, s->max_merge, out);
}

int rc_sources_merge(const struct rc_sources *s, const struct rc_entry *e, struct rc_buf *out)
{
    struct rc_buf b = {0}, u = {0}, l = {0};
    struct rc_version none = {.kind = RC_ABSENT};
    const struct rc_version *bv = e->base.kind == RC_FILE ? &e->base : &none;
    int r = rc_sources_read(s, RC_SIDE_BASE, e->path, bv, &b);
    if (r >= 0)
        r = rc_sources_read(s, RC_SIDE_UPPER, e->path, &e->upper, &u);
    if (r >= 0)
        r = rc_sources_read(s, RC_SIDE_LOWER, e->path, &e->lower, &l);
    if (r >= 0)
        r = rc_merge3(&b, &u, &l, e->path, out);
    rc_buf_done(&b);
    rc_buf_done(&u);
    rc_buf_done(&l);
    return r;
}
