// SPDX-License-Identifier: GPL-2.0-or-later
#include "classify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "array.h"
#include "fsio.h"
#include "merge.h"
#include "sources.h"
#include "store.h"
#include "walk.h"

static enum rc_outcome decide_whiteout(const struct rc_version *l, const struct rc_version *b,
                                       bool base_known)
{
    if (l->kind == RC_ABSENT)
        return RC_DELETED_IN_BASE;
    if (!base_known)
        return RC_UNKNOWN_BASE;
    if (b->kind == RC_ABSENT || !rc_version_same(l, b))
        return RC_DELETED_BY_HOST;
    return RC_UNCHANGED;
}

enum rc_outcome rc_decide(const struct rc_version *u, const struct rc_version *l,
                          const struct rc_version *b, bool base_known)
{
    bool have_b = base_known && b->kind != RC_ABSENT;
    if (u->kind == RC_WHITEOUT)
        return decide_whiteout(l, b, base_known);
    if (l->kind == RC_ABSENT)
        return have_b ? RC_DELETED_IN_BASE : RC_HOST_ONLY;
    if (rc_version_same(u, l))
        return RC_REDUNDANT;
    /* A dir is never "taken from the base": it holds the host's other files. */
    if (have_b && u->kind != RC_DIR && rc_version_same(u, b))
        return RC_BASE_UPDATED;
    if (u->kind != l->kind)
        return RC_TYPE_CHANGED;
    if (rc_version_same_content(u, l))
        return RC_METADATA_ONLY;
    if (!base_known)
        return RC_UNKNOWN_BASE;
    if (have_b && rc_version_same_content(u, b))
        /* The host changed only metadata; a file can take the new content and keep it. */
        return u->kind == RC_FILE ? RC_BASE_UPDATED : RC_CONFLICT;
    if (have_b && rc_version_same_content(l, b))
        return RC_UNCHANGED;
    return u->kind == RC_FILE ? RC_MERGED : RC_CONFLICT;
}

int rc_report_add(struct rc_report *rep, const char *path, enum rc_outcome o,
                  const struct rc_version *u, const struct rc_version *l,
                  const struct rc_version *b, bool base_known, struct rc_entry **out)
{
    int r = array_grow(&rep->entries, rep->n_entries, 1, &rep->cap_entries, sizeof *rep->entries);
    if (r < 0)
        return r;
    char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    struct rc_entry *e = &rep->entries[rep->n_entries++];
    *e = (struct rc_entry){
        .path = p, .outcome = o, .upper = *u, .lower = *l, .base = *b, .base_known = base_known};
    rep->counts[o]++;
    if (out)
        *out = e;
    return 0;
}

/* State of one classification. */
struct classify {
    struct rc_sources src;
    enum rc_markers mk;
    struct rc_report *rep;
    const char *ignore;
    bool list_inside;
};

/* The merge base of path for an upper version made at u's ctime. */
static int find_base(struct classify *c, const char *path, const struct rc_version *u,
                     struct rc_version *b, bool *known)
{
    *b = (struct rc_version){.kind = RC_ABSENT};
    *known = false;
    if (c->src.mbfd >= 0) {
        const char *name;
        _cleanup_close_ int dfd = rc_open_parent(c->src.mbfd, path, &name);
        int r = dfd < 0 ? dfd : rc_inspect(dfd, name, RC_MARKERS_NONE, false, true, b);
        *known = true;
        if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP) {
            b->kind = RC_ABSENT;
            return 0;
        }
        return r;
    }
    if (!c->src.store)
        return 0;
    const struct rc_manifest *m;
    int r = rc_store_snapshot_at(c->src.store, u->ctime_sec, u->ctime_nsec, &m);
    if (r < 0 || !m)
        return r;
    *known = true;
    const struct rc_manifest_entry *me = rc_manifest_find(m, path);
    if (me)
        *b = me->v;
    return 0;
}

/* An opaque dir over a lower dir: the host replaced the whole dir. Unchanged when the base's
 * tree below it is as it was at the merge base. */
