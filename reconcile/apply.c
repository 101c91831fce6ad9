// SPDX-License-Identifier: GPL-2.0-or-later
#include "apply.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>

#include "array.h"
#include "classify.h"
#include "fsio.h"
#include "io-util.h"
#include "settled.h"
#include "sources.h"
#include "store.h"
#include "walk.h"

#define JOURNAL_MAGIC "sharedroot-reconcile-journal 1\n"

/* State of one apply or resume. */
struct applier {
    struct rc_sources src;
    const struct rc_options *opts;
    unsigned step;
    struct rc_journal j;
};

static void step(struct applier *ap)
{
    ap->step++;
    if (ap->opts && ap->opts->step_hook)
        ap->opts->step_hook(ap->opts->step_userdata, ap->step);
}

void rc_journal_done(struct rc_journal *j)
{
    for (size_t i = 0; i < j->n; i++)
        free(j->a[i].path);
    free(j->a);
    *j = (struct rc_journal){0};
}

static void applier_done(struct applier *ap)
{
    rc_journal_done(&ap->j);
    rc_sources_close(&ap->src);
}

enum rc_action rc_policy_action(const struct rc_entry *e, enum rc_policy policy)
{
    if (policy == RC_POLICY_REPORT || e->ignored)
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

static int add_action(struct rc_journal *j, enum rc_action what, const unsigned char *old_hash,
                      const unsigned char *new_hash, const char *path, struct rc_entry *e)
{
    int r = array_grow(&j->a, j->n, 1, &j->cap, sizeof *j->a);
    if (r < 0)
        return r;
    struct rc_journal_action *a = &j->a[j->n];
    *a = (struct rc_journal_action){.n = (unsigned)j->n + 1, .what = what, .entry = e};
    memcpy(a->old_hash, old_hash, 32);
    if (new_hash)
        memcpy(a->new_hash, new_hash, 32);
    if (!(a->path = strdup(path)))
        return -ENOMEM;
    j->n++;
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

/* The host's version as the journal names it: classification hashes only what its decision
 * needed (a merge candidate need not have been hashed). */
static int hash_upper(struct applier *ap, struct rc_entry *e)
{
    if (e->upper.have_hash || e->upper.kind != RC_FILE)
        return 0;
    const char *name;
    _cleanup_close_ int dfd = rc_open_parent(ap->src.upperfd, e->path, &name);
    return dfd < 0 ? dfd : rc_version_hash(dfd, name, &e->upper);
}

static int plan_entry(struct applier *ap, struct rc_entry *e, enum rc_policy policy)
{
    e->action = rc_policy_action(e, policy);
    if (e->outcome == RC_CONFLICT && !e->ignored)
        return store_conflict(ap, e);
    if (e->action == RC_ACT_NONE)
        return 0;
    int r = hash_upper(ap, e);
    if (r < 0)
        return r;
    if (e->action == RC_ACT_REMOVE)
        return add_action(&ap->j, RC_ACT_REMOVE, e->upper.hash, NULL, e->path, e);
    unsigned char h[32];
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
    return r < 0 ? r : add_action(&ap->j, RC_ACT_REPLACE, e->upper.hash, h, e->path, e);
}

static const char *ns_name(unsigned ns)
{
    return ns == RC_NS_TRUSTED ? "trusted" : ns == RC_NS_USER ? "user" : "trusted,user";
}

int rc_journal_add_step(struct rc_journal *j, enum rc_action what, unsigned ns, const char *path)
{
    static const unsigned char none[32];
    int r = add_action(j, what, none, NULL, path, NULL);
    if (r >= 0)
        j->a[j->n - 1].ns = ns;
    return r;
}

static int write_journal(struct applier *ap)
{
    struct rc_buf b = {0};
    int r = rc_buf_printf(&b, "%srun %s\n", JOURNAL_MAGIC, ap->j.run);
    for (size_t i = 0; r >= 0 && i < ap->j.n; i++) {
        const struct rc_journal_action *a = &ap->j.a[i];
        char oh[RC_HASH_HEX] = "-", nh[RC_HASH_HEX] = "-";
        if (a->what == RC_ACT_OPAQUE)
            snprintf(oh, sizeof oh, "%s", ns_name(a->ns));
        else if (!rc_action_is_reset_step(a->what))
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

static int mark_done(struct applier *ap, const struct rc_journal_action *a)
{
    _cleanup_close_ int fd =
        openat(ap->src.store->dfd, "journal", O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char line[32];
    int n = snprintf(line, sizeof line, "done %u\n", a->n);
    int r = write_all(fd, line, (size_t)n);
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
static int backup(struct applier *ap, struct rc_journal_action *a, int pdir, const char *name)
{
    _cleanup_free_ char *rel = rc_path_join(ap->j.run, a->path);
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

/* The new content from its store object, checked against the object's name while it is
 * copied: a damaged or planted object never reaches the upper (the temp file is dropped). */
static int write_tmp(struct applier *ap, const struct rc_journal_action *a, int pdir,
                     const char *name)
{
    _cleanup_close_ int out =
        openat(pdir, RC_TMP_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return -errno;
    int r = rc_store_copy_object(ap->src.store, a->new_hash, out);
    if (r >= 0)
        r = copy_meta(pdir, name, out);
    if (r >= 0 && fsync(out) < 0)
        r = -errno;
    return r;
}

/* Where the path stands: 1 already done, 0 still to do, -ESTALE changed since planned. */
static int check_state(const struct rc_journal_action *a, int pdir, const char *name)
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

/* An action's change is on the disk: marked done in the journal. */
static int finish_action(struct applier *ap, struct rc_journal_action *a)
{
    step(ap);
    int r = mark_done(ap, a);
    if (r < 0)
        return r;
    step(ap);
    a->done = true;
    return 0;
}

static int run_action(struct applier *ap, struct rc_journal_action *a)
{
    if (rc_action_is_reset_step(a->what)) {
        /* idempotent: reset.c checks the upper first */
        int r = rc_reset_step(&ap->src, ap->j.run, a);
        return r < 0 ? r : finish_action(ap, a);
    }
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
    return finish_action(ap, a);
}

/* Run every action not done; the journal goes only when all succeeded. */
static int run_all(struct applier *ap)
{
    int first = 0;
    for (size_t i = 0; i < ap->j.n; i++) {
        struct rc_journal_action *a = &ap->j.a[i];
        if (a->done)
            continue;
        int r = run_action(ap, a);
        if (a->entry)
            a->entry->applied = r < 0 ? r : 1;
        if (r == -EBADMSG && a->entry && !a->entry->note)
            a->entry->note = rc_store_bad_object_text(ap->src.store);
        if (r < 0 && first == 0)
            first = r;
        if (r < 0 && rc_action_is_reset_step(a->what))
            break; /* the steps after it rest on it */
    }
    if (first < 0)
        return first;
    if (unlinkat(ap->src.store->dfd, "journal", 0) < 0)
        return -errno;
    return rc_fsync_dir(ap->src.store->dfd);
}

static int parse_action_line(struct rc_journal *j, const char *line)
{
    unsigned n;
    char what[16], oh[RC_HASH_HEX], nh[RC_HASH_HEX];
    int off = 0;
    if (sscanf(line, "done %u%n", &n, &off) == 1 && line[off] == 0) {
        for (size_t i = 0; i < j->n; i++)
            if (j->a[i].n == n)
                j->a[i].done = true;
        return 0;
    }
    if (sscanf(line, "%u %15s %64s %64s %n", &n, what, oh, nh, &off) != 4 || off == 0)
        return -EBADMSG;
    unsigned char ohb[32] = {0}, nhb[32] = {0};
    unsigned ns = 0;
    enum rc_action act = RC_ACT_NONE;
    for (enum rc_action k = RC_ACT_REMOVE; k <= RC_ACT_MOVE; k++)
        if (strcmp(what, rc_action_name(k)) == 0)
            act = k;
    if (act == RC_ACT_OPAQUE)
        for (unsigned m = RC_NS_TRUSTED; m <= (RC_NS_TRUSTED | RC_NS_USER); m++)
            if (strcmp(oh, ns_name(m)) == 0)
                ns = m;
    if (act == RC_ACT_NONE ||
        (rc_action_is_reset_step(act)
             ? (act == RC_ACT_OPAQUE ? !ns : strcmp(oh, "-") != 0) || strcmp(nh, "-") != 0
             : rc_unhex(oh, ohb, 32) < 0) ||
        (act == RC_ACT_REPLACE && rc_unhex(nh, nhb, 32) < 0) ||
        (act == RC_ACT_REMOVE && strcmp(nh, "-") != 0))
        return -EBADMSG;
    struct rc_buf p = {0};
    int r = rc_unescape_c(line + off, &p);
    if (r < 0 || !rc_path_is_safe(p.data))
        r = -EBADMSG;
    if (r >= 0)
        r = add_action(j, act, ohb, nhb, p.data, NULL);
    if (r >= 0) {
        j->a[j->n - 1].n = n;
        j->a[j->n - 1].ns = ns;
    }
    rc_buf_done(&p);
    return r;
}

int rc_journal_parse(const char *text, size_t len, struct rc_journal *j)
{
    size_t ml = strlen(JOURNAL_MAGIC);
    *j = (struct rc_journal){0};
    if (len < ml || memcmp(text, JOURNAL_MAGIC, ml) != 0 || memchr(text, 0, len))
        return -EBADMSG;
    const char *p = text + ml, *end = text + len;
    int r = 0;
    for (unsigned line = 0; r >= 0 && p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break; /* torn */
        _cleanup_free_ char *l = strndup(p, (size_t)(nl - p));
        if (!l)
            r = -ENOMEM;
        else if (line == 0)
            r = sscanf(l, "run %63s", j->run) != 1 || strchr(j->run, '/') || j->run[0] == '.' ||
                        strlen(l) != 4 + strlen(j->run)
                    ? -EBADMSG
                    : 0;
        else
            r = parse_action_line(j, l);
        p = nl + 1;
    }
    if (r >= 0 && !j->run[0])
        r = -EBADMSG;
    if (r < 0)
        rc_journal_done(j);
    return r;
}

static int refuse_if_mounted(int upperfd)
{
    int r = rc_upper_in_use_fd(upperfd, NULL);
    return r > 0 ? -EBUSY : r == -ENOENT ? 0 : r < 0 ? r : 0;
}

int rc_journal_pending(int storefd)
{
    struct stat st;
    if (fstatat(storefd, "journal", &st, AT_SYMLINK_NOFOLLOW) == 0)
        return 1;
    return errno == ENOENT ? 0 : -errno;
}

int rc_resume(const struct rc_overlay *ov, const struct rc_options *opts)
{
    return rc_resume_journal(ov, opts, NULL);
}

int rc_resume_journal(const struct rc_overlay *ov, const struct rc_options *opts,
                      struct rc_journal *out)
{
    struct applier ap = {.opts = opts};
    if (out)
        *out = (struct rc_journal){0};
    struct rc_overlay o = {.upper = ov->upper, .store = ov->store, .root = ov->root};
    int r = rc_sources_open(&ap.src, &o, opts, false, NULL);
    if (r < 0 || !ap.src.store) {
        applier_done(&ap);
        return r;
    }
    struct rc_buf j = {0};
    _cleanup_close_ int fd = rc_open_beneath(ap.src.store->dfd, "journal", O_RDONLY);
    r = fd < 0 ? (fd == -ENOENT ? 0 : fd) : rc_read_all(fd, 64u << 20, &j);
    if (fd >= 0 && r >= 0 && (r = refuse_if_mounted(ap.src.upperfd)) >= 0 &&
        (r = rc_journal_parse(j.data, j.len, &ap.j)) >= 0 && (r = run_all(&ap)) >= 0)
        r = 1;
    rc_buf_done(&j);
    if (out) {
        *out = ap.j;
        ap.j = (struct rc_journal){0};
    }
    applier_done(&ap);
    return r;
}

int rc_journal_carry_out(struct rc_sources *src, struct rc_journal *j,
                         const struct rc_options *opts)
{
    struct applier ap = {.src = *src, .opts = opts, .j = *j};
    int r = rc_settled_unmark_at(src->store->dfd, opts);
    if (r >= 0 && (r = write_journal(&ap)) >= 0) {
        step(&ap);
        r = run_all(&ap);
    }
    *j = ap.j;
    return r;
}

void rc_make_run_id(char run[64])
{
    struct timespec t;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &t);
    gmtime_r(&t.tv_sec, &tm);
    size_t n = strftime(run, 64, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(run + n, 64 - n, "-%09ld-%d", t.tv_nsec, (int)getpid());
}

static const struct rc_overlay *overlay_of(const struct rc_report *rep, struct rc_overlay *ov)
{
    *ov = (struct rc_overlay){.name = rep->name,
                              .upper = rep->upper,
                              .lower = rep->lower,
                              .store = rep->store,
                              .root = rep->root};
    return ov;
}

/* Record the lower into the store before anything is written: the merge base of a path is
 * the newest record older than it, so what apply writes follows this base from now on (a
 * Dom0 apply of a base the host never booted must leave a settled host with nothing to do). */
static int record_first(struct rc_report *rep)
{
    struct rc_overlay ov;
    if (rep->recorded)
        return 0;
    int r = rc_record(overlay_of(rep, &ov), &rep->record);
    if (r < 0)
        return rc_report_fail_msg(rep, r, "recording the base into the store first",
                                  rep->record.why);
    rep->recorded = true;
    return 0;
}

static int apply_checks(struct rc_report *rep)
{
    if (rep->error)
        return rep->error;
    if (!rep->store)
        return rc_report_fail(rep, -EINVAL, "applying needs a store (backups and journal)");
    if (rep->merge_base_dir)
        return rc_report_fail(rep, -EINVAL, "applying works with a store, not --merge-base");
    return 0;
}

static int open_for_apply(struct applier *ap, struct rc_report *rep)
{
    struct rc_overlay ov;
    _cleanup_free_ char *msg = NULL;
    struct stat st;
    int r = rc_sources_open(&ap->src, overlay_of(rep, &ov), ap->opts, true, &msg);
    if (r < 0)
        return rc_report_fail_msg(rep, r, NULL, msg);
    if ((r = refuse_if_mounted(ap->src.upperfd)) == -EBUSY)
        return rc_report_fail(rep, r,
                              "the upper dir is the upperdir of a mounted overlay "
                              "(overlayfs forbids changing it; unmount it first)");
    if (r < 0)
        return rc_report_fail(rep, r, "reading /proc/self/mountinfo");
    if (fstatat(ap->src.store->dfd, "journal", &st, AT_SYMLINK_NOFOLLOW) == 0)
        return rc_report_fail(rep, -EAGAIN, "an interrupted apply is pending in the store");
    return 0;
}

int rc_apply(struct rc_report *rep, enum rc_policy policy, const struct rc_options *opts)
{
    rep->policy = policy;
    if (rep->inside_listed && policy != RC_POLICY_REPORT)
        return rc_report_fail(rep, -EINVAL,
                              "a report that lists the inside of dirs (list_inside) is for "
                              "looking only");
    int r = apply_checks(rep);
    if (r < 0 || policy == RC_POLICY_REPORT)
        return r;
    struct applier ap = {.opts = opts};
    if ((r = record_first(rep)) < 0 || (r = open_for_apply(&ap, rep)) < 0) {
        applier_done(&ap);
        return r;
    }
    rc_make_run_id(ap.j.run);
    for (size_t i = 0; r >= 0 && i < rep->n_entries; i++)
        r = plan_entry(&ap, &rep->entries[i], policy);
    /* the settled mark goes before anything changes the upper it describes */
    if (r >= 0 && ap.j.n > 0)
        r = rc_settled_unmark_at(ap.src.store->dfd, opts);
    if (r >= 0 && ap.j.n > 0 && (r = write_journal(&ap)) >= 0) {
        step(&ap);
        r = run_all(&ap);
    }
    if (r >= 0 && ap.j.n > 0 && !(rep->run_id = strdup(ap.j.run)))
        r = -ENOMEM;
    if (r < 0)
        rc_report_fail_walk(rep, r, "applying", ap.src.store, NULL, 0);
    applier_done(&ap);
    return r;
}

/* The unchanged-base fast path, with upper, lower and store opened once below their roots and
 * kept apart (rc_sources_open) and those fds used by every step: the journal check, the record,
 * the settled mark. 1 and *out when the mark holds. 0 when the full path must run: with
 * *recorded (and *rec_r, *rec) when the base was recorded here, so that it is not recorded
 * twice; without, when something is not as a settled boot left it (no store yet, a journal
 * to finish, a dir that cannot be opened: the full path says what). */
static int reconcile_quick(const struct rc_overlay *ov, enum rc_policy policy,
                           const struct rc_options *opts, struct rc_record_result *rec, int *rec_r,
                           bool *recorded, struct rc_report **out)
{
    struct rc_sources src;
    int r = 0;
    *recorded = false;
    if (!ov->lower || rc_sources_open(&src, ov, opts, false, NULL) < 0)
        return 0;
    /* mbfd: a store sharedroot-instance create prepared, never recorded into */
    if (src.store && src.mbfd < 0 && rc_journal_pending(src.store->dfd) == 0) {
        *rec_r = rc_record_into(src.store, src.lowerfd, ov, rec);
        *recorded = true;
        if (*rec_r >= 0)
            r = rc_settled_try_at(src.store->dfd, src.upperfd, ov, policy, opts, rec, out);
    }
    rc_sources_close(&src);
    return r;
}

int rc_reconcile(const struct rc_overlay *ov, enum rc_policy policy, const struct rc_options *opts,
                 struct rc_report **out)
{
    int resumed = 0, rec_r = 0, r;
    struct rc_record_result rec = {0};
    bool recorded = false;
    *out = NULL;
    bool apply = policy != RC_POLICY_REPORT && ov->store && !ov->merge_base_dir;
    if (apply && (r = reconcile_quick(ov, policy, opts, &rec, &rec_r, &recorded, out)) != 0) {
        if (r < 0)
            return r;
        (*out)->record = rec;
        (*out)->recorded = true;
        return 0;
    }
    /* An interrupted apply is finished first, against the base it was planned for: what it
     * writes must not look newer than the record of the base below. (Recorded above: there
     * was no journal.) */
    if (apply && !recorded && (resumed = rc_resume(ov, opts)) < 0) {
        r = rc_classify(ov, opts, out);
        return *out ? rc_report_fail(*out, resumed, "finishing an interrupted apply") : r;
    }
    if (apply && !recorded)
        rec_r = rc_record(ov, &rec);
    /* The fast path: base and upper as a boot that had nothing to apply left them (tried
     * above when recorded there) */
    if (apply && !recorded && rec_r >= 0 && resumed == 0 &&
        (r = rc_settled_try(ov, policy, opts, &rec, out))) {
        if (r < 0)
            return r;
        (*out)->record = rec;
        (*out)->recorded = true;
        return 0;
    }
    r = rc_classify(ov, opts, out);
    if (!*out)
        return r;
    (*out)->journal_resumed = resumed > 0;
    (*out)->record = rec;
    (*out)->recorded = apply && rec_r >= 0;
    if (rec_r < 0)
        return rc_report_fail_msg(*out, rec_r, "recording the base into the store", rec.why);
    if (r < 0 || policy == RC_POLICY_REPORT)
        return r;
    r = rc_apply(*out, policy, opts);
    rc_settled_update(ov, policy, opts, *out);
    return r;
}
