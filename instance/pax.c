// SPDX-License-Identifier: GPL-2.0-or-later
#include "pax.h"

#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "array.h"
#include "fsio.h"
#include "log.h"
#include "why.h"

#define META_MAX 4096
#define XATTR_VALUE_MAX 65536
#define MAX_DEPTH 4096

/* --- the metadata member --- */

int backup_meta_parse(const char *text, size_t len, struct backup_meta *m, char *why, size_t n)
{
    char buf[META_MAX + 1];
    bool header = false, have_size = false;

    memset(m, 0, sizeof *m);
    if (len > META_MAX || memchr(text, 0, len))
        return why_fail(why, n, -EBADMSG, "its %s member is malformed", BACKUP_META_NAME);
    memcpy(buf, text, len);
    buf[len] = 0;
    for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *val = strchr(line, ' ');
        char *end;

        if (!val)
            return why_fail(why, n, -EBADMSG, "malformed line '%.60s' in %s", line,
                            BACKUP_META_NAME);
        *val++ = 0;
        if (strcmp(line, "sharedroot-instance-backup") == 0) {
            if (strcmp(val, "1") != 0)
                return why_fail(why, n, -EPROTONOSUPPORT,
                                "it is a backup of version %.20s; this sharedroot-instance "
                                "reads version 1",
                                val);
            header = true;
        } else if (strcmp(line, "fstype") == 0 && strlen(val) < sizeof m->fstype) {
            strcpy(m->fstype, val);
        } else if (strcmp(line, "size") == 0) {
            errno = 0;
            m->size = strtoull(val, &end, 10);
            if (errno || *end || m->size == 0 || *val == '-')
                return why_fail(why, n, -EBADMSG, "bad size '%.30s' in %s", val, BACKUP_META_NAME);
            have_size = true;
        } else if (strcmp(line, "label") == 0 && strlen(val) < sizeof m->label) {
            strcpy(m->label, val);
        } else if (strcmp(line, "uuid") == 0 && strlen(val) < sizeof m->uuid) {
            strcpy(m->uuid, val);
        } else {
            return why_fail(why, n, -EBADMSG, "unknown or overlong key '%.30s' in %s", line,
                            BACKUP_META_NAME);
        }
    }
    if (!header || !have_size)
        return why_fail(why, n, -EBADMSG, "%s lacks its %s line", BACKUP_META_NAME,
                        header ? "size" : "first");
    return 0;
}

static int write_meta(struct archive *a, const struct backup_meta *m)
{
    char text[512];
    int len =
        snprintf(text, sizeof text,
                 "sharedroot-instance-backup 1\nfstype %s\nsize %" PRIu64 "\n%s%s%s%s%s%s",
                 m->fstype, m->size, m->label[0] ? "label " : "", m->label, m->label[0] ? "\n" : "",
                 m->uuid[0] ? "uuid " : "", m->uuid, m->uuid[0] ? "\n" : "");
    struct archive_entry *e = archive_entry_new2(a);
    int r;

    if (!e)
        return -ENOMEM;
    archive_entry_set_pathname(e, BACKUP_META_NAME);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, len);
    r = archive_write_header(a, e);
    if (r == ARCHIVE_OK && archive_write_data(a, text, (size_t)len) != len)
        r = ARCHIVE_FATAL;
    archive_entry_free(e);
    return r == ARCHIVE_OK ? 0 : -EIO;
}

/* --- writing --- */

struct link {
    dev_t dev;
    ino_t ino;
    char *path;
};

struct walker {
    struct archive *a;
    int rootfd;
    char **stack; /* dirs still to list */
    size_t nstack, capstack;
    struct link *links;
    size_t nlinks, caplinks;
    char *why;
    size_t n;
};

/* Paths below the instance root that are not the instance's own state. */
static bool skip_children(const char *rel)
{
    const char *p;

    if (strcmp(rel, "tmp") == 0 || strcmp(rel, "lost+found") == 0)
        return true;
    /* overlay/NAME/work */
    if (strncmp(rel, "overlay/", 8) != 0)
        return false;
    p = strchr(rel + 8, '/');
    return p && strcmp(p, "/work") == 0;
}

