// SPDX-License-Identifier: GPL-2.0-or-later
#include "sources.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fsio.h"
#include "merge.h"
#include "walk.h"

#define DEFAULT_MAX_MERGE (64ull << 20)
#define DEFAULT_MAX_DEPTH 4096u
#define DEFAULT_MAX_HASH (1ull << 30)
#define INSTANCE_MARKER ".sharedroot-instance" /* as mounts/instance.h writes it */

/* Up to 16 names of dirfd/sub/<name>/<leaf> that exist, ", "-separated and escaped. */
static int list_dirs(int dirfd, const char *sub, const char *leaf, struct rc_buf *out)
{
    _cleanup_close_ int d = rc_open_beneath(dirfd, sub, O_RDONLY | O_DIRECTORY);
    char **names = NULL;
    size_t n = 0, shown = 0;
    int r = d < 0 ? 0 : rc_list_dir(d, &names, &n);
    for (size_t i = 0; r >= 0 && i < n && shown < 16; i++) {
        _cleanup_free_ char *rel = rc_path_join(names[i], leaf);
        struct stat st;
        if (!rel || rc_stat_beneath(d, rel, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        r = rc_buf_printf(out, "%s%s/", shown++ ? ", " : "", sub);
        if (r >= 0)
            r = rc_escape_c(out, rel);
    }
    if (r >= 0 && !shown)
        r = rc_buf_adds(out, "none");
    rc_names_free(names, n);
    return r;
}

/* For a path that is not there: when it is below an instance disk (a dir holding the
 * .sharedroot-instance marker), where that disk keeps its upper dirs and stores. */
static char *instance_hint(const char *path)
{
    _cleanup_free_ char *p = strdup(path);
    struct rc_buf b = {0};
    char *slash;
    while (p && (slash = strrchr(p, '/')) && slash != p) {
        *slash = 0;
        _cleanup_close_ int fd = rc_open_typed(p, NULL, false, 0, NULL);
        struct stat st;
        if (fd < 0 || fstatat(fd, INSTANCE_MARKER, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        int r = rc_buf_printf(&b,
                              "; %s is an instance disk: an overlaid DIR has its upper dir in "
                              "overlay/DIR/upper and its store in reconcile/DIR (here: ",
                              p);
        if (r >= 0)
            r = list_dirs(fd, "overlay", "upper", &b);
        if (r >= 0)
            r = rc_buf_adds(&b, "; stores: ");
        if (r >= 0)
            r = list_dirs(fd, "reconcile", "", &b);
        if (r >= 0)
            r = rc_buf_adds(&b, ")");
        if (r < 0)
            rc_buf_done(&b);
        return b.data;
    }
    return NULL;
}

/* "the upper dir: MSG[; hint]" into *msg. */
static int fail(char **msg, int err, const char *what, const char *path, const char *detail)
{
    _cleanup_free_ char *hint = err == -ENOENT ? instance_hint(path) : NULL;
    if (msg && asprintf(msg, "the %s: %s%s", what, detail, hint ? hint : "") < 0)
        *msg = NULL;
    return err;
}

static int open_admin_dir(const char *what, const char *path, char **msg)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    int e = errno;
    _cleanup_free_ char *d = NULL;
    if (asprintf(&d, "%s: %s", path, strerror(e)) < 0)
        return -ENOMEM;
    return fail(msg, -e, what, path, d);
}

static int open_guest_dir(const char *what, const char *path, const char *root, bool create,
                          char **msg)
{
    _cleanup_free_ char *m = NULL;
    int fd = rc_open_typed(path, root, create, 0700, &m);
    return fd >= 0 ? fd : fail(msg, fd, what, path, m ? m : strerror(-fd));
}

/* A dir and its ancestors, taken once: each of upper, lower and store is kept apart from both
 * others, and walking ".." for every pair was most of an unchanged boot's system calls. */
struct lineage {
    struct rc_dir_id *ids; /* ids[0]: the dir itself */
    size_t n;
};

static int lineage_take(int fd, struct lineage *l)
{
    return l->ids ? 0 : rc_dir_ancestry(fd, &l->ids, &l->n);
}

/* Refuse two of the dirs that are one, or one inside the other. */
static int check_apart(int a, struct lineage *la, const char *wa, int b, struct lineage *lb,
                       const char *wb, char **msg)
{
    int r = lineage_take(a, la);
    if (r >= 0)
        r = lineage_take(b, lb);
    if (r >= 0)
        r = rc_dir_id_in(la->ids, la->n, &lb->ids[0]) || rc_dir_id_in(lb->ids, lb->n, &la->ids[0]);
    if (r == 0)
        return 0;
    if (msg && asprintf(msg, "the %s and the %s %s", wa, wb,
                        r > 0 ? "are the same dir, or one is inside the other: refused"
                              : "cannot be told apart") < 0)
        *msg = NULL;
    return r > 0 ? -EINVAL : r;
}

int rc_sources_open(struct rc_sources *s, const struct rc_overlay *ov,
                    const struct rc_options *opts, bool create_store, char **msg)
{
    *s = (struct rc_sources){.upperfd = -1, .lowerfd = -1, .mbfd = -1};
    if (msg)
        *msg = NULL;
    s->max_merge = opts && opts->max_merge_size ? opts->max_merge_size : DEFAULT_MAX_MERGE;
    s->max_depth = opts && opts->max_depth ? opts->max_depth : DEFAULT_MAX_DEPTH;
    s->max_hash = opts && opts->max_hash_size ? opts->max_hash_size : DEFAULT_MAX_HASH;
    struct lineage lu = {0}, ll = {0}, ls = {0};
    int r = 0, sfd = -1;
    if ((s->upperfd = open_guest_dir("upper dir", ov->upper, ov->root, false, msg)) < 0)
        r = s->upperfd;
    else if (ov->lower && (s->lowerfd = open_admin_dir("lower dir", ov->lower, msg)) < 0)
        r = s->lowerfd;
    else if (ov->lower &&
             (r = check_apart(s->upperfd, &lu, "upper dir", s->lowerfd, &ll, "lower dir", msg)) < 0)
        ;
    else if (ov->merge_base_dir &&
             (s->mbfd = open_admin_dir("merge base dir", ov->merge_base_dir, msg)) < 0)
        r = s->mbfd;
    else if (ov->store && !ov->merge_base_dir) {
        sfd = open_guest_dir("store", ov->store, ov->root, create_store, msg);
        if (sfd == -ENOENT && !create_store) {
            if (msg) {
                free(*msg);
                *msg = NULL;
            }
            goto out; /* never recorded: every merge base unknown */
        }
        if (sfd < 0)
            r = sfd;
        else if ((r = check_apart(sfd, &ls, "store", s->upperfd, &lu, "upper dir", msg)) < 0 ||
                 (s->lowerfd >= 0 &&
                  (r = check_apart(sfd, &ls, "store", s->lowerfd, &ll, "lower dir", msg)) < 0))
            close(sfd);
        else
            r = rc_store_open_fd(sfd, create_store, &s->store);
        /* A store sharedroot-instance create prepared, never recorded into: the boot's first
         * recording will be the merge base of every path create wrote (rc_store_record), and
         * that recording is the lower given here; take it as the merge base directly, so that
         * a report before the first boot says what that boot will find. */
        if (r >= 0 && s->lowerfd >= 0 && rc_store_prepared_unrecorded(s->store) &&
            (s->mbfd = fcntl(s->lowerfd, F_DUPFD_CLOEXEC, 3)) < 0)
            r = -errno;
    }
    if (r < 0)
        rc_sources_close(s);
out:
    free(lu.ids);
    free(ll.ids);
    free(ls.ids);
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

int rc_sources_side_fd(const struct rc_sources *s, enum rc_side side)
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
        return rc_store_read_object(s->store, v->hash, s->max_merge, out);
    } else if (v->kind == RC_SYMLINK) {
        const char *name;
        _cleanup_close_ int dfd = rc_open_parent(rc_sources_side_fd(s, side), path, &name);
        return dfd < 0 ? dfd : rc_read_symlink(dfd, name, out);
    } else if (v->kind == RC_FILE) {
        fd = rc_open_beneath(rc_sources_side_fd(s, side), path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
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
