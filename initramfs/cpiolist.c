// SPDX-License-Identifier: GPL-2.0-or-later
#include "cpiolist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cpioimage.h"
#include "io-util.h"
#include "mkutil.h"

/* gen_init_cpio reads the fields with sscanf("%s"): a name with white space cannot be said. */
static bool listable(const char *s)
{
    for (; s && *s; s++)
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            return false;
    return true;
}

static bool under(const char *path, const char *dir)
{
    size_t n = dir ? strlen(dir) : 0;
    return n && strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* A lasting copy of a file that is about to go away (or of nothing: an empty file). */
static int persist(const struct plan_entry *e, const char *files_dir, char **ret)
{
    _cleanup_free_ char *dst = path_join(files_dir, e->path + 1);
    _cleanup_free_ char *dir = NULL;
    int r;

    if (!dst || !(dir = path_dirname(dst)))
        return -ENOMEM;
    if ((r = mkdir_p(dir, 0755)) < 0)
        return mk_error(r, "cannot create %s: %m", dir);
    (void)unlink(dst);
    if (e->source) {
        r = copy_file(e->source, dst);
    } else {
        int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        r = fd < 0 ? -errno : 0;
        if (fd >= 0)
            close(fd);
    }
    if (r < 0)
        return mk_error(r, "cannot write %s: %m", dst);
    *ret = dst;
    dst = NULL;
    return 0;
}

static int write_line(FILE *f, const struct plan_entry *e, const char *files_dir,
                      const char *staging)
{
    _cleanup_free_ char *copy = NULL;
    const char *src = e->source;
    unsigned mode = (unsigned)(e->mode & 07777);
    int r;

    if (!listable(e->path) || (e->type == PLAN_SYMLINK && !listable(e->target)) ||
        (src && !listable(src)))
        return mk_error(EINVAL,
                        "%s: the kernel's cpio list format cannot hold names with white "
                        "space; rename it or use -o",
                        e->path);
    switch (e->type) {
    case PLAN_DIR:
        fprintf(f, "dir %s %04o 0 0\n", e->path, mode);
        break;
    case PLAN_SYMLINK:
        fprintf(f, "slink %s %s %04o 0 0\n", e->path, e->target, mode);
        break;
    case PLAN_CHAR:
        fprintf(f, "nod %s %04o 0 0 c %u %u\n", e->path, mode, e->major, e->minor);
        break;
    case PLAN_FILE:
        if (!src || under(src, staging)) {
            if ((r = persist(e, files_dir, &copy)) < 0)
                return r;
            src = copy;
        } else if (src[0] != '/') {
            return mk_error(EINVAL, "%s: source %s is not an absolute path", e->path, src);
        }
        fprintf(f, "file %s %s %04o 0 0\n", e->path, src, mode);
        break;
    }
    return 0;
}

int cpiolist_write(const struct plan *p, const char *list, const char *staging)
{
    _cleanup_free_ char *tmp = NULL, *files_dir = NULL, *abs = NULL;
    char cwd[4096];
    FILE *f;
    int fd, r = 0;

    /* the list names its files by absolute path: the kernel build runs elsewhere */
    if (list[0] != '/' && getcwd(cwd, sizeof cwd))
        abs = path_join(cwd, list);
    else
        abs = strdup(list);
    if (!abs || asprintf(&files_dir, "%s.files", abs) < 0 || asprintf(&tmp, "%s.tmp", abs) < 0)
        return -ENOMEM;
    if ((r = output_check_replaceable(abs, "--kernel-cpio-list")) < 0)
        return r;
    if ((r = rm_rf(files_dir)) < 0)
        return mk_error(r, "cannot remove the old %s: %m", files_dir);
    /* Never through a symlink or into a FIFO or device planted at the temporary name. */
    (void)unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    f = fd >= 0 ? fdopen(fd, "we") : NULL;
    if (!f) {
        r = mk_error(errno, "cannot create %s: %m", tmp);
        if (fd >= 0)
            close(fd);
        return r;
    }
    fprintf(f,
            "# sharedroot initramfs, for CONFIG_INITRAMFS_SOURCE (usr/gen_init_cpio).\n"
            "# Written by " PROGRAM_NAME " " SHAREDROOT_VERSION "; files only this list\n"
            "# needs are in %s\n",
            files_dir);
    for (size_t i = 0; r >= 0 && i < p->n; i++)
        r = write_line(f, &p->v[i], files_dir, staging);
    if (fflush(f) != 0 || ferror(f))
        r = r < 0 ? r : mk_error(errno, "cannot write %s: %m", tmp);
    fclose(f);
    if (r >= 0 && rename(tmp, abs) < 0)
        r = mk_error(errno, "cannot rename %s to %s: %m", tmp, abs);
    if (r < 0)
        (void)unlink(tmp);
    return r;
}
