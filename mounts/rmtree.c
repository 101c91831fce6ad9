// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Iterative tree deletion. Each level of the walk reads its directory's names into memory
 * first, so no directory stream is kept open across a descent and the walk never has to
 * re-read a directory (which would find the entries it could not delete again and loop).
 * Only the top FD_WINDOW levels keep their fds; deeper parents are reopened through ".."
 * when the walk comes back up, and accepted only when they are the very directory (device,
 * inode, mount) we descended from: a directory moved meanwhile ends the walk rather than
 * letting it delete somewhere else.
 */
#include "rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define FD_WINDOW 32

struct ident {
    dev_t dev;
    ino_t ino;
    mode_t mode;
    uint64_t mnt_id;
    bool has_mnt_id; /* STATX_MNT_ID needs Linux 5.8 */
};

struct frame {
    int fd; /* -1 while closed (deep levels) */
    struct ident id;
    char *names; /* NUL-separated entry names */
    size_t len, pos, cur;
    bool incomplete; /* something below stays: do not rmdir this level */
};

static int ident_at(int dir_fd, const char *name, int flags, struct ident *out)
{
    struct statx stx;

    if (statx(dir_fd, name, flags | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
              STATX_TYPE | STATX_INO | STATX_MNT_ID, &stx) < 0)
        return -errno;
    out->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
    out->ino = stx.stx_ino;
    out->mode = stx.stx_mode;
    out->has_mnt_id = (stx.stx_mask & STATX_MNT_ID) != 0;
    out->mnt_id = stx.stx_mnt_id;
    return 0;
}

static bool same_mount(const struct ident *root, dev_t dev, const struct ident *e)
{
    if (e->dev != dev)
        return false;
    if (root->has_mnt_id && e->has_mnt_id && root->mnt_id != e->mnt_id)
        return false;
    return true;
}

static bool same_dir(const struct ident *a, const struct ident *b)
{
    return a->dev == b->dev && a->ino == b->ino &&
           (!a->has_mnt_id || !b->has_mnt_id || a->mnt_id == b->mnt_id);
}

/* Read every name in the directory fd (except . and ..) into f->names. */
static int read_names(int fd, struct frame *f)
{
    size_t cap = 0;
    struct dirent *e;
    DIR *d;
    int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (dfd < 0)
        return -errno;
    d = fdopendir(dfd);
    if (!d) {
        int r = -errno;
        close(dfd);
        return r;
    }
    f->names = NULL;
    f->len = f->pos = f->cur = 0;
    for (;;) {
        errno = 0;
        e = readdir(d);
        if (!e)
            break;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t n = strlen(e->d_name) + 1;
        if (f->len + n > cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            while (ncap < f->len + n)
                ncap *= 2;
            char *p = realloc(f->names, ncap);
            if (!p) {
                errno = ENOMEM;
                break;
            }
            f->names = p;
            cap = ncap;
        }
        memcpy(f->names + f->len, e->d_name, n);
        f->len += n;
    }
    int r = errno ? -errno : 0;
    closedir(d);
    if (r < 0) {
        free(f->names);
        f->names = NULL;
        f->len = 0;
    }
    return r;
}

static void free_stack(struct frame *st, size_t depth)
{
    for (size_t i = 0; i <= depth; i++) {
        if (st[i].fd >= 0)
            close(st[i].fd);
        free(st[i].names);
    }
    free(st);
}

/* Enter directory name below frame f; on success push it. Returns 1 when pushed, 0 when
 * skipped (counted in *failures), -ENOMEM on out of memory. */
