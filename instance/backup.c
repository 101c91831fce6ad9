// SPDX-License-Identifier: GPL-2.0-or-later
/* sharedroot-instance backup and restore: an instance's own state as a pax archive. */
#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "commands.h"
#include "ext4meta.h"
#include "image.h"
#include "instance.h"
#include "log.h"
#include "mkfs.h"
#include "newimg.h"
#include "pax.h"
#include "swap.h"
#include "util.h"
#include "why.h"

#define EXT4_MAGIC 0xEF53
#define XFS_MAGIC 0x58465342

/* The instance at DIR (the top of a mounted instance filesystem): ours and not in use. */
static int open_dir(const char *dir, struct backup_meta *m)
{
    _cleanup_close_ int fd = image_open_dir(dir, false, "back up");
    struct statfs sf;
    struct statvfs sv;

    if (fd < 0)
        return fd;
    if (fstatfs(fd, &sf) == 0)
        snprintf(m->fstype, sizeof m->fstype, "%s",
                 sf.f_type == EXT4_MAGIC  ? "ext4"
                 : sf.f_type == XFS_MAGIC ? "xfs"
                                          : "other");
    if (fstatvfs(fd, &sv) == 0)
        m->size = (uint64_t)sv.f_blocks * sv.f_frsize;
    return take_fd(&fd);
}

static int backup_usage(int status)
{
    fprintf(status ? stderr : stdout,
            "Usage: sharedroot-instance backup IMAGE|DIR -o FILE\n"
            "Write an instance's own state (upper dirs, reconcile store) to a pax archive.\n");
    return status;
}

struct backup_job {
    const char *src, *out;
    int rootfd;
    const struct backup_meta *m;
};

static int write_archive(struct newimg *ni, void *ud)
{
    const struct backup_job *j = ud;
    struct archive *a = archive_write_new();
    char why[1024] = "";
    int r;

    /* Names are raw bytes (a guest's file names need not be UTF-8): hdrcharset=BINARY. */
    if (!a || archive_write_set_format_pax(a) != ARCHIVE_OK ||
        archive_write_set_format_option(a, "pax", "hdrcharset", "BINARY") != ARCHIVE_OK ||
        archive_write_open_fd(a, ni->fd) != ARCHIVE_OK) {
        r = log_error_errno(EIO, "backup %s: cannot start the archive %s", j->src, ni->tmp);
    } else {
        r = backup_write(a, j->rootfd, j->m, why, sizeof why);
        if (archive_write_close(a) != ARCHIVE_OK && r == 0)
            r = why_fail(why, sizeof why, -EIO, "cannot finish the archive: %s",
                         archive_error_string(a));
        if (r < 0)
            log_error_errno(r, "backup %s: %s; %s was not written", j->src, why, j->out);
    }
    if (a)
        archive_write_free(a);
    return r;
}

int cmd_backup(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *src;
    struct image img = {.lock_fd = -1, .rootfd = -1};
    struct backup_meta m = {0};
    struct stat st;
    char cmd[PATH_MAX + 16];
    int c, rootfd = -1, r;

    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else
            return backup_usage(c == 'h' ? 0 : 2);
    }
    if (optind + 1 != argc || !out)
        return log_error("backup: give IMAGE or DIR and -o FILE (see --help)"), 2;
    src = argv[optind];
    if (stat(src, &st) < 0)
        return log_error_errno(errno, "backup %s: %m", src), 1;
    if (S_ISDIR(st.st_mode)) {
        rootfd = open_dir(src, &m);
        if (rootfd < 0)
            return 1;
    } else {
        if (image_open(&img, src, false) < 0 || image_mount(&img, false) < 0) {
            image_close(&img);
            return 1;
        }
        rootfd = img.rootfd;
        snprintf(m.fstype, sizeof m.fstype, "%s", img.fstype);
        m.size = (uint64_t)st.st_size;
        image_probe_ids(src, m.label, sizeof m.label, m.uuid, sizeof m.uuid);
    }
    snprintf(cmd, sizeof cmd, "backup %s", src);
    r = newimg_make(out, 0, false, cmd, write_archive,
                    &(struct backup_job){.src = src, .out = out, .rootfd = rootfd, .m = &m});
    if (r == 0)
        printf("%s: backup of %s written\n", out, src);
    if (S_ISDIR(st.st_mode))
        close(rootfd);
    image_close(&img);
    return r < 0 ? 1 : 0;
}