static bool skip_entry(const char *rel)
{
    return strcmp(rel, "lost+found") == 0 || strcmp(rel, "swapfile") == 0 ||
           strcmp(rel, BACKUP_META_NAME) == 0;
}

/* All xattrs of dirfd/name, the entry itself (never followed). */
static int add_xattrs(struct archive_entry *e, int dirfd, const char *name)
{
    char p[PATH_MAX + 64];
    _cleanup_free_ char *list = NULL;
    ssize_t len;

    if (*name)
        snprintf(p, sizeof p, "/proc/self/fd/%d/%s", dirfd, name);
    else
        snprintf(p, sizeof p, "/proc/self/fd/%d/.", dirfd);
    len = llistxattr(p, NULL, 0);
    if (len < 0)
        return errno == ENOTSUP ? 0 : -errno;
    if (len == 0)
        return 0;
    list = malloc((size_t)len);
    if (!list)
        return -ENOMEM;
    len = llistxattr(p, list, (size_t)len);
    if (len < 0)
        return -errno;
    for (ssize_t i = 0; i < len; i += (ssize_t)strlen(list + i) + 1) {
        ssize_t vlen = lgetxattr(p, list + i, NULL, 0);
        _cleanup_free_ char *val = NULL;

        if (vlen < 0)
            return -errno;
        val = malloc((size_t)vlen + 1);
        if (!val)
            return -ENOMEM;
        vlen = lgetxattr(p, list + i, val, (size_t)vlen);
        if (vlen < 0)
            return -errno;
        archive_entry_xattr_add_entry(e, list + i, val, (size_t)vlen);
    }
    return 0;
}

static int copy_data(struct archive *a, int dirfd, const char *name, off_t size)
{
    _cleanup_close_ int fd =
        openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    char buf[65536];
    off_t done = 0;

    if (fd < 0)
        return -errno;
    while (done < size) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -errno;
        if (got == 0)
            return -EIO; /* shrank while we read it */
        if (got > size - done)
            got = size - done;
        if (archive_write_data(a, buf, (size_t)got) != got)
            return -EIO;
        done += got;
    }
    return 0;
}

static const char *hardlink_of(struct walker *w, const char *rel, const struct stat *st)
{
    if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
        return NULL;
    for (size_t i = 0; i < w->nlinks; i++)
        if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
            return w->links[i].path;
    if (array_grow(&w->links, w->nlinks, 1, &w->caplinks, sizeof *w->links) == 0) {
        char *p = strdup(rel);
        if (p)
            w->links[w->nlinks++] = (struct link){st->st_dev, st->st_ino, p};
    }
    return NULL;
}

