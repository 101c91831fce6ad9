/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "mkutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "array.h"
#include "io-util.h"
#include "leftovers.h"
#include "log.h"

int mk_error(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = log_full_errnov(LOG_ERR, err, fmt, ap);
    va_end(ap);
    return r < 0 ? r : -EINVAL;
}

int mk_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)log_full_errnov(LOG_NOTICE, 0, fmt, ap);
    va_end(ap);
    return 0;
}

int strv_push(struct strv *s, const char *str)
{
    char *copy;

    /* one more, and the NULL that ends the vector */
    if (array_grow(&s->v, s->n, 2, &s->cap, sizeof(*s->v)) < 0)
        return -ENOMEM;
    copy = strdup(str);
    if (!copy)
        return -ENOMEM;
    s->v[s->n++] = copy;
    s->v[s->n] = NULL;
    return 0;
}

bool strv_contains(const struct strv *s, const char *str)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], str) == 0)
            return true;
    return false;
}

void strv_done(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    *s = (struct strv){0};
}

char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    char *r;

    while (*b == '/')
        b++;
    if (asprintf(&r, "%s%s%s", a, (la && a[la - 1] == '/') ? "" : "/", b) < 0)
        return NULL;
    return r;
}

char *path_normalize(const char *path)
{
    size_t len = strlen(path), o = 0;
    char *out;

    if (path[0] != '/')
        return NULL;
    out = malloc(len + 2);
    if (!out)
        return NULL;
    for (const char *p = path; *p;) {
        const char *e;
        size_t n;

        while (*p == '/')
            p++;
        e = strchrnul(p, '/');
        n = (size_t)(e - p);
        if (n == 0 || (n == 1 && p[0] == '.')) {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else {
            out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p = e;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return out;
}

char *path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int read_file(const char *path, size_t max, void **ret_buf, size_t *ret_size)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it. */
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    char *buf;
    size_t got = 0;

    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    if ((unsigned long long)st.st_size > max)
        return -EFBIG;
    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return -ENOMEM;
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int r = k < 0 ? -errno : -EIO;
            free(buf);
            return r;
        }
        got += (size_t)k;
    }
    buf[got] = '\0';
    *ret_buf = buf;
    *ret_size = got;
    return 0;
}

int copy_file(const char *src, const char *dst)
{
    _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int out = -1;
    char buf[65536];
    int r = 0;

    if (in < 0)
        return -errno;
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0)
        return -errno;
    for (;;) {
        ssize_t k = read(in, buf, sizeof(buf));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            break;
        r = write_all(out, buf, (size_t)k);
        if (r < 0)
            return r;
    }
    r = close(out);
    out = -1;
    return r < 0 ? -errno : 0;
}

/* Remove everything below the directory fd, on device dev only. Async-signal-safe (no
 * malloc, no stdio, no opendir): the signal handler of leftovers.c uses it too. Entries are
 * removed as they are read, so the directory is read again from its start until it is
 * empty; a name that cannot be removed ends the walk. */
static int rm_contents(int fd, dev_t dev, unsigned depth)
{
    char buf[2048] __attribute__((aligned(8)));

    if (depth > RM_RF_MAX_DEPTH)
        return -ELOOP;
    for (;;) {
        ssize_t n;
        int seen = 0, removed = 0;

        if (lseek(fd, 0, SEEK_SET) < 0 || (n = getdents64(fd, buf, sizeof(buf))) < 0)
            return -errno;
        if (n == 0)
            return 0;
        for (ssize_t off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            const char *name = d->d_name;
            struct stat st;
            int sub, r;

            off += d->d_reclen;
            if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
                continue;
            seen++;
            if (unlinkat(fd, name, 0) == 0) {
                removed++;
                continue;
            }
            if (errno != EISDIR)
                return -errno;
            sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0)
                return -errno;
            r = fstat(sub, &st) < 0 ? -errno : st.st_dev != dev ? -EXDEV : 0;
            if (r == 0)
                r = rm_contents(sub, dev, depth + 1);
            close(sub);
            if (r < 0)
                return r;
            if (unlinkat(fd, name, AT_REMOVEDIR) < 0)
                return -errno;
            removed++;
        }
        if (!seen)
            return 0;
        if (!removed)
            return -ENOTEMPTY;
    }
}

int rm_rf_at(int dirfd, const char *path)
{
    struct stat st;
    int fd, r;

    if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dirfd, path, 0) < 0 && errno != ENOENT ? -errno : 0;
    fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    r = rm_contents(fd, st.st_dev, 0);
    close(fd);
    if (r == 0 && unlinkat(dirfd, path, AT_REMOVEDIR) < 0 && errno != ENOENT)
        r = -errno;
    return r;
}

int rm_rf(const char *path)
{
    return rm_rf_at(AT_FDCWD, path);
}

int run_program(char *const argv[], int out_fd, int err_fd)
{
    int status;
    pid_t pid = leftovers_fork();

    if (pid < 0)
        return -errno;
    if (pid == 0) {
        if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
            _exit(127);
        if (err_fd >= 0 && dup2(err_fd, STDERR_FILENO) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            leftovers_set_child(0);
            return -errno;
        }
    leftovers_set_child(0);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

char *find_program(const char *name)
{
    const char *env = getenv("PATH");
    _cleanup_free_ char *path = NULL;
    char *save = NULL;

    if (asprintf(&path, "%s:/usr/sbin:/sbin:/usr/bin:/bin", env ? env : "") < 0)
        return NULL;
    for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char *cand;

        if (dir[0] != '/')
            continue;
        cand = path_join(dir, name);
        if (cand && access(cand, X_OK) == 0)
            return cand;
        free(cand);
    }
    return NULL;
}
