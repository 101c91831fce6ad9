// SPDX-License-Identifier: GPL-2.0-or-later
#include "fix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "inroot.h"

#define MAX_BACKUPS 100

/* Make the backup directory for path; set backup to a name in it that does not exist yet
 * ("PATH", "PATH.1", ...): an earlier run's backup is never overwritten. */
static int backup_name(int rootfd, const char *path, char *backup, size_t n)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s%s", FIX_BACKUP_DIR, path);
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    int r = inroot_mkdir_p(rootfd, "/var/backups", 0755);
    if (r >= 0)
        r = inroot_mkdir_p(rootfd, FIX_BACKUP_DIR, 0700);
    if (r >= 0)
        r = inroot_mkdir_p(rootfd, dir, 0700);
    if (r < 0)
        return r;
    for (int i = 0; i < MAX_BACKUPS; i++) {
        int k = i ? snprintf(backup, n, "%s%s.%d", FIX_BACKUP_DIR, path, i)
                  : snprintf(backup, n, "%s%s", FIX_BACKUP_DIR, path);
        if (k < 0 || (size_t)k >= n)
            return -ENAMETOOLONG;
        struct stat st;
        r = inroot_lstat(rootfd, backup, &st);
        if (r == -ENOENT)
            return 0;
        if (r < 0)
            return r;
    }
    return -EEXIST;
}

/* Move path to a fresh backup name (same filesystem expected: -EXDEV otherwise). */
static int move_to_backup(int rootfd, const char *path, char *backup, size_t n)
{
    int r = backup_name(rootfd, path, backup, n);
    if (r < 0)
        return r;
    const char *from, *to;
    int fromfd = inroot_open_parent(rootfd, path, &from);
    if (fromfd < 0)
        return fromfd;
    int tofd = inroot_open_parent(rootfd, backup, &to);
    if (tofd < 0) {
        close(fromfd);
        return tofd;
    }
    r = renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE) < 0 ? -errno : 0;
    close(fromfd);
    close(tofd);
    return r;
}

static int copy_fd(int in, int out)
{
    char buf[8192];
    for (;;) {
        ssize_t k = read(in, buf, sizeof(buf));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0 ? -errno : 0;
        for (ssize_t off = 0; off < k;) {
            ssize_t w = write(out, buf + off, (size_t)(k - off));
            if (w < 0 && errno != EINTR)
                return -errno;
            off += w > 0 ? w : 0;
        }
    }
}

