// SPDX-License-Identifier: GPL-2.0-or-later
#include "reset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "apply.h"
#include "array.h"
#include "fsio.h"
#include "sources.h"
#include "store.h"
#include "walk.h"
#include "why.h"

#define RESET_MAGIC "sharedroot-reset 1\n"
#define RESET_MAX (1u << 20)

#define why(res, err, ...) why_fail((res)->why, sizeof(res)->why, err, __VA_ARGS__)

static int add_name(char ***v, size_t *n, size_t *cap, const char *s)
{
    int r = array_grow(v, *n, 1, cap, sizeof **v);
    if (r < 0)
        return r;
    if (!((*v)[*n] = strdup(s)))
        return -ENOMEM;
    (*n)++;
    return 0;
}

void rc_reset_paths_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

void rc_reset_result_done(struct rc_reset_result *res)
{
    rc_reset_paths_free(res->done, res->n_done);
    rc_reset_paths_free(res->absent, res->n_absent);
    rc_reset_paths_free(res->unopaqued, res->n_unopaqued);
    rc_reset_paths_free(res->whiteouts, res->n_whiteouts);
    rc_reset_paths_free(res->opaqued, res->n_opaqued);
    *res = (struct rc_reset_result){0};
}

/* Move pdir/name (path in the upper) into backups/<run>/<path>: one rename, never over
 * anything. why (wn bytes) says what failed. */
static int backup_move(struct rc_sources *src, const char *run, int pdir, const char *name,
                       const char *path, char *why, size_t wn)
{
    _cleanup_free_ char *rel = rc_path_join(run, path);
    _cleanup_free_ char *full = rel ? rc_path_join("backups", rel) : NULL;
    _cleanup_free_ char *bdirpath =
        full ? strndup(full, (size_t)(strrchr(full, '/') - full)) : NULL;
    if (!bdirpath)
        return -ENOMEM;
    _cleanup_close_ int bdir = rc_mkdirs(src->store->dfd, bdirpath, 0700);
    if (bdir < 0)
        return why_fail(why, wn, bdir, "cannot make %s in the store: %s", bdirpath,
                        strerror(-bdir));
    if (renameat2(pdir, name, bdir, name, RENAME_NOREPLACE) < 0)
        return why_fail(why, wn, -errno, "cannot move %s to %s in the store: %s%s", path, full,
                        strerror(errno),
                        errno == EXDEV ? " (the store must be on the upper dir's filesystem)" : "");
    int r = rc_fsync_dir(bdir);
    if (r >= 0)
        r = rc_fsync_dir(pdir);
    if (r < 0)
        return why_fail(why, wn, r, "syncing after moving %s: %s", path, strerror(-r));
    return 0;
}

/* Move one entry of the upper into backups/<run>/<path>. */
static int reset_one(struct rc_sources *src, const char *path, struct rc_reset_result *res)
{
    const char *name;
    struct stat st;
    _cleanup_close_ int pdir = rc_open_parent(src->upperfd, path, &name);
    if (pdir == -ENOENT || pdir == -ENOTDIR ||
        (pdir >= 0 && fstatat(pdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT))
        return add_name(&res->absent, &res->n_absent, &res->cap_absent, path);
    if (pdir < 0)
        return why(res, pdir, "%s in the upper dir: %s", path,
                   pdir == -ELOOP ? "a symlink on the way (refused)" : strerror(-pdir));
    int r = backup_move(src, res->run, pdir, name, path, res->why, sizeof res->why);
    return r < 0 ? r : add_name(&res->done, &res->n_done, &res->cap_done, path);
}

/* --- A path inside an opaque dir (see rc_reset in reconcile.h) --- */

/* Indexed by bit: RC_NS_TRUSTED, RC_NS_USER. */
static const char *const opaque_attr[] = {"trusted.overlay.opaque", "user.overlay.opaque"};
static const char *const redirect_attr[] = {"trusted.overlay.redirect", "user.overlay.redirect"};

/* The namespaces (RC_NS_*) in which the dir fd is opaque: the value "y", as overlayfs reads
 * it ("x" marks a dir that may hold xattr whiteouts, which is not opaque). */
static unsigned opaque_marks(int fd)
{
    unsigned m = 0;
    for (unsigned i = 0; i < 2; i++) {
        char v[2];
        if (fgetxattr(fd, opaque_attr[i], v, sizeof v) == 1 && v[0] == 'y')
            m |= 1u << i;
    }
    return m;
}

/* An upper dir with a redirect (overlayfs' redirect_dir) takes a lower dir from elsewhere. */
static bool has_redirect(int fd, unsigned ns)
{
    for (unsigned i = 0; i < 2; i++)
        if ((ns & (1u << i)) && fgetxattr(fd, redirect_attr[i], NULL, 0) >= 0)
            return true;
    return false;
}

int rc_reset_opaque_above(int upperfd, const char *path, char **dir)
{
    _cleanup_free_ char *p = strdup(path);
    *dir = NULL;
    if (!p)
        return -ENOMEM;
    for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        _cleanup_close_ int fd = rc_open_beneath(upperfd, p, O_RDONLY | O_DIRECTORY);
        if (fd == -ENOENT || fd == -ENOTDIR)
            return 0;
        if (fd < 0)
            return fd;
        if (opaque_marks(fd))
            return (*dir = strdup(p)) ? 1 : -ENOMEM;
        *s = '/';
    }
    return 0;
}