static int emit(struct walker *w, const char *rel, int dirfd, const char *name,
                const struct stat *st)
{
    struct archive_entry *e = archive_entry_new2(w->a);
    const char *link = hardlink_of(w, rel, st);
    int r = 0;

    if (!e)
        return -ENOMEM;
    archive_entry_set_pathname(e, *rel ? rel : ".");
    archive_entry_set_mode(e, st->st_mode);
    archive_entry_set_uid(e, st->st_uid);
    archive_entry_set_gid(e, st->st_gid);
    archive_entry_set_atime(e, st->st_atim.tv_sec, st->st_atim.tv_nsec);
    archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
    archive_entry_set_ctime(e, st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
        archive_entry_set_rdev(e, st->st_rdev);
    if (link) {
        archive_entry_set_hardlink(e, link);
        archive_entry_set_size(e, 0);
    } else if (S_ISREG(st->st_mode)) {
        archive_entry_set_size(e, st->st_size);
    } else if (S_ISLNK(st->st_mode)) {
        struct rc_buf target = {0};
        r = rc_read_symlink(dirfd, name, &target);
        if (r == 0)
            archive_entry_set_symlink(e, target.data);
        rc_buf_done(&target);
    }
    if (r == 0 && !link)
        r = add_xattrs(e, dirfd, name);
    if (r == 0 && archive_write_header(w->a, e) != ARCHIVE_OK)
        r = -EIO;
    if (r == 0 && !link && S_ISREG(st->st_mode))
        r = copy_data(w->a, dirfd, name, st->st_size);
    archive_entry_free(e);
    if (r < 0)
        why_fail(w->why, w->n, r, "cannot archive /%s: %s", rel,
                 r == -EIO && archive_error_string(w->a) ? archive_error_string(w->a)
                                                         : strerror(-r));
    return r;
}

static int push(struct walker *w, const char *rel)
{
    char *p = strdup(rel);
    int r = p ? array_grow(&w->stack, w->nstack, 1, &w->capstack, sizeof *w->stack) : -ENOMEM;

    if (r < 0) {
        free(p);
        return r;
    }
    w->stack[w->nstack++] = p;
    return 0;
}

static int list_one(struct walker *w, const char *dir)
{
    _cleanup_close_ int dfd = *dir ? rc_open_beneath(w->rootfd, dir, O_RDONLY | O_DIRECTORY)
                                   : fcntl(w->rootfd, F_DUPFD_CLOEXEC, 3);
    char **names = NULL;
    size_t cnt = 0;
    int r;

    if (dfd < 0)
        return why_fail(w->why, w->n, dfd, "cannot open /%s: %s", dir, strerror(-dfd));
    r = rc_list_dir(dfd, &names, &cnt);
    if (r < 0)
        return why_fail(w->why, w->n, r, "cannot list /%s: %s", dir, strerror(-r));
    for (size_t i = 0; i < cnt && r == 0; i++) {
        _cleanup_free_ char *rel = rc_path_join(dir, names[i]);
        struct stat st;

        if (!rel) {
            r = -ENOMEM;
            break;
        }
        if (skip_entry(rel))
            continue;
        if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            r = why_fail(w->why, w->n, -errno, "cannot stat /%s: %s", rel, strerror(errno));
            break;
        }
        if (S_ISSOCK(st.st_mode)) {
            log_warning("/%s is a socket, which an archive cannot hold; left out", rel);
            continue;
        }
        r = emit(w, rel, dfd, names[i], &st);
        if (r == 0 && S_ISDIR(st.st_mode) && !skip_children(rel)) {
            size_t depth = 1;
            for (const char *c = rel; *c; c++)
                depth += *c == '/';
            r = depth > MAX_DEPTH ? why_fail(w->why, w->n, -ELOOP, "/%s is too deep", rel)
                                  : push(w, rel);
        }
    }
    rc_names_free(names, cnt);
    return r;
}

int backup_write(struct archive *a, int rootfd, const struct backup_meta *m, char *why, size_t n)
{
    struct walker w = {.a = a, .rootfd = rootfd, .why = why, .n = n};
    struct stat st;
    int r = write_meta(a, m);

    if (r < 0)
        return why_fail(why, n, r, "cannot write the archive: %s", archive_error_string(a));
    if (fstat(rootfd, &st) < 0)
        return -errno;
    r = emit(&w, "", rootfd, "", &st);
    if (r == 0)
        r = push(&w, "");
    while (r == 0 && w.nstack > 0) {
        char *dir = w.stack[--w.nstack];
        r = list_one(&w, dir);
        free(dir);
    }
    while (w.nstack > 0)
        free(w.stack[--w.nstack]);
    free(w.stack);
    for (size_t i = 0; i < w.nlinks; i++)
        free(w.links[i].path);
    free(w.links);
    return r;
}

/* --- reading (untrusted) --- */

static bool xattr_name_ok(const char *name)
{
    static const char *const ns[] = {"user.", "trusted.", "security.", "system."};
    size_t len = strlen(name);

    if (len == 0 || len > 255)
        return false;
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
        if (strncmp(name, ns[i], strlen(ns[i])) == 0 && name[strlen(ns[i])])
            return true;
    return false;
}