/* Copy path to a fresh backup name and fsync it, so the original may then be changed. */
static int copy_to_backup(int rootfd, const char *path, char *backup, size_t n)
{
    int r = backup_name(rootfd, path, backup, n);
    if (r < 0)
        return r;
    int in = inroot_open(rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
    if (in < 0)
        return in;
    int out = inroot_open(rootfd, backup, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    if (out < 0) {
        close(in);
        return out;
    }
    r = copy_fd(in, out);
    if (r >= 0 && fsync(out) < 0)
        r = -errno;
    close(in);
    if (close(out) < 0 && r >= 0)
        r = -errno;
    return r;
}

static int failed(int r, char *what, size_t n, const char *step)
{
    snprintf(what, n, "not fixed: %s failed: %s", step, strerror(-r));
    return r;
}

/* Copy the extended attributes (an SELinux label, ACLs) of from to to. A filesystem without
 * xattrs is fine: there is nothing to copy. */
static int copy_xattrs(int from, int to)
{
    char names[4096], value[4096];
    ssize_t n = flistxattr(from, names, sizeof(names));

    if (n < 0)
        return errno == ENOTSUP ? 0 : -errno;
    for (const char *name = names; name < names + n; name += strlen(name) + 1) {
        ssize_t k = fgetxattr(from, name, value, sizeof(value));
        if (k < 0 || fsetxattr(to, name, value, (size_t)k, 0) < 0)
            return -errno;
    }
    return 0;
}

/* A new empty file in dfd (mode, owner and xattrs of the file old, open as oldfd) under a
 * temporary name; its name goes to tmp. */
static int create_empty_beside(int dfd, const char *name, int oldfd, const struct stat *old,
                               char *tmp, size_t n)
{
    for (int i = 0; i < MAX_BACKUPS; i++) {
        if ((size_t)snprintf(tmp, n, ".%s.check-base-new.%d", name, i) >= n)
            return -ENAMETOOLONG;
        int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            return -errno;
        int r = fchown(fd, old->st_uid, old->st_gid) < 0 ? -errno : 0;
        if (r >= 0)
            r = copy_xattrs(oldfd, fd);
        if (r >= 0 && fchmod(fd, old->st_mode & 07777) < 0)
            r = -errno;
        if (r >= 0 && fsync(fd) < 0)
            r = -errno;
        if (close(fd) < 0 && r >= 0)
            r = -errno;
        if (r < 0)
            unlinkat(dfd, tmp, 0);
        return r;
    }
    return -EEXIST;
}

/* The file is replaced, never written: a new empty file takes its name by rename. A base made
 * with cp -al, rsync --link-dest or an ostree checkout shares its inodes with another tree,
 * and truncating in place emptied the other tree's file too. */
int fix_empty_file(int rootfd, const struct finding *f, char *what, size_t n)
{
    char backup[PATH_MAX], tmp[NAME_MAX + 1];
    const char *name;
    struct stat st;
    int r = copy_to_backup(rootfd, f->path, backup, sizeof(backup));
    if (r < 0)
        return failed(r, what, n, "backing it up");
    int dfd = inroot_open_parent(rootfd, f->path, &name);
    if (dfd < 0)
        return failed(dfd, what, n, "opening its directory");
    int oldfd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (oldfd < 0 || fstat(oldfd, &st) < 0 || !S_ISREG(st.st_mode)) {
        r = oldfd < 0 && errno == ELOOP ? -ELOOP : oldfd < 0 ? -errno : -EINVAL;
        if (oldfd >= 0)
            close(oldfd);
        close(dfd);
        if (r != -ELOOP)
            return failed(r, what, n, "opening it as a regular file");
        snprintf(what, n,
                 "not fixed: it is a symbolic link; empty the file it points to by hand (the "
                 "old content is in %s)",
                 backup);
        return r;
    }
    r = create_empty_beside(dfd, name, oldfd, &st, tmp, sizeof(tmp));
    close(oldfd);
    if (r >= 0 && renameat(dfd, tmp, dfd, name) < 0) {
        r = -errno;
        unlinkat(dfd, tmp, 0);
    }
    if (r >= 0 && fsync(dfd) < 0)
        r = -errno;
    close(dfd);
    if (r < 0)
        return failed(r, what, n, "replacing it by an empty file");
    snprintf(what, n, "emptied (a new empty file took its place%s); the old content is in %s",
             st.st_nlink > 1 ? "; its other hard links keep the old content" : "", backup);
    return 0;
}

int fix_link_machine_id(int rootfd, const struct finding *f, char *what, size_t n)
{
    char backup[PATH_MAX];
    int r = move_to_backup(rootfd, f->path, backup, sizeof(backup));
    if (r < 0)
        return failed(r, what, n, "moving it to the backup");
    const char *name;
    int dfd = inroot_open_parent(rootfd, f->path, &name);
    if (dfd < 0)
        return failed(dfd, what, n, "opening its directory");
    r = symlinkat("/etc/machine-id", dfd, name) < 0 ? -errno : 0;
    close(dfd);
    if (r < 0)
        return failed(r, what, n, "creating the symlink");
    snprintf(what, n, "replaced by a symlink to /etc/machine-id; the old file is in %s", backup);
    return 0;
}

int fix_move_ssh_key(int rootfd, const struct finding *f, char *what, size_t n)
{
    char backup[PATH_MAX], pub[PATH_MAX], pub_backup[PATH_MAX];
    int r = move_to_backup(rootfd, f->path, backup, sizeof(backup));
    if (r < 0)
        return failed(r, what, n, "moving it to the backup");
    snprintf(pub, sizeof(pub), "%s.pub", f->path);
    struct stat st;
    if (inroot_lstat(rootfd, pub, &st) == 0) {
        r = move_to_backup(rootfd, pub, pub_backup, sizeof(pub_backup));
        if (r < 0)
            return failed(r, what, n, "moving the .pub to the backup");
    }
    snprintf(what, n, "moved to %s (and its .pub beside it)", backup);
    return 0;
}

int fix_remove(int rootfd, const struct finding *f, char *what, size_t n)
{
    const char *name;
    int dfd = inroot_open_parent(rootfd, f->path, &name);
    if (dfd < 0)
        return failed(dfd, what, n, "opening its directory");
    int r = unlinkat(dfd, name, 0) < 0 ? -errno : 0;
    close(dfd);
    if (r < 0)
        return failed(r, what, n, "removing it");
    snprintf(what, n, "removed");
    return 0;
}

int fix_mkdir(int rootfd, const struct finding *f, char *what, size_t n)
{
    int r = inroot_mkdir_p(rootfd, f->path, 0755);
    if (r < 0)
        return failed(r, what, n, "creating it");
    snprintf(what, n, "created (mode 0755)");
    return 0;
}
