// SPDX-License-Identifier: GPL-2.0-or-later
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "array.h"
#include "fsio.h"
#include "hash.h"

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
        rc_sort_names(names, cnt);
    for (size_t i = 0; r >= 0 && i < cnt; i++)
        r = hash_xattr(fd, names[i], &s);
    free(names);
    if (r < 0) {
        rc_sha_done(&s);
        return r;
    }
    return rc_sha_final(&s, out);
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
    return rc_inspect_stat(dirfd, name, &st, mk, parent_x, want_hash, v);
}

int rc_inspect_stat(int dirfd, const char *name, const struct stat *stp, enum rc_markers mk,
                    bool parent_x, bool want_hash, struct rc_version *v)
{
    const struct stat st = *stp;
    *v = (struct rc_version){.kind = RC_ABSENT};
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

int rc_version_hash(int dirfd, const char *name, struct rc_version *v)
{
    if (v->have_hash || v->kind != RC_FILE)
        return 0;
    _cleanup_close_ int fd =
        openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return errno == ENOENT ? -ESTALE : -errno;
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != v->size)
        return -ESTALE; /* replaced or changed since it was looked at */
    int r = rc_hash_fd(fd, v->hash, &v->size);
    v->have_hash = r >= 0;
    return r;
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

/* A subdir a visit asked to walk, and what its entries' visits get as parent_flags. */
struct subdir {
    char *name;
    unsigned flags;
};

/* One dir on the current path of a walk. */
struct frame {
    int fd, fd2; /* -1 when closed (fd2: also when the second tree has no such dir) */
    bool has2;   /* the second tree has this dir: reopen fd2 with fd */
    char *path;  /* relative to the roots */
    struct subdir *sub;
    size_t nsub, isub, capsub;
};

static void frame_close(struct frame *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->fd2 >= 0)
        close(f->fd2);
    f->fd = f->fd2 = -1;
}

static void frame_done(struct frame *f)
{
    frame_close(f);
    for (size_t i = 0; i < f->nsub; i++)
        free(f->sub[i].name);
    free(f->sub);
    free(f->path);
}

/* The dir of the second tree beside one of the first, or *fd = -1 when the second tree
 * has none there (the lower may lack an upper's dir). dirfd < 0: none either. */
static int open_second(int dirfd, const char *rel, bool beneath, int *fd)
{
    *fd = -1;
    if (dirfd < 0)
        return 0;
    int r = beneath ? rc_open_beneath(dirfd, rel, O_RDONLY | O_DIRECTORY)
                    : rc_open_child_dir(dirfd, rel);
    if (r >= 0)
        *fd = r;
    return r >= 0 || r == -ENOENT || r == -ENOTDIR || r == -ELOOP ? 0 : r;
}

/* A frame whose fds were closed to save them, about to be used again. */
static int reopen(const struct rc_walk *w, struct frame *f)
{
    if (f->fd >= 0)
        return 0;
    if ((f->fd = rc_open_beneath(w->rootfd, f->path, O_RDONLY | O_DIRECTORY)) < 0)
        return f->fd;
    return f->has2 ? open_second(w->rootfd2, f->path, true, &f->fd2) : 0;
}

