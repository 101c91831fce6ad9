// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>

#include "classify.h"
#include "fsio.h"
#include "sources.h"
#include "store.h"
#include "walk.h"

#define JOURNAL_MAGIC "sharedroot-reconcile-journal 1\n"

struct action {
    unsigned n;
    enum rc_action what;
    unsigned char old_hash[32], new_hash[32];
    char *path;
    bool done;
    struct rc_entry *entry; /* NULL when resuming */
};

/* State of one apply or resume. */
struct applier {
    struct rc_sources src;
    const struct rc_options *opts;
    unsigned step;
    char run[64];
    struct action *a;
    size_t n;
};

static void step(struct applier *ap)
{
    ap->step++;
    if (ap->opts && ap->opts->step_hook)
        ap->opts->step_hook(ap->opts->step_userdata, ap->step);
}

static void applier_done(struct applier *ap)
{
    for (size_t i = 0; i < ap->n; i++)
        free(ap->a[i].path);
    free(ap->a);
    rc_sources_close(&ap->src);
}

enum rc_action rc_policy_action(const struct rc_entry *e, enum rc_policy policy)
{
    if (policy == RC_POLICY_REPORT)
        return RC_ACT_NONE;
    switch (e->outcome) {
    case RC_REDUNDANT:
        return RC_ACT_REMOVE;
    case RC_BASE_UPDATED:
        /* The host never touched it: let the base show through. Else the host changed
         * only metadata: new content, host's metadata. */
        return rc_version_same(&e->upper, &e->base) ? RC_ACT_REMOVE : RC_ACT_REPLACE;
    case RC_MERGED:
        return policy == RC_POLICY_MERGE ? RC_ACT_REPLACE : RC_ACT_NONE;
    default:
        return RC_ACT_NONE;
    }
}

static int add_action(struct applier *ap, enum rc_action what, const unsigned char *old_hash,
                      const unsigned char *new_hash, const char *path, struct rc_entry *e)
{
    struct action *na = realloc(ap->a, (ap->n + 1) * sizeof *na);
    if (!na)
        return -ENOMEM;
    ap->a = na;
    struct action *a = &ap->a[ap->n];
    *a = (struct action){.n = (unsigned)ap->n + 1, .what = what, .entry = e};
    memcpy(a->old_hash, old_hash, 32);
    if (new_hash)
        memcpy(a->new_hash, new_hash, 32);
    if (!(a->path = strdup(path)))
        return -ENOMEM;
    ap->n++;
    return 0;
}

static int set_object_name(char **dst, const unsigned char hash[32])
{
    char name[80];
    rc_store_object_name(hash, name);
    return (*dst = strdup(name)) ? 0 : -ENOMEM;
}

/* Store the lower's version of e as an object (streamed: the lower file may be huge). */
static int store_lower(struct applier *ap, const struct rc_entry *e, unsigned char hash[32])
{
    if (e->lower.kind == RC_SYMLINK) {
        struct rc_buf t = {0};
        int r = rc_sources_read(&ap->src, RC_SIDE_LOWER, e->path, &e->lower, &t);
        if (r >= 0)
            r = rc_store_put_buf(ap->src.store, t.data, t.len, hash);
        rc_buf_done(&t);
        return r;
    }
    bool added;
    _cleanup_close_ int fd = rc_open_beneath(ap->src.lowerfd, e->path, O_RDONLY | O_NOCTTY);
    return fd < 0 ? fd : rc_store_put_fd(ap->src.store, fd, hash, &added);
}

/* A conflict is never resolved: the new base and the merge with markers go to the store. */
static int store_conflict(struct applier *ap, struct rc_entry *e)
{
    unsigned char h[32];
    int r = 0;
    if (e->lower.kind == RC_FILE || e->lower.kind == RC_SYMLINK) {
        r = store_lower(ap, e, h);
        if (r >= 0)
            r = set_object_name(&e->base_object, h);
    }
    if (r < 0 || e->upper.kind != RC_FILE || e->lower.kind != RC_FILE)
        return r;
    struct rc_buf m = {0};
    r = rc_sources_merge(&ap->src, e, &m);
    if (r == 0 && (r = rc_store_put_buf(ap->src.store, m.data, m.len, h)) >= 0)
        r = set_object_name(&e->conflict_object, h);
    rc_buf_done(&m);
    /* binary, too large, or no libgit2 (an initramfs without --with-merge): no merge with
     * markers; the conflict is still reported and the rest of the apply goes on */
    return r == -EMEDIUMTYPE || r == -EFBIG || r == -ENOSYS ? 0 : r;
}

