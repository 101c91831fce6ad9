// SPDX-License-Identifier: GPL-2.0-or-later
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "fsio.h"
#include "hash.h"

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void rc_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int rc_list_dir(int dirfd, char ***names, size_t *n)
{
    int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    rewinddir(d);
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    int r = 0;
    struct dirent *de;
    while ((errno = 0, de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if ((r = rc_grow(&v, cnt, &cap, sizeof *v)) < 0)
            break;
        if (!(v[cnt] = strdup(de->d_name))) {
            r = -ENOMEM;
            break;
        }
        cnt++;
    }
    if (r == 0 && errno)
        r = -errno;
    closedir(d);
    if (r < 0) {
        rc_names_free(v, cnt);
        return r;
    }
    if (cnt)
        qsort(v, cnt, sizeof *v, cmp_names);
    *names = v;
    *n = cnt;
    return 0;
}

/* Value of an overlay marker ("opaque", "whiteout") in the namespaces mk allows: the first
 * byte, 1 for an empty value, 0 when absent. */
static int overlay_marker(int fd, enum rc_markers mk, const char *what)
{
    static const char *const ns[] = {"user.overlay.", "trusted.overlay."};
    size_t nns = mk == RC_MARKERS_ALL ? 2 : mk == RC_MARKERS_USER ? 1 : 0;
    for (size_t i = 0; i < nns; i++) {
        char name[64], val[8];
        snprintf(name, sizeof name, "%s%s", ns[i], what);
        ssize_t n = fgetxattr(fd, name, val, sizeof val);
        if (n > 0)
            return (unsigned char)val[0];
        if (n == 0)
            return 1;
        if (errno != ENODATA && errno != ENOTSUP && errno != ERANGE)
            return -errno;
        if (errno == ERANGE)
            return 1;
    }
    return 0;
}

static bool xattr_in_meta(const char *name)
{
    /* trusted.* needs CAP_SYS_ADMIN and holds overlayfs' own bookkeeping (origin, impure,
     * redirect); overlay markers are not metadata of the host's file. */
    return strncmp(name, "trusted.", 8) != 0 && strstr(name, ".overlay.") == NULL;
}

static int hash_xattr(int fd, const char *name, struct rc_sha *s)
{
    ssize_t n = fgetxattr(fd, name, NULL, 0);
    if (n < 0)
        return errno == ENODATA ? 0 : -errno;
    _cleanup_free_ char *val = malloc((size_t)n + 1);
    if (!val)
        return -ENOMEM;
    n = fgetxattr(fd, name, val, (size_t)n);
    if (n < 0)
        return -errno;
    uint64_t len = (uint64_t)n;
    int r = rc_sha_update(s, name, strlen(name) + 1);
    if (r >= 0)
        r = rc_sha_update(s, &len, sizeof len);
    if (r >= 0)
        r = rc_sha_update(s, val, (size_t)n);
    return r;
}

/* SHA-256 over the sorted (name, value) list of xattrs that count as metadata. */
static int meta_digest(int fd, unsigned char out[32])
{
    struct rc_sha s;
    int r = rc_sha_init(&s);
    if (r < 0)
        return r;
    ssize_t n = fd >= 0 ? flistxattr(fd, NULL, 0) : 0;
    if (n < 0 && errno != ENOTSUP)
        r = -errno;
    _cleanup_free_ char *list = n > 0 ? malloc((size_t)n) : NULL;
    if (n > 0 && !list)
        r = -ENOMEM;
    if (r >= 0 && n > 0 && (n = flistxattr(fd, list, (size_t)n)) < 0)
        r = -errno;
    char **names = NULL;
    size_t cnt = 0;
    for (ssize_t i = 0; r >= 0 && n > 0 && i < n; i += (ssize_t)strlen(list + i) + 1)
        if (xattr_in_meta(list + i)) {
            char **nv = realloc(names, (cnt + 1) * sizeof *names);
            if (!nv)
                r = -ENOMEM;
            else
                (names = nv)[cnt++] = list + i;
        }
    if (cnt)
        qsort(names, cnt, sizeof *names, cmp_names);
    for (size_t i = 0; r >= 0 && i < cnt; i++)
        r = hash_xattr(fd, names[i], &s);
    free(names);
    if (r < 0) {
        rc_sha_done(&s);
        return r;
    }
    return rc_sha_final(&s, out);
}

int rc_read_symlink(int dirfd, const char *name, struct rc_buf *out)
{
    for (size_t size = 256;; size *= 2) {
        if (size > 1 << 20)
            return -ENAMETOOLONG;
        int r = rc_buf_grow(out, size);
        if (r < 0)
            return r;
        ssize_t n = readlinkat(dirfd, name, out->data + out->len, size);
        if (n < 0)
            return -errno;
        if ((size_t)n < size) {
            out->len += (size_t)n;
            out->data[out->len] = 0;
            return 0;
        }
    }
}

static enum rc_kind kind_of(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFREG:
        return RC_FILE;
    case S_IFDIR:
        return RC_DIR;
    case S_IFLNK:
        return RC_SYMLINK;
    case S_IFIFO:
        return RC_FIFO;
    case S_IFCHR:
        return RC_CHARDEV;
    case S_IFBLK:
        return RC_BLOCKDEV;
    default:
        return RC_SOCKET;
    }
}