static int restore_usage(int status)
{
    fprintf(status ? stderr : stdout,
            "Usage: sharedroot-instance restore FILE IMAGE [--size SIZE] [--label L]\n"
            "Make the instance image IMAGE (ext4) from a backup archive.\n");
    return status;
}

/* An existing IMAGE is replaced only when it is an instance that nothing uses. */
static int check_target(const char *image)
{
    struct image img;
    char why[512];
    int r;

    if (access(image, F_OK) < 0)
        return errno == ENOENT ? 0 : log_error_errno(errno, "restore to %s: %m", image);
    r = image_open(&img, image, true);
    if (r < 0)
        return r;
    if (strcmp(img.fstype, "ext4") == 0)
        r = ext4meta_has_marker(image, why, sizeof why);
    else
        r = image_mount(&img, false);
    image_close(&img);
    if (r == -EMEDIUMTYPE && strcmp(img.fstype, "ext4") == 0)
        log_error("%s: %s; restore replaces only an instance image, so it was left untouched",
                  image, why);
    else if (r < 0 && strcmp(img.fstype, "ext4") == 0)
        log_error_errno(r, "%s: %s", image, why);
    return r < 0 ? r : 1;
}

struct restore_job {
    const char *file, *image, *label, *uuid;
    struct tree *t;
};

static int make_fs(struct newimg *ni, void *ud)
{
    const struct restore_job *j = ud;
    char why[1024] = "";
    int r = mkfs_from_tree(ni->tmp, FS_EXT4, j->label, j->uuid, j->t, why, sizeof why);

    if (r < 0)
        log_error_errno(r, "restore %s: %s%s; nothing was written to %s", j->file, why,
                        r == -ENOSPC ? " (give a larger --size)" : "", j->image);
    return r;
}

int cmd_restore(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"size", required_argument, NULL, 's'},
        {"label", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long long size = 0;
    const char *label = NULL, *file, *image;
    struct backup_meta m;
    struct archive *a;
    struct tree t;
    char why[1024] = "", cmd[PATH_MAX + 16];
    int c, r, exists;

    while ((c = getopt_long(argc, argv, "s:L:h", longopts, NULL)) != -1) {
        if (c == 's') {
            if (swap_parse_size(optarg, &size) < 0)
                return log_error("--size %s: give a size such as 256M or 2G", optarg), 2;
        } else if (c == 'L') {
            label = optarg;
        } else {
            return restore_usage(c == 'h' ? 0 : 2);
        }
    }
    if (optind + 2 != argc)
        return log_error("restore: give FILE and IMAGE (see --help)"), 2;
    file = argv[optind];
    image = argv[optind + 1];
    exists = check_target(image);
    if (exists < 0)
        return 1;
    if (tree_init(&t) < 0)
        return log_error_errno(errno, "restore: cannot make a staging dir in $TMPDIR: %m"), 1;
    a = archive_read_new();
    if (!a || archive_read_support_filter_all(a) != ARCHIVE_OK ||
        archive_read_support_format_tar(a) != ARCHIVE_OK) {
        r = log_error_errno(ENOMEM, "restore: cannot set up libarchive");
    } else if (archive_read_open_filename(a, file, 65536) != ARCHIVE_OK) {
        r = log_error_errno(EIO, "restore %s: cannot open it: %s; nothing was written to %s", file,
                            archive_error_string(a), image);
    } else if ((r = backup_read(a, &t, &m, why, sizeof why)) < 0) {
        log_error_errno(r, "restore %s: %s; nothing was written to %s", file, why, image);
    } else {
        if (strcmp(m.fstype, "ext4") != 0)
            log_warning("%s is a backup of a %s instance; it is restored as ext4", file, m.fstype);
        snprintf(cmd, sizeof cmd, "restore %s", file);
        r = newimg_make(image, size ? size : m.size, exists, cmd, make_fs,
                        &(struct restore_job){.file = file,
                                              .image = image,
                                              .label = label        ? label
                                                       : m.label[0] ? m.label
                                                                    : NULL,
                                              .uuid = m.uuid[0] ? m.uuid : NULL,
                                              .t = &t});
        if (r == 0)
            printf("%s: restored from %s\n", image, file);
    }
    if (a)
        archive_read_free(a);
    tree_done(&t);
    return r < 0 ? 1 : 0;
}