static int plan_entry(struct applier *ap, struct rc_entry *e, enum rc_policy policy)
{
    e->action = rc_policy_action(e, policy);
    if (e->outcome == RC_CONFLICT)
        return store_conflict(ap, e);
    if (e->action == RC_ACT_NONE)
        return 0;
    if (e->action == RC_ACT_REMOVE)
        return add_action(ap, RC_ACT_REMOVE, e->upper.hash, NULL, e->path, e);
    unsigned char h[32];
    int r;
    if (e->outcome == RC_MERGED) {
        struct rc_buf m = {0};
        r = rc_sources_merge(&ap->src, e, &m);
        if (r == 1)
            r = rc_store_put_buf(ap->src.store, m.data, m.len, h);
        else if (r == 0)
            r = -EAGAIN; /* no longer merges cleanly */
        rc_buf_done(&m);
    } else {
        r = store_lower(ap, e, h);
    }
    return r < 0 ? r : add_action(ap, RC_ACT_REPLACE, e->upper.hash, h, e->path, e);
}

static int write_journal(struct applier *ap)
{
    struct rc_buf b = {0};
    int r = rc_buf_printf(&b, "%srun %s\n", JOURNAL_MAGIC, ap->run);
    for (size_t i = 0; r >= 0 && i < ap->n; i++) {
        const struct action *a = &ap->a[i];
        char oh[RC_HASH_HEX], nh[RC_HASH_HEX] = "-";
        rc_hex(a->old_hash, 32, oh);
        if (a->what == RC_ACT_REPLACE)
            rc_hex(a->new_hash, 32, nh);
        r = rc_buf_printf(&b, "%u %s %s %s ", a->n, rc_action_name(a->what), oh, nh);
        if (r >= 0)
            r = rc_escape_c(&b, a->path);
        if (r >= 0)
            r = rc_buf_adds(&b, "\n");
    }
    if (r >= 0)
        r = rc_write_atomic(ap->src.store->dfd, "journal", b.data, b.len, 0600);
    rc_buf_done(&b);
    return r;
}