/* Visit the entries of the dir of f (depth: f's own), collecting the subdirs to walk. */
static int visit_dir(const struct rc_walk *w, struct frame *f, unsigned depth, unsigned flags)
{
    char **names = NULL;
    size_t n = 0;
    int r = rc_list_dir(f->fd, &names, &n);
    for (size_t i = 0; r == 0 && i < n; i++) {
        struct stat st;
        _cleanup_free_ char *p = rc_path_join(f->path, names[i]);
        if (!p) {
            r = -ENOMEM;
            break;
        }
        if (fstatat(f->fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue;
            r = -errno;
            break;
        }
        struct rc_walk_entry e = {.path = p,
                                  .name = names[i],
                                  .dirfd = f->fd,
                                  .dirfd2 = f->fd2,
                                  .st = &st,
                                  .parent_flags = flags,
                                  .depth = depth + 1,
                                  .descend = S_ISDIR(st.st_mode)};
        r = w->fn(w->ud, &e);
        if (r != 0 || !e.descend || !S_ISDIR(st.st_mode))
            continue;
        if ((r = array_grow(&f->sub, f->nsub, 1, &f->capsub, sizeof *f->sub)) < 0)
            break;
        f->sub[f->nsub++] = (struct subdir){TAKE_PTR(names[i]), e.descend_flags};
    }
    rc_names_free(names, n);
    return r;
}

char *rc_too_deep_text(const char *path, unsigned max_depth)
{
    char *t = NULL;
    struct rc_buf b = {0};
    size_t n = strlen(path);
    /* a path 4096 levels deep is 8 KiB: its start says where it is */
    _cleanup_free_ char *head = strndup(path, n > 80 ? 80 : n);
    if (head && rc_escape_c(&b, head) >= 0 &&
        asprintf(&t, "a dir deeper than %u levels (%s%s): not walked", max_depth, b.data,
                 n > 80 ? "..." : "") < 0)
        t = NULL;
    rc_buf_done(&b);
    return t;
}

static int too_deep(const struct rc_walk *w, const char *path, const char *name)
{
    if (w->too_deep && !*w->too_deep)
        *w->too_deep = rc_path_join(path, name);
    return -ENAMETOOLONG;
}

int rc_walk(const struct rc_walk *w)
{
    struct frame *fr = NULL;
    size_t n = 0, cap = 0;
    int r = array_grow(&fr, n, 1, &cap, sizeof *fr);
    if (r < 0)
        return r;
    fr[n++] = (struct frame){.fd = -1, .fd2 = -1, .path = strdup(w->start)};
    if (!fr[0].path)
        r = -ENOMEM;
    if (r >= 0 && (fr[0].fd = rc_open_beneath(w->rootfd, w->start, O_RDONLY | O_DIRECTORY)) < 0)
        r = fr[0].fd;
    if (r >= 0)
        r = open_second(w->rootfd2, w->start, true, &fr[0].fd2);
    fr[0].has2 = fr[0].fd2 >= 0;
    if (r >= 0)
        r = visit_dir(w, &fr[0], 0, w->root_flags);
    while (r == 0 && n > 0) {
        struct frame *top = &fr[n - 1];
        if (top->isub == top->nsub) {
            frame_done(&fr[--n]);
            continue;
        }
        const struct subdir *s = &top->sub[top->isub++];
        if ((r = reopen(w, top)) < 0)
            break;
        if (n > w->max_depth) {
            r = too_deep(w, top->path, s->name);
            break;
        }
        if ((r = array_grow(&fr, n, 1, &cap, sizeof *fr)) < 0)
            break;
        top = &fr[n - 1]; /* fr may have moved */
        s = &top->sub[top->isub - 1];
        struct frame *c = &fr[n];
        *c = (struct frame){.fd = rc_open_child_dir(top->fd, s->name), .fd2 = -1};
        if (c->fd == -ENOENT)
            continue; /* gone since it was listed */
        if (c->fd < 0) {
            r = c->fd;
            break;
        }
        n++;
        if (!(c->path = rc_path_join(top->path, s->name)))
            r = -ENOMEM;
        if (r >= 0)
            r = open_second(top->fd2, s->name, false, &c->fd2);
        c->has2 = c->fd2 >= 0;
        /* Hold the deepest RC_WALK_OPEN levels only: a hostile tree is 4096 deep. */
        if (n > RC_WALK_OPEN)
            frame_close(&fr[n - 1 - RC_WALK_OPEN]);
        if (r >= 0)
            r = visit_dir(w, c, (unsigned)n - 1, s->flags);
    }
    while (n > 0)
        frame_done(&fr[--n]);
    free(fr);
    return r;
}