static void fill_stat(struct rc_version *v, const struct stat *st)
{
    v->kind = kind_of(st->st_mode);
    v->mode = st->st_mode & 07777;
    v->uid = st->st_uid;
    v->gid = st->st_gid;
    v->rdev = st->st_rdev;
    v->size = (uint64_t)st->st_size;
    v->ctime_sec = st->st_ctim.tv_sec;
    v->ctime_nsec = st->st_ctim.tv_nsec;
}

/* Files and dirs are opened for xattrs and content; nothing else is ever opened (opening a
 * device node or fifo can block or have side effects). */
static int inspect_opened(int fd, const struct stat *st, enum rc_markers mk, bool parent_x,
                          bool want_hash, struct rc_version *v)
{
    struct stat st2;
    if (fstat(fd, &st2) < 0)
        return -errno;
    if (st2.st_ino != st->st_ino || st2.st_dev != st->st_dev)
        return -ESTALE; /* replaced between the stat and the open */
    int r = meta_digest(fd, v->meta);
    if (r < 0)
        return r;
    if (v->kind == RC_DIR) {
        r = overlay_marker(fd, mk, "opaque");
        if (r < 0)
            return r;
        v->opaque = r == 'y';
        v->xwhiteouts = r == 'x';
        return 0;
    }
    if (parent_x && st->st_size == 0) {
        r = overlay_marker(fd, mk, "whiteout");
        if (r < 0)
            return r;
        if (r > 0) {
            v->kind = RC_WHITEOUT;
            return 0;
        }
    }
    if (!want_hash)
        return 0;
    r = rc_hash_fd(fd, v->hash, &v->size);
    v->have_hash = r >= 0;
    return r;
}

static int hash_special(int dirfd, const char *name, struct rc_version *v)
{
    if (v->kind == RC_SYMLINK) {
        struct rc_buf t = {0};
        int r = rc_read_symlink(dirfd, name, &t);
        if (r >= 0)
            r = rc_hash_buf(t.data, t.len, v->hash);
        rc_buf_done(&t);
        v->have_hash = r >= 0;
        return r;
    }
    char desc[64];
    int n = snprintf(desc, sizeof desc, "%s:%u:%u", rc_kind_name(v->kind), major(v->rdev),
                     minor(v->rdev));
    v->have_hash = true;
    return rc_hash_buf(desc, (size_t)n, v->hash);
}

int rc_inspect(int dirfd, const char *name, enum rc_markers mk, bool parent_x, bool want_hash,
               struct rc_version *v)
{
    struct stat st;
    *v = (struct rc_version){.kind = RC_ABSENT};
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    fill_stat(v, &st);
    if (mk != RC_MARKERS_NONE && v->kind == RC_CHARDEV && st.st_rdev == makedev(0, 0)) {
        v->kind = RC_WHITEOUT;
        return 0;
    }
    if (v->kind != RC_FILE && v->kind != RC_DIR) {
        int r = meta_digest(-1, v->meta);
        if (r < 0)
            return r;
        return hash_special(dirfd, name, v);
    }
    int flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
    _cleanup_close_ int fd = openat(dirfd, name, flags | (v->kind == RC_DIR ? O_DIRECTORY : 0));
    if (fd < 0)
        return errno == ENOENT ? -ESTALE : -errno;
    return inspect_opened(fd, &st, mk, parent_x, want_hash, v);
}

