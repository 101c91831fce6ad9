// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Walking the tree of a base. See tree.h.
 */
#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

struct walk {
    struct tree_stats *st;
    mbedtls_sha256_context sha;
    const char *root; /* the tree, as given (for the xattr calls, which take paths) */
    dev_t dev;
    char path[PATH_MAX]; /* relative to the tree, "" for its root */
    char *bad;
    size_t bad_n;
};

static int stop(struct walk *w, int err)
{
    snprintf(w->bad, w->bad_n, "%s", w->path[0] ? w->path : ".");
    return err;
}

/* A regular file's content into the fingerprint. */
static int hash_content(struct walk *w, int dirfd, const char *name)
{
    unsigned char buf[65536];
    ssize_t n;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    int r = 0;

    if (fd < 0)
        return -errno;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            break;
        }
        if (mbedtls_sha256_update_ret(&w->sha, buf, (size_t)n)) {
            r = -EIO;
            break;
        }
    }
    close(fd);
    return r;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* " x" and the hex SHA-256 of the entry's xattrs (sorted names, each with its value's length
 * and value) into out, or "" when it has none: mkfs.ext4 -d copies them, so they are part of
 * what the image holds (a tree without xattrs keeps the fingerprint it always had). */
static int xattr_digest(struct walk *w, char out[68])
{
    char path[2 * PATH_MAX], names[65536], value[65536];
    const char *v[4096];
    unsigned char sum[32];
    mbedtls_sha256_context c;
    size_t cnt = 0;
    int r = 0;

    out[0] = '\0';
    if ((size_t)snprintf(path, sizeof path, "%s/%s", w->root, w->path) >= sizeof path)
        return -ENAMETOOLONG;
    ssize_t len = llistxattr(path, names, sizeof names);
    if (len < 0)
        return errno == ENOTSUP ? 0 : -errno;
    for (ssize_t i = 0; i < len && cnt < sizeof v / sizeof *v; i += (ssize_t)strlen(names + i) + 1)
        v[cnt++] = names + i;
    if (cnt == 0)
        return 0;
    if (cnt == sizeof v / sizeof *v)
        return -E2BIG;
    qsort(v, cnt, sizeof *v, by_str);
    mbedtls_sha256_init(&c);
    if (mbedtls_sha256_starts_ret(&c, 0))
        r = -EIO;
    for (size_t i = 0; r == 0 && i < cnt; i++) {
        ssize_t vl = lgetxattr(path, v[i], value, sizeof value);
        if (vl < 0) {
            r = -errno;
            break;
        }
        uint64_t l = (uint64_t)vl;
        if (mbedtls_sha256_update_ret(&c, (const unsigned char *)v[i], strlen(v[i]) + 1) ||
            mbedtls_sha256_update_ret(&c, (const unsigned char *)&l, sizeof l) ||
            mbedtls_sha256_update_ret(&c, (const unsigned char *)value, (size_t)vl))
            r = -EIO;
    }
    if (r == 0 && mbedtls_sha256_finish_ret(&c, sum))
        r = -EIO;
    mbedtls_sha256_free(&c);
    if (r < 0)
        return r;
    out[0] = ' ';
    out[1] = 'x';
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", sum[i]);
    return 0;
}

/* Names, metadata, xattrs and content, in a fixed layout: the same tree, the same fingerprint;
 * a file whose content changed and nothing else (a reproducible build settles the times),
 * another. */
static int fingerprint(struct walk *w, int dirfd, const char *name, const struct stat *s)
{
    char target[PATH_MAX] = "";
    char meta[240], xattrs[68];
    int n, r;

    if (S_ISLNK(s->st_mode)) {
        ssize_t l = readlinkat(dirfd, name, target, sizeof target - 1);
        if (l < 0)
            return -errno;
        target[l] = '\0';
    }
    if ((r = xattr_digest(w, xattrs)) < 0)
        return r;
    n = snprintf(meta, sizeof meta, "%o %u %u %lld %lld.%09ld %llx%s", (unsigned)s->st_mode,
                 (unsigned)s->st_uid, (unsigned)s->st_gid, (long long)s->st_size,
                 (long long)s->st_mtim.tv_sec, s->st_mtim.tv_nsec, (unsigned long long)s->st_rdev,
                 xattrs);
    if (mbedtls_sha256_update_ret(&w->sha, (const unsigned char *)w->path, strlen(w->path) + 1) ||
        mbedtls_sha256_update_ret(&w->sha, (const unsigned char *)meta, (size_t)n + 1) ||
        mbedtls_sha256_update_ret(&w->sha, (const unsigned char *)target, strlen(target) + 1))
        return -EIO;
    return S_ISREG(s->st_mode) ? hash_content(w, dirfd, name) : 0;
}

