// SPDX-License-Identifier: GPL-2.0-or-later
/* sharedroot-instance create: a new instance image that the first boot finds claimed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "fsio.h"
#include "hostname.h"
#include "instfiles.h"
#include "log.h"
#include "mkfs.h"
#include "newimg.h"
#include "swap.h"
#include "util.h"

#define MAX_FILES 256
#define KEYS_MAX (1024 * 1024)

/* sshd reads this drop-in (Debian's sshd_config includes sshd_config.d/ *.conf first, and the
 * first value of a keyword wins), so the keys can live in the instance's own /etc. */
static const char sshd_dropin[] =
    "# Written by sharedroot-instance create --authorized-keys: this instance's keys live in\n"
    "# its own /etc, since the users' home directories are on the shared, read-only base.\n"
    "AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2 /etc/ssh/authorized_keys/%u\n";
#define SSHD_DROPIN "/etc/ssh/sshd_config.d/sharedroot-authorized-keys.conf"

struct create_opts {
    const char *image, *label, *uuid, *hostname, *keys, *user, *layout, *part, *overlays;
    enum inst_fs fs;
    unsigned long long size;
    struct inst_file files[MAX_FILES];
    size_t nfiles;
};

static int usage(int status)
{
    fprintf(status ? stderr : stdout,
            "Usage: sharedroot-instance create IMAGE --size SIZE [--label L] [--uuid U]\n"
            "       [--fs ext4|xfs] [--hostname H] [--authorized-keys FILE [--user NAME]]\n"
            "       [--file SRC:/etc/PATH[:MODE[:UID:GID]]]... [--overlays LIST]\n"
            "       [--layout FILE [--part DIR]]\n"
            "Make a new instance image that the first boot finds already claimed.\n");
    return status;
}

static int read_keys(const char *path, struct rc_buf *out)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    int r;

    if (fd < 0)
        return log_error_errno(errno, "--authorized-keys %s: cannot open it: %m", path);
    r = rc_read_all(fd, KEYS_MAX, out);
    if (r < 0)
        return log_error_errno(r, "--authorized-keys %s: cannot read it: %m%s", path,
                               r == -EFBIG ? " (more than 1 MiB)" : "");
    if (out->len == 0 || memchr(out->data, 0, out->len))
        return log_error_errno(EINVAL,
                               "--authorized-keys %s: %s; give an OpenSSH authorized_keys file",
                               path, out->len ? "it holds NUL bytes" : "it is empty");
    if (out->data[out->len - 1] != '\n' && (r = rc_buf_adds(out, "\n")) < 0)
        return log_error_errno(r, "out of memory");
    return 0;
}

/* The files the options ask for, as --file entries. */
static int add_named_files(struct create_opts *o, struct rc_buf *keys)
{
    static char hostline[HOSTNAME_MAX + 2];
    char why[256];

    if (o->hostname) {
        if (hostname_check(o->hostname, why, sizeof why) < 0)
            return log_error_errno(EINVAL,
                                   "--hostname %s is not a valid host name (%s): letters, "
                                   "digits and '-' in dot-separated labels",
                                   o->hostname, why);
        snprintf(hostline, sizeof hostline, "%s\n", o->hostname);
        if (o->nfiles + 3 > MAX_FILES)
            return log_error_errno(E2BIG, "too many files (at most %d)", MAX_FILES);
        o->files[o->nfiles++] = (struct inst_file){
            .data = hostline, .len = strlen(hostline), .dest = "/etc/hostname", .mode = 0644};
    }
    if (o->keys) {
        int r = read_keys(o->keys, keys);
        struct inst_file *f;

        if (r < 0)
            return r;
        if (o->nfiles + 2 > MAX_FILES)
            return log_error_errno(E2BIG, "too many files (at most %d)", MAX_FILES);
        f = &o->files[o->nfiles++];
        *f = (struct inst_file){.data = keys->data, .len = keys->len, .mode = 0644};
        snprintf(f->dest, sizeof f->dest, "/etc/ssh/authorized_keys/%s", o->user);
        o->files[o->nfiles++] = (struct inst_file){
            .data = sshd_dropin, .len = sizeof sshd_dropin - 1, .dest = SSHD_DROPIN, .mode = 0644};
    }
    return 0;
}