/* The steps in the way dir w (upper uw, base lw) whose entry next is on the way: a whiteout
 * for each base entry the upper lacks, an opaque mark for each upper dir that would merge with
 * a base dir once w stops hiding the base. */
static int plan_dir(struct rc_journal *j, unsigned ns, const char *w, int uw, int lw,
                    const char *next)
{
    char **names = NULL;
    size_t n = 0;
    struct stat st;
    int r = rc_list_dir(lw, &names, &n);
    for (size_t i = 0; r >= 0 && i < n; i++) {
        if (strcmp(names[i], next) == 0 || fstatat(uw, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        if (errno != ENOENT) {
            r = -errno;
            break;
        }
        _cleanup_free_ char *p = rc_path_join(w, names[i]);
        r = p ? rc_journal_add_step(j, RC_ACT_WHITEOUT, 0, p) : -ENOMEM;
    }
    rc_names_free(names, n);
    names = NULL;
    n = 0;
    if (r >= 0)
        r = rc_list_dir(uw, &names, &n);
    for (size_t i = 0; r >= 0 && i < n; i++) {
        struct stat lst;
        if (strcmp(names[i], next) == 0 || fstatat(uw, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISDIR(st.st_mode))
            continue;
        _cleanup_close_ int cfd = rc_open_child_dir(uw, names[i]);
        if (cfd < 0) {
            r = cfd;
            break;
        }
        bool base_dir =
            fstatat(lw, names[i], &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(lst.st_mode);
        if ((opaque_marks(cfd) & ns) == ns || !(base_dir || has_redirect(cfd, ns)))
            continue;
        _cleanup_free_ char *p = rc_path_join(w, names[i]);
        r = p ? rc_journal_add_step(j, RC_ACT_OPAQUE, ns, p) : -ENOMEM;
    }
    rc_names_free(names, n);
    return r;
}

/* Plan the reset of path, inside the opaque dir top: the steps of every dir from top down to
 * path's parent, their opaque marks dropped deepest first (top last), then the move. No step
 * at all when the base has no version of path: the move alone shows nothing new. */
static int plan_opaque(struct rc_sources *src, const char *path, const char *top,
                       struct rc_journal *j, struct rc_reset_result *res)
{
    struct stat st;
    int r = rc_stat_beneath(src->lowerfd, path, &st);
    if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP) /* overlayfs follows no symlink either */
        return 0;
    if (r < 0)
        return why(res, r, "%s in the base: %s", path, strerror(-r));
    _cleanup_close_ int topfd = rc_open_beneath(src->upperfd, top, O_RDONLY | O_DIRECTORY);
    if (topfd < 0)
        return why(res, topfd, "the opaque dir %s: %s", top, strerror(-topfd));
    unsigned ns = opaque_marks(topfd);
    _cleanup_free_ char *w = strdup(path);
    char **unop = NULL;
    size_t nun = 0, capun = 0;
    if (!w)
        return -ENOMEM;
    for (char *end = w + strlen(top); r >= 0 && end && *end == '/';) {
        char *next = end + 1, *nend = strchr(next, '/');
        *end = 0;
        if (nend)
            *nend = 0;
        _cleanup_close_ int uw = rc_open_beneath(src->upperfd, w, O_RDONLY | O_DIRECTORY);
        _cleanup_close_ int lw = rc_open_beneath(src->lowerfd, w, O_RDONLY | O_DIRECTORY);
        r = uw < 0 ? uw : lw < 0 ? lw : plan_dir(j, ns, w, uw, lw, next);
        if (r < 0)
            why(res, r, "planning the reset of %s in %s: %s", path, w, strerror(-r));
        else if (opaque_marks(uw))
            r = add_name(&unop, &nun, &capun, w);
        *end = '/';
        if (nend)
            *nend = '/';
        end = nend;
    }
    for (size_t i = nun; r >= 0 && i > 0; i--)
        r = rc_journal_add_step(j, RC_ACT_UNOPAQUE, 0, unop[i - 1]);
    if (r >= 0)
        r = rc_journal_add_step(j, RC_ACT_MOVE, 0, path);
    rc_reset_paths_free(unop, nun);
    return r;
}

/* What the done steps of a journal changed, into res. */
static int note_steps(const struct rc_journal *j, struct rc_reset_result *res)
{
    int r = 0;
    for (size_t i = 0; r >= 0 && i < j->n; i++) {
        const struct rc_journal_action *a = &j->a[i];
        if (!a->done)
            continue;
        if (a->what == RC_ACT_WHITEOUT)
            r = add_name(&res->whiteouts, &res->n_whiteouts, &res->cap_whiteouts, a->path);
        else if (a->what == RC_ACT_OPAQUE)
            r = add_name(&res->opaqued, &res->n_opaqued, &res->cap_opaqued, a->path);
        else if (a->what == RC_ACT_UNOPAQUE)
            r = add_name(&res->unopaqued, &res->n_unopaqued, &res->cap_unopaqued, a->path);
        else if (a->what == RC_ACT_MOVE)
            r = add_name(&res->done, &res->n_done, &res->cap_done, a->path);
    }
    return r;
}

static int reset_opaque(struct rc_sources *src, const char *path, const char *top,
                        const struct rc_options *opts, struct rc_reset_result *res)
{
    struct rc_journal j = {0};
    memcpy(j.run, res->run, sizeof j.run);
    int r = plan_opaque(src, path, top, &j, res);
    if (r >= 0 && j.n == 0)
        r = reset_one(src, path, res);
    else if (r >= 0) {
        r = rc_journal_carry_out(src, &j, opts);
        int r2 = note_steps(&j, res);
        if (r < 0)
            why(res, r,
                "resetting %s inside the opaque dir %s: %s; what is done is in the journal "
                "of the store, which the next reset or boot finishes",
                path, top,
                r == -ESTALE ? "the upper dir holds what the plan did not expect" : strerror(-r));
        else
            r = r2;
    }
    rc_journal_done(&j);
    return r;
}

int rc_reset_step(struct rc_sources *src, const char *run, const struct rc_journal_action *a)
{
    const char *name;
    struct stat st;
    _cleanup_close_ int pdir = rc_open_parent(src->upperfd, a->path, &name);
    if (pdir < 0)
        return pdir == -ENOENT || pdir == -ENOTDIR ? -ESTALE : pdir;
    bool there = fstatat(pdir, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!there && errno != ENOENT)
        return -errno;
    if (a->what == RC_ACT_WHITEOUT) {
        if (there)
            return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0) ? 0 : -ESTALE;
        if (mknodat(pdir, name, S_IFCHR | 0, makedev(0, 0)) < 0)
            return -errno;
        return rc_fsync_dir(pdir);
    }
    if (a->what == RC_ACT_MOVE) {
        char why[256];
        if (there)
            return backup_move(src, run, pdir, name, a->path, why, sizeof why);
        _cleanup_free_ char *rel = rc_path_join(run, a->path);
        _cleanup_free_ char *full = rel ? rc_path_join("backups", rel) : NULL;
        if (!full)
            return -ENOMEM;
        return rc_stat_beneath(src->store->dfd, full, &st) == 0 ? 0 : -ESTALE;
    }
    if (!there || !S_ISDIR(st.st_mode))
        return -ESTALE;
    _cleanup_close_ int fd = rc_open_child_dir(pdir, name);
    if (fd < 0)
        return fd;
    unsigned had = opaque_marks(fd);
    for (unsigned i = 0; i < 2; i++) {
        unsigned bit = 1u << i;
        if (a->what == RC_ACT_OPAQUE && (a->ns & bit) && !(had & bit) &&
            fsetxattr(fd, opaque_attr[i], "y", 1, 0) < 0)
            return -errno;
        if (a->what == RC_ACT_UNOPAQUE && (had & bit) && fremovexattr(fd, opaque_attr[i]) < 0 &&
            errno != ENODATA)
            return -errno;
    }
    return fsync(fd) < 0 ? -errno : 0;
}

static int reset_all(struct rc_sources *src, struct rc_reset_result *res)
{
    char **names = NULL;
    size_t n = 0;
    int r = rc_list_dir(src->upperfd, &names, &n);
    if (r < 0)
        return why(res, r, "cannot list the upper dir: %s", strerror(-r));
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = reset_one(src, names[i], res);
    rc_names_free(names, n);
    return r;
}

/* One path, looked at afresh: a reset before it (or a resumed one) may have changed the dirs
 * above it. */
static int reset_path(struct rc_sources *src, const char *path, const struct rc_options *opts,
                      struct rc_reset_result *res)
{
    _cleanup_free_ char *top = NULL;
    int r = rc_reset_opaque_above(src->upperfd, path, &top);
    if (r < 0)
        return why(res, r, "%s in the upper dir: %s", path,
                   r == -ELOOP ? "a symlink on the way (refused)" : strerror(-r));
    if (r > 0 && src->lowerfd < 0)
        return why(res, -EOPNOTSUPP, "%s is inside %s, an opaque dir of the upper", path, top);
    return r > 0 ? reset_opaque(src, path, top, opts, res) : reset_one(src, path, res);
}

/* Before anything changes: a path inside an opaque dir needs the base. tops[i] is the opaque
 * dir above paths[i] (or NULL). */
static int check_opaque(struct rc_sources *src, char *const *paths, size_t n, char **tops,
                        struct rc_reset_result *res)
{
    for (size_t i = 0; i < n; i++) {
        int r = *paths[i] ? rc_reset_opaque_above(src->upperfd, paths[i], &tops[i]) : 0;
        if (r < 0)
            return why(res, r, "%s in the upper dir: %s", paths[i],
                       r == -ELOOP ? "a symlink on the way (refused)" : strerror(-r));
        if (r > 0 && src->lowerfd < 0)
            return why(res, -EOPNOTSUPP,
                       "%s is inside %s, an opaque dir of the upper that hides the base's "
                       "version; without the base it cannot be shown while the rest of what %s "
                       "hides stays hidden: give the base, or reset %s whole; nothing was reset",
                       paths[i], tops[i], tops[i], tops[i]);
    }
    return 0;
}

/* An interrupted apply or reset is finished first; a reset's run goes on in its backups. */
static int resume_first(const struct rc_overlay *o, const struct rc_options *opts,
                        struct rc_reset_result *res)
{
    struct rc_journal j;
    int r = rc_resume_journal(o, opts, &j);
    if (r < 0)
        why(res, r,
            "an interrupted apply or reset in %s/journal cannot be finished (%s); nothing was "
            "reset",
            o->store, strerror(-r));
    if (r > 0) {
        res->resumed = true;
        for (size_t i = 0; i < j.n; i++)
            if (rc_action_is_reset_step(j.a[i].what))
                memcpy(res->run, j.run, sizeof res->run);
        r = note_steps(&j, res);
    }
    rc_journal_done(&j);
    return r;
}

int rc_reset(const struct rc_overlay *ov, char *const *paths, size_t n,
             const struct rc_options *opts, struct rc_reset_result *res)
{
    struct rc_sources src;
    struct rc_overlay o = {
        .upper = ov->upper, .lower = ov->lower, .store = ov->store, .root = ov->root};
    _cleanup_free_ char *msg = NULL;
    *res = (struct rc_reset_result){0};
    for (size_t i = 0; i < n; i++)
        if (*paths[i] && !rc_path_is_safe(paths[i]))
            return why(res, -EINVAL, "'%s' is not a clean path below the overlaid dir", paths[i]);
    if (!ov->store)
        return why(res, -EINVAL, "a reset needs a store (its backups)");
    char **tops = calloc(n ? n : 1, sizeof *tops);
    if (!tops)
        return -ENOMEM;
    int r = rc_sources_open(&src, &o, opts, true, &msg);
    if (r < 0) {
        free(tops);
        return why(res, r, "%s", msg ? msg : strerror(-r));
    }
    r = rc_upper_in_use_fd(src.upperfd, NULL);
    if (r > 0)
        r = why(res, -EBUSY,
                "the upper dir is the upperdir of a mounted overlay (overlayfs forbids changing "
                "it; reset --next-boot does it at the next boot)");
    else if (r < 0 && r != -ENOENT)
        r = why(res, r, "cannot read /proc/self/mountinfo: %s", strerror(-r));
    else
        r = check_opaque(&src, paths, n, tops, res);
    rc_make_run_id(res->run);
    if (r >= 0)
        r = resume_first(&o, opts, res);
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = *paths[i] ? reset_path(&src, paths[i], opts, res) : reset_all(&src, res);
    rc_reset_paths_free(tops, n);
    rc_sources_close(&src);
    return r < 0 ? r : 0;
}

int rc_reset_parse(const char *text, size_t len, char ***paths, size_t *n)
{
    size_t ml = strlen(RESET_MAGIC), cap = 0;
    *paths = NULL;
    *n = 0;
    if (len < ml || memcmp(text, RESET_MAGIC, ml) != 0 || memchr(text, 0, len) ||
        text[len - 1] != '\n')
        return -EBADMSG;
    int r = 0;
    for (const char *p = text + ml, *end = text + len; r >= 0 && p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        _cleanup_free_ char *l = strndup(p, (size_t)(nl - p));
        struct rc_buf b = {0};
        p = nl + 1;
        if (!l)
            r = -ENOMEM;
        else if (strcmp(l, "all") == 0)
            r = add_name(paths, n, &cap, "");
        else if (strncmp(l, "path ", 5) != 0 || rc_unescape_c(l + 5, &b) < 0 || !b.data ||
                 !rc_path_is_safe(b.data))
            r = -EBADMSG;
        else
            r = add_name(paths, n, &cap, b.data);
        rc_buf_done(&b);
    }
    if (r < 0) {
        rc_reset_paths_free(*paths, *n);
        *paths = NULL;
        *n = 0;
    }
    return r;
}

int rc_reset_format(char *const *paths, size_t n, struct rc_buf *out)
{
    int r = rc_buf_adds(out, RESET_MAGIC);
    for (size_t i = 0; r >= 0 && i < n; i++) {
        if (!*paths[i]) {
            r = rc_buf_adds(out, "all\n");
            continue;
        }
        if (!rc_path_is_safe(paths[i]))
            return -EINVAL;
        r = rc_buf_adds(out, "path ");
        if (r >= 0)
            r = rc_escape_c(out, paths[i]);
        if (r >= 0)
            r = rc_buf_adds(out, "\n");
    }
    return r;
}

/* The request in the store dir sfd: 0 and none, 1 and its paths, negative errno. */
static int load_request(int sfd, char ***paths, size_t *n)
{
    struct rc_buf b = {0};
    _cleanup_close_ int fd = rc_open_beneath(sfd, RC_RESET_REQUEST, O_RDONLY);
    *paths = NULL;
    *n = 0;
    if (fd == -ENOENT)
        return 0;
    int r = fd < 0 ? fd : rc_read_all(fd, RESET_MAX, &b);
    if (r >= 0)
        r = rc_reset_parse(b.data ? b.data : "", b.len, paths, n);
    rc_buf_done(&b);
    return r < 0 ? r : 1;
}

static bool listed(char *const *paths, size_t n, const char *p)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(paths[i], p) == 0)
            return true;
    return false;
}