static int read_meta(struct archive *a, struct archive_entry *e, struct backup_meta *m, char *why,
                     size_t n)
{
    char text[META_MAX];
    la_ssize_t got;
    int64_t size = archive_entry_size(e);

    if (strcmp(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", BACKUP_META_NAME) != 0 ||
        archive_entry_filetype(e) != AE_IFREG)
        return why_fail(why, n, -EBADMSG,
                        "it does not start with %s: not a sharedroot-instance backup",
                        BACKUP_META_NAME);
    if (size < 0 || size > META_MAX)
        return why_fail(why, n, -EBADMSG, "its %s member is too large", BACKUP_META_NAME);
    got = archive_read_data(a, text, (size_t)size);
    if (got != size)
        return why_fail(why, n, -EBADMSG, "its %s member is truncated", BACKUP_META_NAME);
    return backup_meta_parse(text, (size_t)got, m, why, n);
}

static int read_content(struct archive *a, int fd, int64_t size, uint64_t *total, uint64_t limit)
{
    const void *buf;
    size_t len;
    la_int64_t off;
    int r;

    while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
        if (off < 0 || (uint64_t)off + len > (uint64_t)size)
            return -EBADMSG;
        *total += len;
        if (*total > limit)
            return -EFBIG;
        if (len && pwrite(fd, buf, len, off) != (ssize_t)len)
            return errno ? -errno : -EIO;
    }
    if (r != ARCHIVE_EOF)
        return -EBADMSG;
    return ftruncate(fd, size) < 0 ? -errno : 0;
}