static int mark_done(struct applier *ap, const struct action *a)
{
    _cleanup_close_ int fd =
        openat(ap->src.store->dfd, "journal", O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char line[32];
    int n = snprintf(line, sizeof line, "done %u\n", a->n);
    int r = rc_write_all(fd, line, (size_t)n);
    return r < 0 ? r : fdatasync(fd) < 0 ? -errno : 0;
}

/* Copy a non-regular entry (symlink, device, fifo) for a backup that cannot be a hard link. */
static int copy_special(int pdir, const char *name, const struct stat *st, int bdir,
                        const char *bname)
{
    if (S_ISLNK(st->st_mode)) {
        struct rc_buf t = {0};
        int r = rc_read_symlink(pdir, name, &t);
        if (r >= 0 && symlinkat(t.data, bdir, bname) < 0)
            r = -errno;
        rc_buf_done(&t);
        return r;
    }
    if (S_ISSOCK(st->st_mode))
        return 0; /* a socket has no content to keep */
    return mknodat(bdir, bname, st->st_mode, st->st_rdev) < 0 ? -errno : 0;
}

static int copy_regular(int pdir, const char *name, int bdir, const char *bname)
{
    _cleanup_close_ int in = openat(pdir, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    (void)unlinkat(bdir, RC_TMP_NAME, 0);
    _cleanup_close_ int out =
        openat(bdir, RC_TMP_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return -errno;
    int r = rc_copy_fd(in, out);
    if (r >= 0 && fsync(out) < 0)
        r = -errno;
    if (r >= 0 && renameat(bdir, RC_TMP_NAME, bdir, bname) < 0)
        r = -errno;
    return r;
}

/* Save the host's version before it is replaced or removed. A hard link keeps the inode with
 * everything on it; across filesystems, a copy. An existing backup (an earlier attempt of the
 * same run) is kept. */
static int backup(struct applier *ap, struct action *a, int pdir, const char *name)
{
    _cleanup_free_ char *rel = rc_path_join(ap->run, a->path);
    _cleanup_free_ char *full = rel ? rc_path_join("backups", rel) : NULL;
    if (!full)
        return -ENOMEM;
    const char *bname = strrchr(full, '/') + 1;
    _cleanup_free_ char *bdirpath = strndup(full, (size_t)(bname - full - 1));
    if (!bdirpath)
        return -ENOMEM;
    _cleanup_close_ int bdir = rc_mkdirs(ap->src.store->dfd, bdirpath, 0700);
    if (bdir < 0)
        return bdir;
    struct stat st;
    if (fstatat(bdir, bname, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    int r = linkat(pdir, name, bdir, bname, 0) < 0 ? -errno : 0;
    if (r == -EXDEV || r == -EPERM) {
        if (fstatat(pdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return -errno;
        r = S_ISREG(st.st_mode) ? copy_regular(pdir, name, bdir, bname)
                                : copy_special(pdir, name, &st, bdir, bname);
    }
    if (r >= 0)
        r = rc_fsync_dir(bdir);
    if (r >= 0 && a->entry && !a->entry->backup)
        r = (a->entry->backup = strdup(full)) ? 0 : -ENOMEM;
    return r;
}

static int copy_xattrs(int from, int to)
{
    ssize_t n = flistxattr(from, NULL, 0);
    if (n <= 0)
        return n < 0 && errno != ENOTSUP ? -errno : 0;
    _cleanup_free_ char *list = malloc((size_t)n);
    if (!list || (n = flistxattr(from, list, (size_t)n)) < 0)
        return list ? -errno : -ENOMEM;
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1) {
        const char *name = list + i;
        if (strstr(name, ".overlay."))
            continue; /* overlayfs' own (origin, ...) belong to the old inode */
        char val[65536];
        ssize_t vl = fgetxattr(from, name, val, sizeof val);
        if (vl < 0)
            continue;
        if (fsetxattr(to, name, val, (size_t)vl, 0) < 0 && errno != ENOTSUP)
            return -errno;
    }
    return 0;
}

/* The host's metadata goes onto the new content: owner first (chown clears set-id bits). */
static int copy_meta(int pdir, const char *name, int tmp)
{
    _cleanup_close_ int from = openat(pdir, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (from < 0 || fstat(from, &st) < 0)
        return -errno;
    if (fchown(tmp, st.st_uid, st.st_gid) < 0 || fchmod(tmp, st.st_mode & 07777) < 0)
        return -errno;
    return copy_xattrs(from, tmp);
}

static int write_tmp(struct applier *ap, const struct action *a, int pdir, const char *name)
{
    _cleanup_close_ int in = rc_store_open_object(ap->src.store, a->new_hash);
    if (in < 0)
        return in;
    _cleanup_close_ int out =
        openat(pdir, RC_TMP_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return -errno;
    int r = rc_copy_fd(in, out);
    if (r >= 0)
        r = copy_meta(pdir, name, out);
    if (r >= 0 && fsync(out) < 0)
        r = -errno;
    return r;
}

/* Where the path stands: 1 already done, 0 still to do, -ESTALE changed since planned. */
static int check_state(const struct action *a, int pdir, const char *name)
{
    struct rc_version v;
    int r = rc_inspect(pdir, name, RC_MARKERS_NONE, false, true, &v);
    if (r == -ENOENT)
        return a->what == RC_ACT_REMOVE ? 1 : -ESTALE;
    if (r < 0)
        return r;
    if (a->what == RC_ACT_REPLACE && v.kind == RC_FILE && memcmp(v.hash, a->new_hash, 32) == 0)
        return 1;
    return v.have_hash && memcmp(v.hash, a->old_hash, 32) == 0 ? 0 : -ESTALE;
}

static int run_action(struct applier *ap, struct action *a)
{
    const char *name;
    _cleanup_close_ int pdir = rc_open_parent(ap->src.upperfd, a->path, &name);
    if (pdir < 0)
        return pdir;
    (void)unlinkat(pdir, RC_TMP_NAME, 0); /* left by an interrupted run */
    int r = check_state(a, pdir, name);
    if (r == 0) {
        if ((r = backup(ap, a, pdir, name)) < 0)
            return r;
        step(ap);
        if (a->what == RC_ACT_REPLACE) {
            if ((r = write_tmp(ap, a, pdir, name)) < 0) {
                (void)unlinkat(pdir, RC_TMP_NAME, 0);
                return r;
            }
            step(ap);
            r = renameat(pdir, RC_TMP_NAME, pdir, name) < 0 ? -errno : 0;
        } else {
            r = unlinkat(pdir, name, 0) < 0 ? -errno : 0;
        }
        if (r < 0)
            return r;
    }
    if (r < 0 || (r = rc_fsync_dir(pdir)) < 0)
        return r;
    step(ap);
    if ((r = mark_done(ap, a)) < 0)
        return r;
    step(ap);
    a->done = true;
    return 0;
}

/* Run every action not done; the journal goes only when all succeeded. */
static int run_all(struct applier *ap)
{
    int first = 0;
    for (size_t i = 0; i < ap->n; i++) {
        if (ap->a[i].done)
            continue;
        int r = run_action(ap, &ap->a[i]);
        if (ap->a[i].entry)
            ap->a[i].entry->applied = r < 0 ? r : 1;
        if (r < 0 && first == 0)
            first = r;
    }
    if (first < 0)
        return first;
    if (unlinkat(ap->src.store->dfd, "journal", 0) < 0)
        return -errno;
    return rc_fsync_dir(ap->src.store->dfd);
}

static int parse_action_line(struct applier *ap, char *line)
{
    unsigned n;
    char what[16], oh[RC_HASH_HEX], nh[RC_HASH_HEX];
    int off = 0;
    if (sscanf(line, "done %u", &n) == 1) {
        for (size_t i = 0; i < ap->n; i++)
            if (ap->a[i].n == n)
                ap->a[i].done = true;
        return 0;
    }
    if (sscanf(line, "%u %15s %64s %64s %n", &n, what, oh, nh, &off) != 4 || off == 0)
        return -EBADMSG;
    unsigned char ohb[32], nhb[32] = {0};
    enum rc_action act = strcmp(what, "remove") == 0    ? RC_ACT_REMOVE
                         : strcmp(what, "replace") == 0 ? RC_ACT_REPLACE
                                                        : RC_ACT_NONE;
    if (act == RC_ACT_NONE || rc_unhex(oh, ohb, 32) < 0 ||
        (act == RC_ACT_REPLACE && rc_unhex(nh, nhb, 32) < 0))
        return -EBADMSG;
    struct rc_buf p = {0};
    int r = rc_unescape_c(line + off, &p);
    if (r >= 0 && !rc_path_is_safe(p.data))
        r = -EBADMSG;
    if (r >= 0)
        r = add_action(ap, act, ohb, nhb, p.data, NULL);
    if (r >= 0)
        ap->a[ap->n - 1].n = n;
    rc_buf_done(&p);
    return r;
}

/* A torn last line (no newline: the crash hit the append) is ignored. */
static int parse_journal(struct applier *ap, char *text)
{
    if (strncmp(text, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC)) != 0)
        return -EBADMSG;
    char *p = text + strlen(JOURNAL_MAGIC);
    if (sscanf(p, "run %63s", ap->run) != 1 || strchr(ap->run, '/') || ap->run[0] == '.')
        return -EBADMSG;
    p = strchr(p, '\n');
    while (p && *++p) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = 0;
        int r = parse_action_line(ap, p);
        if (r < 0)
            return r;
        p = nl;
    }
    return 0;
}

static int refuse_if_mounted(const char *upper)
{
    int r = rc_upper_in_use(upper, NULL);
    return r > 0 ? -EBUSY : r == -ENOENT ? 0 : r < 0 ? r : 0;
}

int rc_resume(const char *upper, const char *store, const struct rc_options *opts)
{
    struct applier ap = {.opts = opts};
    struct rc_overlay ov = {.upper = upper, .lower = "/", .store = store};
    int r = rc_sources_open(&ap.src, &ov, opts, false);
    if (r < 0 || !ap.src.store) {
        applier_done(&ap);
        return r;
    }
    struct rc_buf j = {0};
    _cleanup_close_ int fd = rc_open_beneath(ap.src.store->dfd, "journal", O_RDONLY);
    r = fd < 0 ? (fd == -ENOENT ? 0 : fd) : rc_read_all(fd, 64u << 20, &j);
    if (fd >= 0 && r >= 0 && (r = refuse_if_mounted(upper)) >= 0 &&
        (r = parse_journal(&ap, j.data)) >= 0 && (r = run_all(&ap)) >= 0)
        r = 1;
    rc_buf_done(&j);
    applier_done(&ap);
    return r;
}

static void make_run_id(char run[64])
{
    struct timespec t;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &t);
    gmtime_r(&t.tv_sec, &tm);
    size_t n = strftime(run, 64, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(run + n, 64 - n, "-%09ld-%d", t.tv_nsec, (int)getpid());
}

static int apply_checks(struct rc_report *rep)
{
    if (rep->error)
        return rep->error;
    if (!rep->store)
        return rc_report_fail(rep, -EINVAL, "applying needs a store (backups and journal)");
    if (rep->merge_base_dir)
        return rc_report_fail(rep, -EINVAL, "applying works with a store, not --merge-base");
    int r = refuse_if_mounted(rep->upper);
    if (r == -EBUSY)
        return rc_report_fail(rep, r,
                              "the upper dir is the upperdir of a mounted overlay "
                              "(overlayfs forbids changing it; unmount it first)");
    return r < 0 ? rc_report_fail(rep, r, "reading /proc/self/mountinfo") : 0;
}

int rc_apply(struct rc_report *rep, enum rc_policy policy, const struct rc_options *opts)
{
    rep->policy = policy;
    int r = apply_checks(rep);
    if (r < 0 || policy == RC_POLICY_REPORT)
        return r;
    struct applier ap = {.opts = opts};
    struct rc_overlay ov = {.upper = rep->upper, .lower = rep->lower, .store = rep->store};
    struct stat st;
    if ((r = rc_sources_open(&ap.src, &ov, opts, true)) < 0) {
        applier_done(&ap);
        return rc_report_fail(rep, r, "opening the upper, lower or store");
    }
    if (fstatat(ap.src.store->dfd, "journal", &st, AT_SYMLINK_NOFOLLOW) == 0) {
        applier_done(&ap);
        return rc_report_fail(rep, -EAGAIN, "an interrupted apply is pending in the store");
    }
    make_run_id(ap.run);
    for (size_t i = 0; r >= 0 && i < rep->n_entries; i++)
        r = plan_entry(&ap, &rep->entries[i], policy);
    if (r >= 0 && ap.n > 0 && (r = write_journal(&ap)) >= 0) {
        step(&ap);
        r = run_all(&ap);
    }
    if (r >= 0 && ap.n > 0 && !(rep->run_id = strdup(ap.run)))
        r = -ENOMEM;
    applier_done(&ap);
    return r < 0 ? rc_report_fail(rep, r, "applying") : 0;
}

int rc_reconcile(const struct rc_overlay *ov, enum rc_policy policy, const struct rc_options *opts,
                 struct rc_report **out)
{
    int resumed = 0;
    *out = NULL;
    if (policy != RC_POLICY_REPORT && ov->store &&
        (resumed = rc_resume(ov->upper, ov->store, opts)) < 0) {
        int r = rc_classify(ov, opts, out);
        return *out ? rc_report_fail(*out, resumed, "finishing an interrupted apply") : r;
    }
    int r = rc_classify(ov, opts, out);
    if (*out)
        (*out)->journal_resumed = resumed > 0;
    if (r < 0 || policy == RC_POLICY_REPORT)
        return r;
    return rc_apply(*out, policy, opts);
}