int rc_reset_request(const struct rc_overlay *ov, char *const *paths, size_t n, char *why,
                     size_t wn)
{
    _cleanup_free_ char *msg = NULL;
    _cleanup_close_ int sfd = rc_open_typed(ov->store, ov->root, true, 0700, &msg);
    char **old = NULL;
    size_t nold = 0, cap;
    struct rc_buf b = {0};
    if (sfd < 0)
        return snprintf(why, wn, "the store: %s", msg ? msg : strerror(-sfd)), sfd;
    int r = load_request(sfd, &old, &nold);
    if (r < 0) {
        snprintf(why, wn, "the pending request %s/%s is malformed or unreadable (%s); remove it",
                 ov->store, RC_RESET_REQUEST, strerror(-r));
        return r;
    }
    cap = nold;
    for (size_t i = 0; r >= 0 && i < n; i++)
        if (!listed(old, nold, paths[i]))
            r = add_name(&old, &nold, &cap, paths[i]);
    if (r >= 0 && (r = rc_reset_format(old, nold, &b)) < 0)
        snprintf(why, wn, "a path is not clean");
    if (r >= 0 && (r = rc_write_atomic(sfd, RC_RESET_REQUEST, b.data, b.len, 0600)) < 0)
        snprintf(why, wn, "cannot write %s/%s: %s", ov->store, RC_RESET_REQUEST, strerror(-r));
    rc_buf_done(&b);
    rc_reset_paths_free(old, nold);
    return r;
}

