// SPDX-License-Identifier: GPL-2.0-or-later
#include "tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "array.h"
#include "fsio.h"
#include "io-util.h"
#include "rmtree.h"
#include "util.h"

int tree_init(struct tree *t)
{
    const char *tmp = getenv("TMPDIR");
    char *dir;

    memset(t, 0, sizeof *t);
    t->dfd = -1;
    if (asprintf(&dir, "%s/sharedroot-instance.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
        return -ENOMEM;
    if (!mkdtemp(dir)) {
        int r = -errno;
        free(dir);
        return r;
    }
    t->dir = dir;
    t->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return t->dfd < 0 ? -errno : 0;
}

static void entry_free(struct tree_entry *e)
{
    free(e->path);
    free(e->hardlink);
    for (size_t i = 0; i < e->nxattrs; i++) {
        free(e->xattrs[i].name);
        free(e->xattrs[i].value);
    }
    free(e->xattrs);
}

void tree_done(struct tree *t)
{
    for (size_t i = 0; i < t->n; i++)
        entry_free(&t->e[i]);
    free(t->e);
    if (t->dfd >= 0) {
        struct stat st;
        if (fstat(t->dfd, &st) == 0)
            (void)rmtree_contents(t->dfd, st.st_dev, NULL);
        close(t->dfd);
    }
    if (t->dir)
        rmdir(t->dir);
    free(t->dir);
    memset(t, 0, sizeof *t);
    t->dfd = -1;
}

struct tree_entry *tree_find(const struct tree *t, const char *path)
{
    /* Newest first: lookups are mostly of parents just added. */
    for (size_t i = t->n; i > 0; i--)
        if (strcmp(t->e[i - 1].path, path) == 0)
            return &t->e[i - 1];
    return NULL;
}

static int write_content(int fd, const void *content, size_t len)
{
    return content && len ? write_all(fd, content, len) : 0;
}

/* Create the staged object; the staged mode keeps it writable for us (the image gets m's). */
static int stage(struct tree *t, const struct tree_entry *m, const char *target,
                 const void *content, size_t len, int *fd)
{
    const char *name;
    _cleanup_close_ int pfd = -1;
    int r = 0;

    if (!*m->path) /* the root: the staging dir itself */
        return S_ISDIR(m->mode) ? 0 : -EINVAL;
    pfd = rc_open_parent(t->dfd, m->path, &name);
    if (pfd < 0)
        return pfd;
    if (m->hardlink)
        return linkat(t->dfd, m->hardlink, pfd, name, 0) < 0 ? -errno : 0;
    switch (m->mode & S_IFMT) {
    case S_IFDIR:
        return mkdirat(pfd, name, 0700) < 0 ? -errno : 0;
    case S_IFLNK:
        return symlinkat(target, pfd, name) < 0 ? -errno : 0;
    case S_IFREG: {
        int f = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (f < 0)
            return -errno;
        r = write_content(f, content, len);
        if (r == 0 && fd)
            *fd = f;
        else
            close(f);
        return r;
    }
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
        /* A whiteout (char 0:0) needs no privilege since Linux 5.8; other devices do. */
        return mknodat(pfd, name, (m->mode & S_IFMT) | 0600, m->rdev) < 0 ? -errno : 0;
    default:
        return -EINVAL;
    }
}

int tree_add(struct tree *t, const struct tree_entry *m, const char *target, const void *content,
             size_t len, int *fd, struct tree_entry **out)
{
    struct tree_entry *e;
    int r;

    if (fd)
        *fd = -1;
    if (*m->path && !rc_path_is_safe(m->path))
        return -EINVAL;
    if (S_ISLNK(m->mode) && !target)
        return -EINVAL;
    if (tree_find(t, m->path))
        return -EEXIST;
    if (m->hardlink && !tree_find(t, m->hardlink))
        return -ENOENT;
    r = array_grow(&t->e, t->n, 1, &t->cap, sizeof *t->e);
    if (r < 0)
        return r;
    r = stage(t, m, target, content, len, fd);
    if (r < 0)
        return r;
    e = &t->e[t->n];
    *e = *m;
    e->xattrs = NULL;
    e->nxattrs = e->capxattrs = 0;
    e->path = strdup(m->path);
    e->hardlink = m->hardlink ? strdup(m->hardlink) : NULL;
    if (!e->path || (m->hardlink && !e->hardlink)) {
        free(e->path);
        free(e->hardlink);
        if (fd && *fd >= 0)
            close(*fd), *fd = -1;
        return -ENOMEM;
    }
    t->n++;
    if (out)
        *out = e;
    return 0;
}

int tree_add_xattr(struct tree_entry *e, const char *name, const void *value, size_t len)
{
    struct tree_xattr *x;
    int r = array_grow(&e->xattrs, e->nxattrs, 1, &e->capxattrs, sizeof *e->xattrs);

    if (r < 0)
        return r;
    x = &e->xattrs[e->nxattrs];
    x->name = strdup(name);
    x->value = malloc(len ? len : 1);
    if (!x->name || !x->value) {
        free(x->name);
        free(x->value);
        return -ENOMEM;
    }
    if (len)
        memcpy(x->value, value, len);
    x->len = len;
    e->nxattrs++;
    return 0;
}

int tree_add_dir(struct tree *t, const char *path, mode_t perm, uid_t uid, gid_t gid)
{
    struct tree_entry m = {.path = (char *)path, .mode = S_IFDIR | perm, .uid = uid, .gid = gid};
    return tree_add(t, &m, NULL, NULL, 0, NULL, NULL);
}

int tree_add_parents(struct tree *t, const char *path)
{
    _cleanup_free_ char *p = strdup(path);
    int r;

    if (!p)
        return -ENOMEM;
    for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
        struct tree_entry *e;

        *s = 0;
        e = tree_find(t, p);
        if (e && !S_ISDIR(e->mode))
            return -ENOTDIR;
        if (!e && (r = tree_add_dir(t, p, 0755, 0, 0)) < 0)
            return r;
        *s = '/';
    }
    return 0;
}

int tree_add_file(struct tree *t, const char *path, mode_t perm, uid_t uid, gid_t gid,
                  const void *content, size_t len)
{
    struct tree_entry m = {.path = (char *)path, .mode = S_IFREG | perm, .uid = uid, .gid = gid};
    return tree_add(t, &m, NULL, content, len, NULL, NULL);
}
