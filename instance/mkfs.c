// SPDX-License-Identifier: GPL-2.0-or-later
#include "mkfs.h"
#include "log.h"
#include "why.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ext4meta.h"
#include "run.h"
#include "util.h"

int mkfs_parse_fs(const char *name, enum inst_fs *fs)
{
    if (strcmp(name, "ext4") == 0)
        *fs = FS_EXT4;
    else if (strcmp(name, "xfs") == 0)
        *fs = FS_XFS;
    else
        return -EINVAL;
    return 0;
}

static int mkfs_ext4(const char *image, const char *label, const char *uuid, const struct tree *t,
                     char *why, size_t n)
{
    /* metadata_csum_seed: a clone gets a new UUID without rewriting every checksum. The file
     * is new and sparse, so the inode tables and journal need no zeroing. */
    const char *args[16] = {
        "-q", "-F",
        "-t", "ext4",
        "-O", "metadata_csum_seed",
        "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard,root_owner=0:0"};
    size_t k = 8;
    int r;

    if (label)
        args[k++] = "-L", args[k++] = label;
    if (uuid)
        args[k++] = "-U", args[k++] = uuid;
    args[k++] = "-d";
    args[k++] = t->dir;
    args[k++] = image;
    args[k] = NULL;
    r = run_tool("mkfs.ext4", args, why, n);
    if (r < 0)
        return r;
    return ext4meta_apply(image, t, why, n);
}

/* One prototype line per entry, children after their dir, "$" closing each dir. */
static int proto_type(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFREG:
        return '-';
    case S_IFDIR:
        return 'd';
    case S_IFLNK:
        return 'l';
    case S_IFCHR:
        return 'c';
    case S_IFBLK:
        return 'b';
    case S_IFIFO:
        return 'p';
    default:
        return 0;
    }
}

static bool proto_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (isspace((unsigned char)*s) || !isprint((unsigned char)*s))
            return false;
    return true;
}

static bool is_child(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    const char *rest;

    if (n == 0)
        rest = path;
    else if (strncmp(path, dir, n) == 0 && path[n] == '/')
        rest = path + n + 1;
    else
        return false;
    return *rest && !strchr(rest, '/');
}

static int proto_dir(FILE *f, const struct tree *t, const struct tree_entry *d, char *why, size_t n,
                     unsigned depth)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct tree_entry *e = &t->e[i];
        const char *name = strrchr(e->path, '/');
        int ty = proto_type(e->mode);

        if (!*e->path || !is_child(d->path, e->path))
            continue;
        name = name ? name + 1 : e->path;
        if (!ty || e->hardlink || e->nxattrs || !proto_name_ok(name) ||
            (e->mode & S_ISVTX && !S_ISDIR(e->mode)))
            return why_fail(why, n, -EOPNOTSUPP,
                            "/%s cannot be made by mkfs.xfs (a name with blanks, an xattr, a "
                            "hard link or a socket); use --fs ext4",
                            e->path);
        fprintf(f, "%*s%s %c%c%c%03o %u %u", (int)depth, "", name, ty,
                e->mode & S_ISUID ? 'u' : '-', e->mode & S_ISGID ? 'g' : '-', e->mode & 0777,
                e->uid, e->gid);
        if (S_ISREG(e->mode))
            fprintf(f, " %s/%s\n", t->dir, e->path);
        else if (S_ISLNK(e->mode)) {
            char target[PATH_MAX];
            ssize_t len = readlinkat(t->dfd, e->path, target, sizeof target - 1);
            if (len < 0)
                return -errno;
            target[len] = 0;
            if (!proto_name_ok(target))
                return why_fail(why, n, -EOPNOTSUPP,
                                "/%s: a symlink target with blanks; use --fs ext4", e->path);
            fprintf(f, " %s\n", target);
        } else if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
            fprintf(f, " %u %u\n", major(e->rdev), minor(e->rdev));
        else
            fputc('\n', f);
        if (S_ISDIR(e->mode)) {
            int r = proto_dir(f, t, e, why, n, depth + 1);
            if (r < 0)
                return r;
            fprintf(f, "%*s$\n", (int)depth + 1, "");
        }
    }
    return 0;
}

static int mkfs_xfs(const char *image, const char *label, const char *uuid, const struct tree *t,
                    char *why, size_t n)
{
    const struct tree_entry *root = tree_find(t, "");
    char proto[PATH_MAX], uuidopt[64];
    const char *args[16] = {"-q", "-f"};
    size_t k = 2;
    _cleanup_fclose_ FILE *f = NULL;
    int r;

    if (!root)
        return why_fail(why, n, -EINVAL, "no root dir staged");
    snprintf(proto, sizeof proto, "%s/.proto", t->dir);
    f = fopen(proto, "we");
    if (!f)
        return why_fail(why, n, -errno, "cannot write %s: %s", proto, strerror(errno));
    fprintf(f, "/dev/null\n0 0\nd--%03o %u %u\n", root->mode & 0777, root->uid, root->gid);
    r = proto_dir(f, t, root, why, n, 1);
    fputs("$\n", f);
    if (r < 0)
        return r;
    if (fflush(f) != 0)
        return why_fail(why, n, -EIO, "cannot write %s", proto);
    if (label)
        args[k++] = "-L", args[k++] = label;
    if (uuid) {
        snprintf(uuidopt, sizeof uuidopt, "uuid=%s", uuid);
        args[k++] = "-m", args[k++] = uuidopt;
    }
    args[k++] = "-p";
    args[k++] = proto;
    args[k++] = image;
    args[k] = NULL;
    r = run_tool("mkfs.xfs", args, why, n);
    unlink(proto);
    return r;
}

int mkfs_from_tree(const char *image, enum inst_fs fs, const char *label, const char *uuid,
                   const struct tree *t, char *why, size_t n)
{
    return fs == FS_XFS ? mkfs_xfs(image, label, uuid, t, why, n)
                        : mkfs_ext4(image, label, uuid, t, why, n);
}