/* A reset journal left by a crash (offline, or at an earlier boot after its request was
 * carried out) is finished whatever the policy, before the overlay is mounted: in the middle
 * of one, an opaque dir already holds whiteouts, which overlayfs would list in it (names that
 * cannot be opened). An apply's journal is left to the apply. 1 when one was finished. */
static int finish_interrupted_reset(const struct rc_overlay *ov, const struct rc_options *opts,
                                    int sfd, struct rc_reset_result *res)
{
    struct rc_buf b = {0};
    struct rc_journal j = {0};
    bool reset = false;
    _cleanup_close_ int fd = rc_open_beneath(sfd, "journal", O_RDONLY);
    if (fd == -ENOENT)
        return 0;
    int r = fd < 0 ? fd : rc_read_all(fd, 64u << 20, &b);
    if (r >= 0)
        r = rc_journal_parse(b.data ? b.data : "", b.len, &j);
    for (size_t i = 0; r >= 0 && i < j.n; i++)
        reset |= rc_action_is_reset_step(j.a[i].what);
    rc_journal_done(&j);
    rc_buf_done(&b);
    if (r < 0)
        return why(res, r, "the journal %s/journal is malformed or unreadable (%s)", ov->store,
                   strerror(-r));
    if (!reset)
        return 0;
    rc_make_run_id(res->run);
    r = resume_first(ov, opts, res);
    return r < 0 ? r : 1;
}