static void count(struct tree_stats *st, const struct stat *s, size_t name_len)
{
    st->dir_bytes += 8 + name_len;
    if (s->st_mtim.tv_sec > st->newest_mtime)
        st->newest_mtime = s->st_mtim.tv_sec;
    if (S_ISREG(s->st_mode)) {
        st->files++;
        st->data_blocks += ((uint64_t)s->st_size + MKBASE_BLOCK - 1) / MKBASE_BLOCK;
    } else if (S_ISDIR(s->st_mode)) {
        st->dirs++;
    } else if (S_ISLNK(s->st_mode)) {
        st->symlinks++;
        if (s->st_size > 59) /* longer than fits in the inode */
            st->data_blocks++;
    } else {
        st->others++;
    }
}

static int walk_dir(struct walk *w, int fd, int depth);

static int walk_entry(struct walk *w, int dirfd, const char *name, int depth)
{
    size_t len = strlen(w->path);
    struct stat s;
    int r = 0;

    if (len + 1 + strlen(name) >= sizeof w->path)
        return stop(w, -ENAMETOOLONG);
    snprintf(w->path + len, sizeof w->path - len, "%s%s", len ? "/" : "", name);
    if (fstatat(dirfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0) {
        r = stop(w, -errno);
        goto out;
    }
    if (s.st_dev != w->dev) {
        r = stop(w, -EXDEV);
        goto out;
    }
    count(w->st, &s, strlen(name));
    r = fingerprint(w, dirfd, name, &s);
    if (r < 0) {
        stop(w, r);
        goto out;
    }
    if (S_ISDIR(s.st_mode)) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            r = stop(w, -errno);
        else
            r = walk_dir(w, fd, depth + 1);
    }
out:
    if (r == 0)
        w->path[len] = '\0';
    return r;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *e)
{
    return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
}

/* Takes fd. Names are sorted: the fingerprint does not depend on readdir's order. */
static int walk_dir(struct walk *w, int fd, int depth)
{
    struct dirent **names = NULL;
    int n, r = 0;

    if (depth > TREE_MAX_DEPTH) {
        close(fd);
        return stop(w, -ELOOP);
    }
    n = scandirat(fd, ".", &names, skip_dots, by_name);
    if (n < 0) {
        r = stop(w, -errno);
        close(fd);
        return r;
    }
    for (int i = 0; i < n; i++) {
        if (r == 0)
            r = walk_entry(w, fd, names[i]->d_name, depth);
        free(names[i]);
    }
    free(names);
    close(fd);
    return r;
}

int tree_walk(const char *dir, struct tree_stats *st, char *bad, size_t n)
{
    struct walk w = {.st = st, .root = dir, .bad = bad, .bad_n = n};
    struct stat s;
    int fd, r;

    memset(st, 0, sizeof *st);
    w.path[0] = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &s) < 0) {
        r = stop(&w, -errno);
        if (fd >= 0)
            close(fd);
        return r;
    }
    w.dev = s.st_dev;
    st->dirs = 1;
    st->newest_mtime = s.st_mtim.tv_sec;
    mbedtls_sha256_init(&w.sha);
    if (mbedtls_sha256_starts_ret(&w.sha, 0)) {
        close(fd);
        mbedtls_sha256_free(&w.sha);
        return stop(&w, -EIO);
    }
    r = fingerprint(&w, fd, ".", &s);
    if (r == 0)
        r = walk_dir(&w, fd, 0);
    else
        close(fd);
    if (r == 0 && mbedtls_sha256_finish_ret(&w.sha, st->fingerprint))
        r = -EIO;
    mbedtls_sha256_free(&w.sha);
    return r;
}