static int entry_meta(struct archive_entry *e, struct tree_entry *m, const char *path, bool hard)
{
    m->path = (char *)path;
    m->mode = archive_entry_mode(e);
    m->uid = (uid_t)archive_entry_uid(e);
    m->gid = (gid_t)archive_entry_gid(e);
    if (archive_entry_uid(e) < 0 || archive_entry_uid(e) > 0xfffffffe || archive_entry_gid(e) < 0 ||
        archive_entry_gid(e) > 0xfffffffe)
        return -EBADMSG;
    m->rdev = archive_entry_rdev(e);
    m->has_times = true;
    m->mtime = (struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    m->atime = archive_entry_atime_is_set(e)
                   ? (struct timespec){archive_entry_atime(e), archive_entry_atime_nsec(e)}
                   : m->mtime;
    m->ctime = archive_entry_ctime_is_set(e)
                   ? (struct timespec){archive_entry_ctime(e), archive_entry_ctime_nsec(e)}
                   : m->mtime;
    if (m->mtime.tv_nsec < 0 || m->mtime.tv_nsec > 999999999 || m->atime.tv_nsec < 0 ||
        m->atime.tv_nsec > 999999999 || m->ctime.tv_nsec < 0 || m->ctime.tv_nsec > 999999999)
        return -EBADMSG;
    if (hard) /* a tar hard link member carries no file type */
        return 0;
    switch (m->mode & S_IFMT) {
    case S_IFREG:
    case S_IFDIR:
    case S_IFLNK:
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
        return 0;
    default:
        return -EBADMSG;
    }
}

static int read_entry(struct archive *a, struct archive_entry *e, struct tree *t, uint64_t *total,
                      uint64_t limit, char *why, size_t n)
{
    const char *name = archive_entry_pathname(e);
    char path[PATH_MAX];
    const char *hard = archive_entry_hardlink(e);
    const char *target = archive_entry_symlink(e);
    struct tree_entry m = {0}, *added = NULL;
    _cleanup_close_ int fd = -1;
    const char *xn;
    const void *xv;
    size_t xl;
    int r;

    /* pax writes dirs with a trailing slash, the root as "./" */
    if (!name || strlen(name) >= sizeof path)
        return why_fail(why, n, -EBADMSG, "it has a member without a path or with one too long");
    strcpy(path, strcmp(name, ".") == 0 || strcmp(name, "./") == 0 ? "" : name);
    if (*path && path[strlen(path) - 1] == '/' && archive_entry_filetype(e) == AE_IFDIR)
        path[strlen(path) - 1] = 0;
    if (*path && !rc_path_is_safe(path))
        return why_fail(why, n, -EBADMSG, "it has an unsafe path '%.200s'", name);
    if (strcmp(path, BACKUP_META_NAME) == 0)
        return why_fail(why, n, -EBADMSG, "it has %s twice", BACKUP_META_NAME);
    if ((*path == 0) != (tree_find(t, "") == NULL))
        return why_fail(why, n, -EBADMSG, "its first member after %s must be the root (\".\")",
                        BACKUP_META_NAME);
    r = entry_meta(e, &m, path, hard != NULL);
    if (r < 0)
        return why_fail(why, n, r, "/%.200s has a bad type, owner or time", path);
    if (hard) {
        const struct tree_entry *to = tree_find(t, hard);
        if (!to || !S_ISREG(to->mode) || to->hardlink)
            return why_fail(why, n, -EBADMSG, "/%.200s is a hard link to a file not before it",
                            path);
        m.hardlink = (char *)hard;
        m.mode = to->mode;
    }
    if (S_ISLNK(m.mode) && (!target || !*target || strlen(target) >= PATH_MAX))
        return why_fail(why, n, -EBADMSG, "/%.200s is a symlink without a target", path);
    if (!hard && S_ISREG(m.mode) &&
        (archive_entry_size(e) < 0 || (uint64_t)archive_entry_size(e) > limit))
        return why_fail(why, n, -EFBIG, "/%.200s is larger than the instance", path);
    r = tree_add(t, &m, target, NULL, 0, S_ISREG(m.mode) && !hard ? &fd : NULL, &added);
    if (r == -EPERM && (S_ISCHR(m.mode) || S_ISBLK(m.mode)))
        return why_fail(why, n, r, "/%.200s is a device node, which only root can make", path);
    if (r < 0)
        return why_fail(why, n, r, "cannot restore /%.200s: %s%s", path, strerror(-r),
                        r == -EEXIST ? " (twice in the archive)"
                        : r == -ENOENT || r == -ENOTDIR || r == -ELOOP
                            ? " (its dir is not before it in the archive)"
                            : "");
    if (fd >= 0 && (r = read_content(a, fd, archive_entry_size(e), total, limit)) < 0)
        return why_fail(why, n, r, "cannot restore the content of /%.200s: %s", path,
                        r == -EBADMSG
                            ? archive_error_string(a) ? archive_error_string(a) : "malformed"
                        : r == -EFBIG ? "the archive holds more than the instance's size"
                                      : strerror(-r));
    if (hard)
        return 0;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &xn, &xv, &xl) == ARCHIVE_OK) {
        if (!xattr_name_ok(xn) || xl > XATTR_VALUE_MAX)
            return why_fail(why, n, -EBADMSG, "/%.200s has a bad xattr '%.60s'", path, xn);
        r = tree_add_xattr(added, xn, xv, xl);
        if (r < 0)
            return why_fail(why, n, r, "out of memory");
    }
    return 0;
}

int backup_read(struct archive *a, struct tree *t, struct backup_meta *m, char *why, size_t n)
{
    struct archive_entry *e;
    uint64_t total = 0;
    int r = archive_read_next_header(a, &e);

    if (r != ARCHIVE_OK)
        return why_fail(why, n, -EBADMSG, "it is not an archive (%s)",
                        archive_error_string(a) ? archive_error_string(a) : "empty");
    r = read_meta(a, e, m, why, n);
    while (r == 0) {
        int ar = archive_read_next_header(a, &e);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
            return why_fail(why, n, -EBADMSG, "it is damaged: %s",
                            archive_error_string(a) ? archive_error_string(a) : "read error");
        r = read_entry(a, e, t, &total, m->size, why, n);
    }
    if (r == 0 && !tree_find(t, ""))
        r = why_fail(why, n, -EBADMSG, "it holds no instance (no root member)");
    return r;
}