int rc_inspect_dirfd(int fd, enum rc_markers mk, struct rc_version *v)
{
    struct stat st;
    *v = (struct rc_version){.kind = RC_ABSENT};
    if (fstat(fd, &st) < 0)
        return -errno;
    fill_stat(v, &st);
    return inspect_opened(fd, &st, mk, false, false, v);
}

bool rc_version_same_content(const struct rc_version *a, const struct rc_version *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == RC_DIR || a->kind == RC_ABSENT || a->kind == RC_WHITEOUT)
        return true;
    return a->have_hash && b->have_hash && memcmp(a->hash, b->hash, 32) == 0;
}

bool rc_version_same(const struct rc_version *a, const struct rc_version *b)
{
    if (!rc_version_same_content(a, b))
        return false;
    if (a->kind == RC_ABSENT || a->kind == RC_WHITEOUT)
        return true;
    if (a->kind != RC_SYMLINK && a->mode != b->mode)
        return false;
    return a->uid == b->uid && a->gid == b->gid && memcmp(a->meta, b->meta, 32) == 0;
}

/* The walk's to-do list: dirs (relative paths) still to visit, with their depth. */
struct walk_item {
    char *path;
    unsigned depth;
};

struct walk_stack {
    struct walk_item *v;
    size_t n, cap;
};

/* Takes path: freed here when it cannot be pushed. */
static int stack_push(struct walk_stack *s, char *path, unsigned depth)
{
    int r = rc_grow(&s->v, s->n, &s->cap, sizeof *s->v);
    if (r < 0) {
        free(path);
        return r;
    }
    s->v[s->n++] = (struct walk_item){path, depth};
    return 0;
}

static void stack_done(struct walk_stack *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].path);
    free(s->v);
}

/* Visit one dir's entries; push its subdirs in reverse order so they pop sorted. */
static int walk_dir(int rootfd, const char *rel, unsigned depth, unsigned max_depth,
                    struct walk_stack *s, rc_walk_fn fn, void *ud)
{
    _cleanup_close_ int dfd = rc_open_beneath(rootfd, rel, O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
        return dfd;
    char **names = NULL;
    size_t n = 0;
    int r = rc_list_dir(dfd, &names, &n);
    if (r < 0)
        return r;
    size_t first_dir = s->n;
    for (size_t i = 0; r == 0 && i < n; i++) {
        struct stat st;
        _cleanup_free_ char *p = rc_path_join(rel, names[i]);
        if (!p) {
            r = -ENOMEM;
            break;
        }
        if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue;
            r = -errno;
            break;
        }
        r = fn(ud, p, dfd, names[i], &st);
        if (r == 0 && S_ISDIR(st.st_mode)) {
            if (depth + 1 > max_depth)
                r = -ELOOP;
            else
                r = stack_push(s, RC_TAKE_PTR(p), depth + 1);
        }
    }
    for (size_t a = first_dir, b = s->n; a + 1 < b; a++, b--) {
        struct walk_item t = s->v[a];
        s->v[a] = s->v[b - 1];
        s->v[b - 1] = t;
    }
    rc_names_free(names, n);
    return r;
}

int rc_walk(int rootfd, const char *start, unsigned max_depth, rc_walk_fn fn, void *ud)
{
    struct walk_stack s = {0};
    char *first = strdup(start);
    int r = first ? stack_push(&s, first, 0) : -ENOMEM;
    while (r == 0 && s.n > 0) {
        s.n--;
        _cleanup_free_ char *rel = s.v[s.n].path;
        r = walk_dir(rootfd, rel, s.v[s.n].depth, max_depth, &s, fn, ud);
    }
    stack_done(&s);
    return r;
}
