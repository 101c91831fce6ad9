// SPDX-License-Identifier: GPL-2.0-or-later
#include "classify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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
    int r = rc_grow(&rep->entries, rep->n_entries, &rep->cap_entries, sizeof *rep->entries);
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
    r = rc_manifest_from_dir(c->src.lowerfd, path, c->src.max_depth, NULL, NULL, &ml);
    if (r >= 0 && c->src.mbfd >= 0)
        r = rc_manifest_from_dir(c->src.mbfd, path, c->src.max_depth, NULL, NULL, &mb);
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

static int classify_path(struct classify *c, const char *path, const struct rc_version *u,
                         const struct rc_version *l)
{
    struct rc_version b;
    bool known;
    enum rc_outcome o;
    int r;
    if (u->kind == RC_DIR && u->opaque && l->kind == RC_DIR) {
        r = decide_opaque(c, path, u, &o);
        struct rc_version none = {.kind = RC_ABSENT};
        return r < 0 ? r : rc_report_add(c->rep, path, o, u, l, &none, o != RC_UNKNOWN_BASE, NULL);
    }
    if ((r = find_base(c, path, u, &b, &known)) < 0)
        return r;
    o = rc_decide(u, l, &b, known);
    struct rc_entry *e;
    if ((r = rc_report_add(c->rep, path, o, u, l, &b, known, &e)) < 0 || o != RC_MERGED)
        return r;
    struct rc_buf out = {0};
    r = rc_sources_merge(&c->src, e, &out);
    rc_buf_done(&out);
    if (r == 1)
        return 0;
    c->rep->counts[RC_MERGED]--;
    c->rep->counts[RC_CONFLICT]++;
    e->outcome = RC_CONFLICT;
    if (r == -EMEDIUMTYPE || r == -EFBIG || r == -ENOSYS) {
        e->note = strdup(r == -EMEDIUMTYPE ? "binary: no line merge"
                         : r == -EFBIG     ? "too large for a merge"
                                           : "line merge not available: libgit2 cannot be loaded "
                                             "(build the initramfs with --with-merge)");
        return e->note ? 0 : -ENOMEM;
    }
    return r < 0 ? r : 0;
}

/* One dir of the upper walk: what a later iteration must visit. */
struct dir_item {
    char *path;
    bool xwhiteouts;
};

struct dir_stack {
    struct dir_item *v;
    size_t n, cap;
};

static int dir_push(struct dir_stack *s, const char *path, bool x)
{
    int r = rc_grow(&s->v, s->n, &s->cap, sizeof *s->v);
    if (r < 0)
        return r;
    char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    s->v[s->n++] = (struct dir_item){p, x};
    return 0;
}

static int inspect_lower(int lowerdir, const char *name, struct rc_version *l)
{
    *l = (struct rc_version){.kind = RC_ABSENT};
    if (lowerdir < 0)
        return 0;
    int r = rc_inspect(lowerdir, name, RC_MARKERS_NONE, false, true, l);
    if (r == -ENOENT || r == -ENOTDIR) {
        l->kind = RC_ABSENT;
        return 0;
    }
    return r;
}

/* Classify one child of an upper dir; a plain dir over a lower dir is walked, not judged
 * (only its metadata), since the overlay merges it. */
static int classify_child(struct classify *c, struct dir_stack *s, int udir, int ldir,
                          const char *dirpath, const char *name, bool parent_x, unsigned depth)
{
    struct rc_version u, l;
    int r = rc_inspect(udir, name, c->mk, parent_x, true, &u);
    if (r == -ENOENT)
        return 0;
    if (r >= 0)
        r = inspect_lower(ldir, name, &l);
    _cleanup_free_ char *path = r >= 0 ? rc_path_join(dirpath, name) : NULL;
    if (r < 0 || !path)
        return r < 0 ? r : -ENOMEM;
    if (u.kind == RC_DIR && !u.opaque && l.kind == RC_DIR) {
        if (depth + 1 > c->src.max_depth)
            return -ELOOP;
        if ((r = dir_push(s, path, u.xwhiteouts)) < 0 || rc_version_same(&u, &l))
            return r;
        struct rc_version none = {.kind = RC_ABSENT};
        return rc_report_add(c->rep, path, RC_METADATA_ONLY, &u, &l, &none, false, NULL);
    }
    return classify_path(c, path, &u, &l);
}

static int classify_dir(struct classify *c, struct dir_stack *s, const struct dir_item *d)
{
    _cleanup_close_ int udir = rc_open_beneath(c->src.upperfd, d->path, O_RDONLY | O_DIRECTORY);
    if (udir < 0)
        return udir == -ENOENT ? 0 : udir;
    _cleanup_close_ int ldir = rc_open_beneath(c->src.lowerfd, d->path, O_RDONLY | O_DIRECTORY);
    unsigned depth = *d->path ? 1 : 0;
    for (const char *p = d->path; *p; p++)
        depth += *p == '/';
    char **names = NULL;
    size_t n = 0;
    int r = rc_list_dir(udir, &names, &n);
    size_t first = s->n;
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = classify_child(c, s, udir, ldir, d->path, names[i], d->xwhiteouts, depth);
    rc_names_free(names, n);
    /* Pop subdirs in name order. */
    for (size_t a = first, b = s->n; a + 1 < b; a++, b--) {
        struct dir_item t = s->v[a];
        s->v[a] = s->v[b - 1];
        s->v[b - 1] = t;
    }
    return r;
}

static int walk_upper(struct classify *c)
{
    struct rc_version root;
    int r = rc_inspect_dirfd(c->src.upperfd, c->mk, &root);
    struct dir_stack s = {0};
    if (r >= 0)
        r = dir_push(&s, "", root.xwhiteouts);
    while (r >= 0 && s.n > 0) {
        struct dir_item d = s.v[--s.n];
        r = classify_dir(c, &s, &d);
        free(d.path);
    }
    for (size_t i = 0; i < s.n; i++)
        free(s.v[i].path);
    free(s.v);
    return r;
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

static int new_report(const struct rc_overlay *ov, struct rc_report **out)
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
    *out = rep;
    return r;
}

int rc_classify(const struct rc_overlay *ov, const struct rc_options *opts, struct rc_report **out)
{
    struct classify c = {.mk = opts && opts->userxattr ? RC_MARKERS_USER : RC_MARKERS_ALL};
    int r = new_report(ov, &c.rep);
    *out = c.rep;
    if (r < 0)
        return r;
    if ((r = rc_check_privileges(opts)) < 0)
        return rc_report_fail(c.rep, r, "reading trusted.overlay.* markers needs CAP_SYS_ADMIN");
    if ((r = rc_sources_open(&c.src, ov, opts, false)) < 0)
        return rc_report_fail(c.rep, r, "opening the upper, lower, merge base or store");
    struct stat st;
    if (c.src.store && fstatat(c.src.store->dfd, "journal", &st, AT_SYMLINK_NOFOLLOW) == 0)
        c.rep->journal_pending = true;
    r = walk_upper(&c);
    rc_sources_close(&c.src);
    return r < 0 ? rc_report_fail(c.rep, r, "walking the upper dir") : 0;
}