static int decide_opaque(struct classify *c, const char *path, const struct rc_version *u,
                         enum rc_outcome *o)
{
    struct rc_version b;
    bool known;
    int r = find_base(c, path, u, &b, &known);
    if (r < 0)
        return r;
    if (!known || b.kind != RC_DIR) {
        *o = known ? RC_DELETED_BY_HOST : RC_UNKNOWN_BASE;
        return 0;
    }
    unsigned char dl[32], db[32];
    struct rc_manifest *ml = NULL, *mb = NULL;
    const struct rc_manifest *base_m = NULL;
    r = rc_manifest_from_dir(c->src.lowerfd, path, c->src.max_depth, NULL, NULL, &ml, NULL);
    if (r >= 0 && c->src.mbfd >= 0)
        r = rc_manifest_from_dir(c->src.mbfd, path, c->src.max_depth, NULL, NULL, &mb, NULL);
    else if (r >= 0)
        r = rc_store_snapshot_at(c->src.store, u->ctime_sec, u->ctime_nsec, &base_m);
    if (r >= 0)
        r = rc_manifest_subtree_digest(ml, path, dl);
    if (r >= 0)
        r = rc_manifest_subtree_digest(mb ? mb : base_m, path, db);
    rc_manifest_free(ml);
    rc_manifest_free(mb);
    if (r >= 0)
        *o = memcmp(dl, db, 32) == 0 ? RC_UNCHANGED : RC_DELETED_BY_HOST;
    return r;
}

static bool same_size_file(const struct rc_version *a, const struct rc_version *b)
{
    return a->kind == RC_FILE && b->kind == RC_FILE && a->size == b->size;
}

/* Hash what the decision needs, and only that: two files can only be equal when their sizes
 * are, so a host-only file, or one whose size differs from the base's and the merge base's, is
 * never read (a sparse 4 GiB /var/log/lastlog must not stall a boot). Beyond max_hash a file
 * is compared by size only. */
static int hash_needed(struct classify *c, int udir, int ldir, const char *name,
                       struct rc_version *u, struct rc_version *l, const struct rc_version *b,
                       const char **note)
{
    bool bu = b->kind == RC_FILE && b->have_hash;
    bool hu = same_size_file(u, l) || (bu && same_size_file(u, b));
    bool hl = same_size_file(l, u) || (bu && same_size_file(l, b));
    int r = 0;
    if ((hu && u->size > c->src.max_hash) || (hl && l->size > c->src.max_hash)) {
        *note = "too large to compare (over sharedroot's hash limit): compared by size only";
        return 0;
    }
    if (hu)
        r = rc_version_hash(udir, name, u);
    if (r >= 0 && hl)
        r = rc_version_hash(ldir, name, l);
    return r;
}

static int add_entry(struct classify *c, const char *path, enum rc_outcome o,
                     const struct rc_version *u, const struct rc_version *l,
                     const struct rc_version *b, bool known, const char *note)
{
    struct rc_entry *e;
    int r = rc_report_add(c->rep, path, o, u, l, b, known, &e);
    if (r < 0)
        return r;
    if (note && !(e->note = strdup(note)))
        return -ENOMEM;
    if (rc_ignored(c->ignore, c->rep->name, path)) {
        e->ignored = true;
        c->rep->counts[o]--;
        c->rep->n_ignored++;
    }
    return 0;
}

/* Files on both sides changed: a clean line merge is "merged", anything else a conflict. */
static int try_merge(struct classify *c, const char *path, const struct rc_version *u,
                     const struct rc_version *l, const struct rc_version *b, enum rc_outcome *o,
                     const char **note)
{
    struct rc_entry e = {.path = (char *)path, .upper = *u, .lower = *l, .base = *b};
    struct rc_buf out = {0};
    int r = rc_sources_merge(&c->src, &e, &out);
    rc_buf_done(&out);
    *o = r == 1 ? RC_MERGED : RC_CONFLICT;
    *note = r == -EMEDIUMTYPE ? "binary: no line merge"
            : r == -EFBIG     ? "too large for a merge"
            : r == -ENOSYS    ? "line merge not available: libgit2 cannot be loaded (build the "
                                "initramfs with --with-merge)"
                              : *note;
    return r == -EMEDIUMTYPE || r == -EFBIG || r == -ENOSYS || r >= 0 ? 0 : r;
}