int rc_reset_pending(const struct rc_overlay *ov, const struct rc_options *opts,
                     struct rc_reset_result *res)
{
    _cleanup_free_ char *msg = NULL;
    _cleanup_close_ int sfd = -1;
    char **paths = NULL;
    size_t n = 0;
    *res = (struct rc_reset_result){0};
    if (!ov->store)
        return 0;
    sfd = rc_open_typed(ov->store, ov->root, false, 0, &msg);
    if (sfd == -ENOENT)
        return 0;
    if (sfd < 0)
        return why(res, sfd, "the store: %s", msg ? msg : strerror(-sfd));
    int r = load_request(sfd, &paths, &n);
    if (r == 0)
        return finish_interrupted_reset(ov, opts, sfd, res);
    if (r < 0)
        return why(res, r, "the request %s/%s is malformed or unreadable (%s); remove it",
                   ov->store, RC_RESET_REQUEST, strerror(-r));
    r = rc_reset(ov, paths, n, opts, res);
    rc_reset_paths_free(paths, n);
    if (r < 0)
        return r;
    if (unlinkat(sfd, RC_RESET_REQUEST, 0) < 0 || rc_fsync_dir(sfd) < 0)
        return why(res, -errno, "cannot remove the request %s/%s: %s", ov->store, RC_RESET_REQUEST,
                   strerror(errno));
    return 1;
}