static int parse(int argc, char **argv, struct create_opts *o)
{
    static const struct option longopts[] = {
        {"size", required_argument, NULL, 's'},
        {"label", required_argument, NULL, 'L'},
        {"uuid", required_argument, NULL, 'U'},
        {"fs", required_argument, NULL, 't'},
        {"hostname", required_argument, NULL, 'H'},
        {"authorized-keys", required_argument, NULL, 'k'},
        {"user", required_argument, NULL, 'u'},
        {"file", required_argument, NULL, 'f'},
        {"layout", required_argument, NULL, 'l'},
        {"part", required_argument, NULL, 'p'},
        {"overlays", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char why[512];
    int c;

    o->user = "root";
    while ((c = getopt_long(argc, argv, "s:L:U:t:H:k:u:f:l:p:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (swap_parse_size(optarg, &o->size) < 0)
                return log_error("--size %s: give a size such as 256M or 2G", optarg), 2;
            break;
        case 'L':
            o->label = optarg;
            break;
        case 'U':
            o->uuid = optarg;
            break;
        case 't':
            if (mkfs_parse_fs(optarg, &o->fs) < 0)
                return log_error("--fs %s: use ext4 or xfs", optarg), 2;
            break;
        case 'H':
            o->hostname = optarg;
            break;
        case 'k':
            o->keys = optarg;
            break;
        case 'u':
            o->user = optarg;
            break;
        case 'l':
            o->layout = optarg;
            break;
        case 'p':
            o->part = optarg;
            break;
        case 'o':
            o->overlays = optarg;
            break;
        case 'f':
            if (o->nfiles >= MAX_FILES - 3)
                return log_error("too many --file options (at most %d)", MAX_FILES - 3), 2;
            if (inst_file_parse(optarg, &o->files[o->nfiles], why, sizeof why) < 0)
                return log_error("--file %s", why), 2;
            o->nfiles++;
            break;
        case 'h':
            return usage(0), -1;
        default:
            return usage(2);
        }
    }
    if (optind + 1 != argc)
        return log_error("create: give exactly one IMAGE (see --help)"), 2;
    o->image = argv[optind];
    if (!o->size)
        return log_error("create %s: --size is required (e.g. --size 256M)", o->image), 2;
    if (!inst_user_name_ok(o->user))
        return log_error("--user %s is not a user name", o->user), 2;
    if (o->layout && o->overlays)
        return log_error("--layout and --overlays: use one (the layout names the overlays)"), 2;
    if (o->part && !o->layout)
        return log_error("--part needs --layout"), 2;
    return 0;
}

static int build(const struct create_opts *o, const struct inst_spec *s, struct newimg *ni)
{
    struct tree t;
    char why[1024] = "";
    int r = tree_init(&t);

    if (r < 0)
        return log_error_errno(r, "create %s: cannot make a staging dir in $TMPDIR: %m", o->image);
    r = inst_stage_layout(&t, s, why, sizeof why);
    for (size_t i = 0; r == 0 && i < o->nfiles; i++)
        r = inst_stage_file(&t, s, &o->files[i], why, sizeof why);
    if (r < 0)
        r = log_error_errno(r, "create %s: %s", o->image, why);
    else if ((r = mkfs_from_tree(ni->tmp, o->fs, o->label, o->uuid, &t, why, sizeof why)) < 0)
        r = log_error_errno(r, "create %s: %s%s", o->image, why,
                            r == -ENOSPC ? "; give a larger --size" : "");
    tree_done(&t);
    return r;
}

int cmd_create(int argc, char **argv)
{
    static struct create_opts o; /* large: the file list */
    struct inst_spec *s = calloc(1, sizeof *s);
    struct rc_buf keys = {0};
    struct newimg ni;
    char err[1024];
    int r;

    memset(&o, 0, sizeof o);
    if (!s)
        return log_error_errno(ENOMEM, "out of memory"), 1;
    r = parse(argc, argv, &o);
    if (r != 0) {
        free(s);
        return r < 0 ? 0 : r;
    }
    r = o.layout ? spec_from_layout(o.layout, o.part, s, err, sizeof err)
                 : spec_from_overlays(o.overlays, s, err, sizeof err);
    if (r < 0) {
        log_error_errno(r, "create %s: %s", o.image, err);
        free(s);
        return 2;
    }
    if (add_named_files(&o, &keys) < 0) {
        rc_buf_done(&keys);
        free(s);
        return 1;
    }
    r = newimg_begin(&ni, o.image, o.size, false);
    if (r < 0) {
        if (r == -EEXIST)
            log_error("create %s: it exists already; create never overwrites an image "
                      "(remove it, or choose another name)",
                      o.image);
        else
            log_error_errno(r, "create %s: cannot create a file next to it: %m", o.image);
    } else {
        r = build(&o, s, &ni);
        if (r == 0 && (r = newimg_commit(&ni, false)) < 0)
            log_error_errno(r, "create %s: cannot rename %s to it: %m%s", o.image, ni.tmp,
                            r == -EEXIST ? " (it appeared meanwhile; remove it and retry)" : "");
        if (r < 0)
            newimg_abort(&ni);
    }
    rc_buf_done(&keys);
    free(s);
    return r < 0 ? 1 : 0;
}
