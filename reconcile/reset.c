// SPDX-License-Identifier: GPL-2.0-or-later
#include "reset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
    *res = (struct rc_reset_result){0};
}

/* Move one entry of the upper into backups/<run>/<path>: one rename, never over anything. */
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
    _cleanup_free_ char *rel = rc_path_join(res->run, path);
    _cleanup_free_ char *full = rel ? rc_path_join("backups", rel) : NULL;
    _cleanup_free_ char *bdirpath =
        full ? strndup(full, (size_t)(strrchr(full, '/') - full)) : NULL;
    if (!bdirpath)
        return -ENOMEM;
    _cleanup_close_ int bdir = rc_mkdirs(src->store->dfd, bdirpath, 0700);
    if (bdir < 0)
        return why(res, bdir, "cannot make %s in the store: %s", bdirpath, strerror(-bdir));
    if (renameat2(pdir, name, bdir, name, RENAME_NOREPLACE) < 0)
        return why(res, -errno, "cannot move %s to %s in the store: %s%s", path, full,
                   strerror(errno),
                   errno == EXDEV ? " (the store must be on the upper dir's filesystem)" : "");
    int r = rc_fsync_dir(bdir);
    if (r >= 0)
        r = rc_fsync_dir(pdir);
    if (r < 0)
        return why(res, r, "syncing after moving %s: %s", path, strerror(-r));
    return add_name(&res->done, &res->n_done, &res->cap_done, path);
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

int rc_reset(const struct rc_overlay *ov, char *const *paths, size_t n, struct rc_reset_result *res)
{
    struct rc_sources src;
    struct rc_overlay o = {.upper = ov->upper, .store = ov->store, .root = ov->root};
    _cleanup_free_ char *msg = NULL;
    *res = (struct rc_reset_result){0};
    for (size_t i = 0; i < n; i++)
        if (*paths[i] && !rc_path_is_safe(paths[i]))
            return why(res, -EINVAL, "'%s' is not a clean path below the overlaid dir", paths[i]);
    if (!ov->store)
        return why(res, -EINVAL, "a reset needs a store (its backups)");
    int r = rc_sources_open(&src, &o, NULL, true, &msg);
    if (r < 0)
        return why(res, r, "%s", msg ? msg : strerror(-r));
    r = rc_upper_in_use_fd(src.upperfd, NULL);
    if (r > 0)
        r = why(res, -EBUSY,
                "the upper dir is the upperdir of a mounted overlay (overlayfs forbids changing "
                "it; reset --next-boot does it at the next boot)");
    else if (r < 0 && r != -ENOENT)
        r = why(res, r, "cannot read /proc/self/mountinfo: %s", strerror(-r));
    else
        r = 0;
    rc_make_run_id(res->run);
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = *paths[i] ? reset_one(&src, paths[i], res) : reset_all(&src, res);
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

int rc_reset_pending(const struct rc_overlay *ov, struct rc_reset_result *res)
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
        return 0;
    if (r < 0)
        return why(res, r, "the request %s/%s is malformed or unreadable (%s); remove it",
                   ov->store, RC_RESET_REQUEST, strerror(-r));
    r = rc_reset(ov, paths, n, res);
    rc_reset_paths_free(paths, n);
    if (r < 0)
        return r;
    if (unlinkat(sfd, RC_RESET_REQUEST, 0) < 0 || rc_fsync_dir(sfd) < 0)
        return why(res, -errno, "cannot remove the request %s/%s: %s", ov->store, RC_RESET_REQUEST,
                   strerror(errno));
    return 1;
}