/* ", "-separated names (at most 8, then "and N more"), with dir/ before each. */
static int list_text(struct rc_buf *b, char *const *names, size_t n, const char *dir)
{
    int r = 0;
    for (size_t i = 0; r >= 0 && i < n && i < 8; i++)
        r = rc_buf_printf(b, "%s%s%s%s", i ? ", " : "", dir, *dir ? "/" : "", names[i]);
    if (r >= 0 && n > 8)
        r = rc_buf_printf(b, " and %zu more", n - 8);
    return r;
}

char *rc_reset_changes_text(const struct rc_reset_result *res, const char *dir)
{
    struct rc_buf b = {0};
    int r = 0;
    if (!res->n_unopaqued && !res->n_whiteouts && !res->n_opaqued)
        return NULL;
    if (res->n_unopaqued) {
        r = rc_buf_adds(&b, "no longer opaque: ");
        if (r >= 0)
            r = list_text(&b, res->unopaqued, res->n_unopaqued, dir);
    }
    if (r >= 0 && res->n_whiteouts) {
        r = rc_buf_printf(&b, "%swhiteouts added (what it hid stays hidden): ", b.len ? "; " : "");
        if (r >= 0)
            r = list_text(&b, res->whiteouts, res->n_whiteouts, dir);
    }
    if (r >= 0 && res->n_opaqued) {
        r = rc_buf_printf(&b, "%smarked opaque (the base's dir stays hidden): ", b.len ? "; " : "");
        if (r >= 0)
            r = list_text(&b, res->opaqued, res->n_opaqued, dir);
    }
    if (r < 0) {
        rc_buf_done(&b);
        return NULL;
    }
    return b.data;
}