static int classify_path(struct classify *c, const char *path, int udir, int ldir, const char *name,
                         struct rc_version *u, struct rc_version *l)
{
    struct rc_version b, none = {.kind = RC_ABSENT};
    bool known;
    enum rc_outcome o;
    const char *note = NULL;
    int r;
    if (u->kind == RC_DIR && u->opaque && l->kind == RC_DIR) {
        r = decide_opaque(c, path, u, &o);
        return r < 0 ? r : add_entry(c, path, o, u, l, &none, o != RC_UNKNOWN_BASE, NULL);
    }
    if ((r = find_base(c, path, u, &b, &known)) < 0)
        return r;
    if (l->kind != RC_ABSENT && (r = hash_needed(c, udir, ldir, name, u, l, &b, &note)) < 0)
        return r;
    o = rc_decide(u, l, &b, known);
    if (o == RC_MERGED && (r = try_merge(c, path, u, l, &b, &o, &note)) < 0)
        return r;
    return add_entry(c, path, o, u, l, &b, known, note);
}

static int inspect_lower(int lowerdir, const char *name, struct rc_version *l)
{
    *l = (struct rc_version){.kind = RC_ABSENT};
    if (lowerdir < 0)
        return 0;
    int r = rc_inspect(lowerdir, name, RC_MARKERS_NONE, false, false, l);
    if (r == -ENOENT || r == -ENOTDIR) {
        l->kind = RC_ABSENT;
        return 0;
    }
    return r;
}

/* The walk's flag for a dir marked overlay.opaque="x" (its children may be xattr whiteouts). */
#define DIR_XWHITEOUTS 1u

/* Classify one entry of the upper; a plain dir over a lower dir is walked, not judged (only
 * its metadata), since the overlay merges it. */
static int classify_visit(void *ud, struct rc_walk_entry *we)
{
    struct classify *c = ud;
    struct rc_version u, l;
    we->descend = false;
    int r = rc_inspect(we->dirfd, we->name, c->mk, we->parent_flags & DIR_XWHITEOUTS, false, &u);
    if (r == -ENOENT)
        return 0;
    if (r >= 0)
        r = inspect_lower(we->dirfd2, we->name, &l);
    if (r < 0)
        return r;
    if (u.kind == RC_DIR && !u.opaque && l.kind == RC_DIR) {
        we->descend = true;
        we->descend_flags = u.xwhiteouts ? DIR_XWHITEOUTS : 0;
        if (rc_version_same(&u, &l))
            return 0;
        struct rc_version none = {.kind = RC_ABSENT};
        return add_entry(c, we->path, RC_METADATA_ONLY, &u, &l, &none, false, NULL);
    }
    r = classify_path(c, we->path, we->dirfd, we->dirfd2, we->name, &u, &l);
    /* A dir the base has no dir for is judged whole; a listing shows what it holds too (with
     * no lower beside it, each inside path is classified on its own: host-only, ...). */
    if (r >= 0 && c->list_inside && u.kind == RC_DIR && l.kind != RC_DIR) {
        we->descend = true;
        we->descend_flags = u.xwhiteouts ? DIR_XWHITEOUTS : 0;
    }
    return r;
}

static int walk_upper(struct classify *c, char **too_deep)
{
    struct rc_version root;
    int r = rc_inspect_dirfd(c->src.upperfd, c->mk, &root);
    if (r < 0)
        return r;
    return rc_walk(&(struct rc_walk){.rootfd = c->src.upperfd,
                                     .rootfd2 = c->src.lowerfd,
                                     .start = "",
                                     .max_depth = c->src.max_depth,
                                     .root_flags = root.xwhiteouts ? DIR_XWHITEOUTS : 0,
                                     .fn = classify_visit,
                                     .ud = c,
                                     .too_deep = too_deep});
}

