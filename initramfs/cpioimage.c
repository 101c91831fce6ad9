/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cpioimage.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "leftovers.h"
#include "mkutil.h"

#define ZSTD_LEVEL "9"

int compression_from_string(const char *s)
{
    static const char *const names[] = {
        [COMPRESS_ZSTD] = "zstd", [COMPRESS_GZIP] = "gzip", [COMPRESS_NONE] = "none"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    return -EINVAL;
}

static int archive_fail(struct archive *a, const char *what)
{
    return mk_error(EIO, "cannot write %s to the archive: %s", what, archive_error_string(a));
}

static int setup_writer(struct archive *a, enum compression c)
{
    int r = archive_write_set_format_cpio_newc(a);

    if (r == ARCHIVE_OK && c == COMPRESS_ZSTD)
        r = archive_write_add_filter_zstd(a);
    /* Level 9, not libarchive's 3: 10% smaller for about 0.25 s of CPU on a 10 MB image, where
     * the sizes level off (11: 0.5% smaller for twice the time; 19: 27% for 40 times). The
     * kernel decompresses every level at the same speed. docs/performance.md, issue 12. */
    if (r == ARCHIVE_OK && c == COMPRESS_ZSTD)
        r = archive_write_set_filter_option(a, "zstd", "compression-level", ZSTD_LEVEL);
    if (r == ARCHIVE_OK && c == COMPRESS_GZIP) {
        r = archive_write_add_filter_gzip(a);
        /* Without this gzip stores the current time in its header. */
        if (r == ARCHIVE_OK)
            r = archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
    }
    /* No padding to a 10 KiB block after the trailer. */
    if (r == ARCHIVE_OK)
        r = archive_write_set_bytes_in_last_block(a, 1);
    if (r != ARCHIVE_OK)
        return mk_error(EINVAL, "cannot set up the cpio writer: %s", archive_error_string(a));
    return 0;
}

static int copy_data(struct archive *a, int fd, int64_t size, const char *src)
{
    char buf[65536];
    int64_t done = 0;

    for (;;) {
        ssize_t k = read(fd, buf, sizeof(buf));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return mk_error(errno, "cannot read %s: %m", src);
        if (k == 0)
            break;
        if (done + k > size)
            break;
        if (archive_write_data(a, buf, (size_t)k) != k)
            return archive_fail(a, src);
        done += k;
    }
    if (done != size)
        return mk_error(EIO, "%s changed size while it was copied; build again", src);
    return 0;
}

static void fill_entry(struct archive_entry *ae, const struct plan_entry *e, int64_t ino,
                       int64_t mtime)
{
    static const mode_t types[] = {[PLAN_DIR] = AE_IFDIR,
                                   [PLAN_FILE] = AE_IFREG,
                                   [PLAN_SYMLINK] = AE_IFLNK,
                                   [PLAN_CHAR] = AE_IFCHR};

    archive_entry_set_pathname(ae, e->path + 1);
    archive_entry_set_filetype(ae, types[e->type]);
    archive_entry_set_perm(ae, e->mode & 07777);
    archive_entry_set_uid(ae, 0);
    archive_entry_set_gid(ae, 0);
    archive_entry_set_mtime(ae, mtime, 0);
    archive_entry_set_ino64(ae, ino);
    archive_entry_set_nlink(ae, e->type == PLAN_DIR ? 2 : 1);
    archive_entry_set_size(ae, 0);
    if (e->type == PLAN_SYMLINK)
        archive_entry_set_symlink(ae, e->target);
    if (e->type == PLAN_CHAR) {
        archive_entry_set_rdevmajor(ae, e->major);
        archive_entry_set_rdevminor(ae, e->minor);
    }
}

static int write_entry(struct archive *a, const struct plan_entry *e, int64_t ino, int64_t mtime)
{
    struct archive_entry *ae = archive_entry_new();
    _cleanup_close_ int fd = -1;
    struct stat st = {0};
    int r = 0;

    if (!ae)
        return -ENOMEM;
    fill_entry(ae, e, ino, mtime);
    if (e->type == PLAN_FILE && e->source) {
        fd = open(e->source, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
            r = mk_error(errno, "cannot read %s (for %s): %m", e->source, e->path);
            goto out;
        }
        archive_entry_set_size(ae, st.st_size);
    }
    if (archive_write_header(a, ae) != ARCHIVE_OK) {
        r = archive_fail(a, e->path);
        goto out;
    }
    if (fd >= 0)
        r = copy_data(a, fd, st.st_size, e->source);
out:
    archive_entry_free(ae);
    return r;
}

static int write_all_entries(const struct plan *p, int fd, enum compression c, int64_t mtime)
{
    struct archive *a = archive_write_new();
    int r;

    if (!a)
        return -ENOMEM;
    r = setup_writer(a, c);
    if (r >= 0 && archive_write_open_fd(a, fd) != ARCHIVE_OK)
        r = archive_fail(a, "the header");
    for (size_t i = 0; r >= 0 && i < p->n; i++)
        r = write_entry(a, &p->v[i], (int64_t)i + 1, mtime);
    if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
        r = archive_fail(a, "the trailer");
    archive_write_free(a);
    return r;
}

static const char *file_type(mode_t m)
{
    return S_ISBLK(m)    ? "a block device"
           : S_ISCHR(m)  ? "a character device"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISSOCK(m) ? "a socket"
           : S_ISDIR(m)  ? "a directory"
           : S_ISLNK(m)  ? "a symbolic link"
                         : "not a regular file";
}

int output_check_replaceable(const char *path, const char *option)
{
    char target[PATH_MAX];
    struct stat st;
    ssize_t k;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : mk_error(errno, "%s %s: %m", option, path);
    if (S_ISREG(st.st_mode))
        return 0;
    if (S_ISLNK(st.st_mode)) {
        k = readlink(path, target, sizeof(target) - 1);
        target[k > 0 ? k : 0] = '\0';
        return mk_error(EEXIST,
                        "%s %s is a symbolic link (to %s); writing would replace the link "
                        "itself, not the file: give the file's own path, or remove the link",
                        option, path, target);
    }
    return mk_error(EEXIST,
                    "%s %s is %s, not a regular file; refusing to replace it (a mistyped -o "
                    "would destroy it): give the path of an image file",
                    option, path, file_type(st.st_mode));
}

static int check_output_dir(const char *output, char **ret_dir)
{
    _cleanup_free_ char *dir = path_dirname(output);
    struct stat st;
    int r;

    if (!dir)
        return -ENOMEM;
    if (stat(dir, &st) < 0)
        return mk_error(errno, "output directory %s: %m; create it or choose another -o", dir);
    if (!S_ISDIR(st.st_mode))
        return mk_error(ENOTDIR, "output directory %s is not a directory; choose another -o", dir);
    r = output_check_replaceable(output, "-o");
    if (r < 0)
        return r;
    *ret_dir = dir;
    dir = NULL;
    return 0;
}

int image_write(const struct plan *p, const char *output, enum compression c, int64_t mtime)
{
    _cleanup_free_ char *dir = NULL, *tmp = NULL, *prefix = NULL;
    _cleanup_close_ int fd = -1;
    const char *base = strrchr(output, '/') ? strrchr(output, '/') + 1 : output;
    int r;

    r = check_output_dir(output, &dir);
    if (r < 0)
        return r;
    if (asprintf(&prefix, ".%s.", base) < 0 || asprintf(&tmp, "%s/%sXXXXXX", dir, prefix) < 0)
        return -ENOMEM;
    (void)leftovers_clean_stale(dir, prefix, false);
    fd = leftovers_mkstemp(tmp);
    if (fd < 0)
        return mk_error(fd, "cannot create a temporary file in %s: %m", dir);
    r = write_all_entries(p, fd, c, mtime);
    if (r >= 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
        r = mk_error(errno, "cannot write %s: %m", tmp);
    /* Checked again just before: the output may have changed during the build. */
    if (r >= 0)
        r = output_check_replaceable(output, "-o");
    if (r >= 0 && rename(tmp, output) < 0)
        r = mk_error(errno, "cannot rename %s to %s: %m", tmp, output);
    if (r < 0)
        (void)unlink(tmp);
    leftovers_set_file(NULL);
    return r;
}

int image_check_output(const char *output)
{
    _cleanup_free_ char *dir = NULL;

    return check_output_dir(output, &dir);
}
