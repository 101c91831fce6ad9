// SPDX-License-Identifier: GPL-2.0-or-later
#include "fsio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "array.h"
#include "io-util.h"

int rc_next_component(const char **p, char **out)
{
    while (**p == '/')
        (*p)++;
    const char *e = strchrnul(*p, '/');
    size_t n = (size_t)(e - *p);
    if (n == 0)
        return 0;
    *out = strndup(*p, n);
    if (!*out)
        return -ENOMEM;
    *p = e;
    return 1;
}

int rc_open_child_dir(int dirfd, const char *name)
{
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/'))
        return -EINVAL;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* The openat2 way: one call, the kernel refuses any symlink and any way out of rootfd.
 * -ENOSYS when this kernel (or a seccomp filter) has no openat2. */
int rc_openat2_beneath(int rootfd, const char *relpath, int flags, unsigned long long extra)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_NOFOLLOW | O_CLOEXEC),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | extra,
    };
    int fd = (int)syscall(SYS_openat2, rootfd, relpath, &how, sizeof how);
    if (fd >= 0)
        return fd;
    /* EPERM: a seccomp filter that predates openat2; ENAMETOOLONG: a path beyond PATH_MAX
     * (a deep hostile tree), which the component walk still resolves. */
    return errno == ENOSYS || errno == EPERM || errno == ENAMETOOLONG ? -ENOSYS : -errno;
}

/* The component walk of kernels without openat2: open each dir with O_NOFOLLOW. With create,
 * missing components are made with mode. With no_xdev, a component on another device than
 * rootfd is -EXDEV. Returns the fd of the last dir. */