int rc_check_privileges(const struct rc_options *opts)
{
    if (opts && opts->userxattr)
        return 0;
    /* Without CAP_SYS_ADMIN the kernel hides trusted.* xattrs: reading them fails with
     * ENODATA, exactly as if no marker were there, so missing markers would go unnoticed. */
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[2] = {0};
    if (syscall(SYS_capget, &h, d) < 0)
        return -errno;
    return (d[CAP_SYS_ADMIN / 32].effective >> (CAP_SYS_ADMIN % 32)) & 1 ? 0 : -EPERM;
}

static int set_str(char **dst, const char *src)
{
    if (!src)
        return 0;
    return (*dst = strdup(src)) ? 0 : -ENOMEM;
}

int rc_report_new(const struct rc_overlay *ov, struct rc_report **out)
{
    struct rc_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        return -ENOMEM;
    int r = set_str(&rep->name, ov->name ? ov->name : ov->upper);
    if (r >= 0)
        r = set_str(&rep->lower, ov->lower);
    if (r >= 0)
        r = set_str(&rep->upper, ov->upper);
    if (r >= 0)
        r = set_str(&rep->store, ov->store);
    if (r >= 0)
        r = set_str(&rep->merge_base_dir, ov->merge_base_dir);
    if (r >= 0)
        r = set_str(&rep->root, ov->root);
    *out = rep;
    return r;
}

int rc_report_fail_msg(struct rc_report *rep, int err, const char *what, const char *msg)
{
    if (!msg)
        return rc_report_fail(rep, err, what);
    if (rep->error)
        return rep->error;
    rep->error = err;
    free(rep->error_text);
    if (asprintf(&rep->error_text, "%s%s%s", what ? what : "", what ? ": " : "", msg) < 0)
        rep->error_text = NULL;
    return err;
}

int rc_report_fail_walk(struct rc_report *rep, int err, const char *what,
                        const struct rc_store *store, const char *too_deep, unsigned max_depth)
{
    _cleanup_free_ char *t = rc_store_bad_object_text(store);
    if (!t && err == -ENAMETOOLONG && too_deep)
        t = rc_too_deep_text(too_deep, max_depth);
    if (!t && err == -ELOOP)
        t = strdup("a symlink where a dir was walked (replaced while it was read?): refused");
    return rc_report_fail_msg(rep, err, what, t);
}

int rc_classify(const struct rc_overlay *ov, const struct rc_options *opts, struct rc_report **out)
{
    struct classify c = {.mk = opts && opts->userxattr ? RC_MARKERS_USER : RC_MARKERS_ALL,
                         .ignore = opts ? opts->ignore : NULL,
                         .list_inside = opts && opts->list_inside};
    int r = rc_report_new(ov, &c.rep);
    *out = c.rep;
    if (r < 0)
        return r;
    c.rep->inside_listed = c.list_inside;
    if ((r = rc_check_privileges(opts)) < 0)
        return rc_report_fail(c.rep, r, "reading trusted.overlay.* markers needs CAP_SYS_ADMIN");
    _cleanup_free_ char *msg = NULL;
    if ((r = rc_sources_open(&c.src, ov, opts, false, &msg)) < 0)
        return rc_report_fail_msg(c.rep, r, NULL, msg ? msg : strerror(-r));
    struct stat st;
    if (c.src.store && fstatat(c.src.store->dfd, "journal", &st, AT_SYMLINK_NOFOLLOW) == 0)
        c.rep->journal_pending = true;
    _cleanup_free_ char *deep = NULL;
    r = walk_upper(&c, &deep);
    if (r < 0)
        rc_report_fail_walk(c.rep, r, "walking the upper dir", c.src.store, deep, c.src.max_depth);
    rc_sources_close(&c.src);
    return r < 0 ? r : 0;
}