static int descend(struct frame **stp, size_t *cap, size_t *depth, const char *name,
                   const struct ident *e, int *failures)
{
    struct frame *f = &(*stp)[*depth], child = {.fd = -1};
    int r;

    child.fd = openat(f->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child.fd < 0)
        goto skip;
    /* The name may have been swapped for another directory since the stat. */
    if (ident_at(child.fd, "", AT_EMPTY_PATH, &child.id) < 0 || !same_dir(&child.id, e))
        goto skip;
    r = read_names(child.fd, &child);
    if (r == -ENOMEM) {
        close(child.fd);
        return r;
    }
    if (r < 0)
        goto skip;
    if (*depth + 1 >= *cap) {
        size_t ncap = *cap * 2;
        struct frame *p = realloc(*stp, ncap * sizeof(*p));
        if (!p) {
            close(child.fd);
            free(child.names);
            return -ENOMEM;
        }
        *stp = p;
        *cap = ncap;
        f = &(*stp)[*depth];
    }
    if (*depth >= FD_WINDOW) {
        close(f->fd);
        f->fd = -1;
    }
    (*stp)[++*depth] = child;
    return 1;
skip:
    if (child.fd >= 0)
        close(child.fd);
    (*failures)++;
    f->incomplete = true;
    return 0;
}

/* One entry of frame f that is not a directory to enter: remove it or leave it. */
static void remove_entry(struct frame *f, const char *name, int *failures)
{
    if (unlinkat(f->fd, name, 0) < 0 && errno != ENOENT) {
        (*failures)++;
        f->incomplete = true;
    }
}

/* Leave the finished frame at depth and remove its directory from the parent. false when the
 * parent cannot be reopened as the same directory (the tree was moved under us). */
static bool ascend(struct frame *st, size_t *depth, int *failures)
{
    struct frame *child = &st[*depth], *parent = &st[*depth - 1];

    if (parent->fd < 0) {
        struct ident id;
        parent->fd = openat(child->fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (parent->fd < 0 || ident_at(parent->fd, "", AT_EMPTY_PATH, &id) < 0 ||
            !same_dir(&id, &parent->id)) {
            (*failures)++;
            return false;
        }
    }
    close(child->fd);
    free(child->names);
    child->fd = -1;
    child->names = NULL;
    (*depth)--;
    if (child->incomplete)
        parent->incomplete = true;
    else if (unlinkat(parent->fd, parent->names + parent->cur, AT_REMOVEDIR) < 0 &&
             errno != ENOENT) {
        (*failures)++;
        parent->incomplete = true;
    }
    return true;
}

int rmtree_contents(int dir_fd, dev_t dev, const char *keep)
{
    size_t cap = 64, depth = 0;
    int failures = 0, r;
    struct frame *st = calloc(cap, sizeof(*st));

    if (!st)
        return -ENOMEM;
    st[0].fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st[0].fd < 0) {
        r = -errno;
        free(st);
        return r;
    }
    r = ident_at(st[0].fd, "", AT_EMPTY_PATH, &st[0].id);
    if (r == 0)
        r = read_names(st[0].fd, &st[0]);
    if (r < 0) {
        free_stack(st, 0);
        return r;
    }

    for (;;) {
        struct frame *f = &st[depth];
        struct ident e = {0};

        if (f->pos >= f->len) {
            if (depth == 0)
                break;
            if (!ascend(st, &depth, &failures))
                break;
            continue;
        }
        const char *name = f->names + f->pos;
        f->cur = f->pos;
        f->pos += strlen(name) + 1;
        if (depth == 0 && keep && strcmp(name, keep) == 0)
            continue;
        r = ident_at(f->fd, name, 0, &e);
        if (r == -ENOENT)
            continue;
        if (r < 0) {
            failures++;
            f->incomplete = true;
            continue;
        }
        /* Another filesystem or another mount (e.g. the new root, a bind mount in /tmp):
         * never cross into it. Leaving it is not a failure. */
        if (!same_mount(&st[0].id, dev, &e)) {
            f->incomplete = true;
            continue;
        }
        if (!S_ISDIR(e.mode)) {
            remove_entry(f, name, &failures);
            continue;
        }
        r = descend(&st, &cap, &depth, name, &e, &failures);
        if (r == -ENOMEM) {
            free_stack(st, depth);
            return r;
        }
    }
    free_stack(st, depth);
    return failures;
}
