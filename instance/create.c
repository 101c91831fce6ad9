// SPDX-License-Identifier: GPL-2.0-or-later
/* sharedroot-instance create: a new instance image that the first boot finds claimed. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "instfiles.h"
#include "log.h"
#include "mkfs.h"
#include "newimg.h"
#include "swap.h"

struct create_opts {
    const char *image, *label, *uuid, *layout, *part, *overlays;
    enum inst_fs fs;
    unsigned long long size;
    struct inst_files files;
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

static int parse(int argc, char **argv, struct create_opts *o)
{
    static const struct option longopts[] = {
        {"size", required_argument, NULL, 's'},
        {"label", required_argument, NULL, 'L'},
        {"uuid", required_argument, NULL, 'U'},
        {"fs", required_argument, NULL, 't'},
        INST_FILES_LONGOPTS,
        {"layout", required_argument, NULL, 'l'},
        {"part", required_argument, NULL, 'p'},
        {"overlays", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    inst_files_init(&o->files);
    while ((c = inst_files_getopt(&o->files, argc, argv, "s:L:U:t:l:p:o:h" INST_FILES_SHORTOPTS,
                                  longopts)) != -1) {
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
        case 'l':
            o->layout = optarg;
            break;
        case 'p':
            o->part = optarg;
            break;
        case 'o':
            o->overlays = optarg;
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
    if (inst_files_check(&o->files) < 0)
        return 2;
    if (o->layout && o->overlays)
        return log_error("--layout and --overlays: use one (the layout names the overlays)"), 2;
    if (o->part && !o->layout)
        return log_error("--part needs --layout"), 2;
    return 0;
}

struct build {
    const struct create_opts *o;
    const struct inst_spec *s;
};

static int build(struct newimg *ni, void *ud)
{
    const struct create_opts *o = ((struct build *)ud)->o;
    const struct inst_spec *s = ((struct build *)ud)->s;
    struct tree t;
    char why[1024] = "";
    int r = tree_init(&t);

    if (r < 0)
        return log_error_errno(r, "create %s: cannot make a staging dir in $TMPDIR: %m", o->image);
    r = inst_stage_layout(&t, s, why, sizeof why);
    for (size_t i = 0; r == 0 && i < o->files.n; i++)
        r = inst_stage_file(&t, s, &o->files.f[i], why, sizeof why);
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
    char err[1024], cmd[PATH_MAX + 16];
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
    snprintf(cmd, sizeof cmd, "create %s", o.image);
    r = inst_files_load(&o.files);
    if (r == 0)
        r = newimg_make(o.image, o.size, false, cmd, build, &(struct build){&o, s});
    inst_files_done(&o.files);
    free(s);
    return r < 0 ? 1 : 0;
}