int rc_walk_dirs(int rootfd, const char *reldir, bool create, mode_t mode, bool no_xdev)
{
    struct stat root_st;
    if (no_xdev && fstat(rootfd, &root_st) < 0)
        return -errno;
    _cleanup_close_ int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return -errno;
    const char *p = reldir;
    for (;;) {
        _cleanup_free_ char *comp = NULL;
        struct stat st;
        int r = rc_next_component(&p, &comp);
        if (r < 0)
            return r;
        if (r == 0)
            return take_fd(&fd);
        if (create && mkdirat(fd, comp, mode) < 0 && errno != EEXIST)
            return -errno;
        int nfd = rc_open_child_dir(fd, comp);
        if (nfd == -ENOTDIR && fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            nfd = -ELOOP; /* O_DIRECTORY | O_NOFOLLOW on a symlink says ENOTDIR */
        if (nfd < 0)
            return nfd;
        close(fd);
        fd = nfd;
        if (no_xdev && (fstat(fd, &st) < 0 || st.st_dev != root_st.st_dev))
            return -EXDEV;
    }
}

int rc_open_beneath(int rootfd, const char *relpath, int flags)
{
    int fd;
    if (!*relpath)
        return (fd = openat(rootfd, ".", flags | O_CLOEXEC)) < 0 ? -errno : fd;
    fd = rc_openat2_beneath(rootfd, relpath, flags, 0);
    if (fd != -ENOSYS)
        return fd;
    const char *name = strrchr(relpath, '/');
    name = name ? name + 1 : relpath;
    _cleanup_free_ char *prefix = strndup(relpath, (size_t)(name - relpath));
    if (!prefix)
        return -ENOMEM;
    _cleanup_close_ int dfd = rc_walk_dirs(rootfd, prefix, false, 0, false);
    if (dfd < 0)
        return dfd;
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return -EINVAL;
    fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int rc_open_parent(int rootfd, const char *relpath, const char **name)
{
    const char *last = strrchr(relpath, '/');
    *name = last ? last + 1 : relpath;
    _cleanup_free_ char *prefix = strndup(relpath, (size_t)(*name - relpath));
    if (!prefix)
        return -ENOMEM;
    return rc_open_beneath(rootfd, prefix, O_RDONLY | O_DIRECTORY);
}

int rc_stat_beneath(int rootfd, const char *relpath, struct stat *st)
{
    const char *name;
    _cleanup_close_ int dfd = rc_open_parent(rootfd, relpath, &name);
    if (dfd < 0)
        return dfd;
    return fstatat(dfd, *name ? name : ".", st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

int rc_mkdirs(int rootfd, const char *reldir, mode_t mode)
{
    return rc_walk_dirs(rootfd, reldir, true, mode, false);
}

/* Each level is one fstatat of "..", "../..", ... relative to a dir fd: the kernel takes ".."
 * across mount points and stops at this process's root, exactly as opening ".." level by level
 * would, at a quarter of the system calls (no open, close or second stat per level). The fd is
 * moved up every RC_ANC_HOP levels so that the relative path stays short. */
#define RC_ANC_HOP 128u

int rc_dir_ancestry(int fd, struct rc_dir_id **out, size_t *n)
{
    char up[RC_ANC_HOP * 3 + 1];
    struct rc_dir_id *ids = NULL;
    size_t cap = 0, k = 0;
    struct stat st;
    int r = 0;
    *out = NULL;
    *n = 0;
    _cleanup_close_ int base = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (base < 0)
        return -errno;
    if (fstat(base, &st) < 0)
        return -errno;
    /* PATH_MAX / 2 levels is as deep as any path can name a dir. */
    for (unsigned level = 0, hop = 0;; level++, hop++) {
        if (level >= PATH_MAX / 2) {
            r = -ELOOP;
            break;
        }
        if ((r = array_grow(&ids, k, 1, &cap, sizeof *ids)) < 0)
            break;
        ids[k++] = (struct rc_dir_id){st.st_dev, st.st_ino};
        if (hop == RC_ANC_HOP) { /* up[] holds RC_ANC_HOP ".."s: move the fd there */
            int nfd = openat(base, up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (nfd < 0) {
                r = -errno;
                break;
            }
            close(base);
            base = nfd;
            hop = 0;
        }
        memcpy(up + (hop ? hop * 3 - 1 : 0), hop ? "/.." : "..", hop ? 4 : 3);
        if (fstatat(base, up, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            r = -errno;
            break;
        }
        if (st.st_dev == ids[k - 1].dev && st.st_ino == ids[k - 1].ino)
            break; /* the root: its ".." is itself */
    }
    if (r < 0) {
        free(ids);
        return r;
    }
    *out = ids;
    *n = k;
    return 0;
}

bool rc_dir_id_in(const struct rc_dir_id *ids, size_t n, const struct rc_dir_id *id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i].dev == id->dev && ids[i].ino == id->ino)
            return true;
    return false;
}

int rc_dir_within(int a, int b)
{
    struct stat sb;
    struct rc_dir_id *ids;
    size_t n;
    if (fstat(b, &sb) < 0)
        return -errno;
    int r = rc_dir_ancestry(a, &ids, &n);
    if (r < 0)
        return r;
    r = rc_dir_id_in(ids, n, &(struct rc_dir_id){sb.st_dev, sb.st_ino});
    free(ids);
    return r;
}

int rc_read_all(int fd, size_t max, struct rc_buf *out)
{
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return rc_buf_grow(out, 0);
        if (out->len + (size_t)n > max)
            return -EFBIG;
        int r = rc_buf_add(out, chunk, (size_t)n);
        if (r < 0)
            return r;
    }
}

int rc_copy_fd(int in, int out)
{
    char chunk[65536];
    for (;;) {
        ssize_t n = read(in, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return 0;
        int r = write_all(out, chunk, (size_t)n);
        if (r < 0)
            return r;
    }
}

int rc_fsync_dir(int dirfd)
{
    return fsync(dirfd) < 0 ? -errno : 0;
}

int rc_write_atomic(int dirfd, const char *name, const void *data, size_t n, mode_t mode)
{
    _cleanup_free_ char *tmp = NULL;
    if (asprintf(&tmp, ".%s.rc-tmp", name) < 0)
        return -ENOMEM;
    (void)unlinkat(dirfd, tmp, 0);
    _cleanup_close_ int fd =
        openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    int r = write_all(fd, data, n);
    if (r >= 0 && fsync(fd) < 0)
        r = -errno;
    if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
        r = -errno;
    if (r < 0) {
        (void)unlinkat(dirfd, tmp, 0);
        return r;
    }
    return rc_fsync_dir(dirfd);
}

/* --- listing --- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void rc_sort_names(char **names, size_t n)
{
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
}

void rc_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int rc_list_dir(int dirfd, char ***names, size_t *n)
{
    /* getdents64 on the fd itself: fdopendir's dup, fstat, fcntls and close cost five system
     * calls per dir of every walk */
    char buf[32768] __attribute__((aligned(8)));
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    int r = 0;
    if (lseek(dirfd, 0, SEEK_SET) < 0)
        return -errno;
    for (;;) {
        ssize_t got = getdents64(dirfd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            r = got < 0 ? -errno : 0;
            break;
        }
        for (ssize_t off = 0; r >= 0 && off < got;) {
            const struct dirent64 *de = (const struct dirent64 *)(buf + off);
            off += de->d_reclen;
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if ((r = array_grow(&v, cnt, 1, &cap, sizeof *v)) < 0)
                break;
            if (!(v[cnt] = strdup(de->d_name))) {
                r = -ENOMEM;
                break;
            }
            cnt++;
        }
        if (r < 0)
            break;
    }
    if (r < 0) {
        rc_names_free(v, cnt);
        return r;
    }
    rc_sort_names(v, cnt);
    *names = v;
    *n = cnt;
    return 0;
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
