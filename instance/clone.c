// SPDX-License-Identifier: GPL-2.0-or-later
/* sharedroot-instance clone: a copy of an instance without the old machine's identity. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "copy.h"
#include "identity.h"
#include "image.h"
#include "instance.h"
#include "instfiles.h"
#include "log.h"
#include "newimg.h"
#include "run.h"

struct clone_opts {
    const char *src, *dst, *label, *layout, *part;
    struct inst_files files;
    const char *fstype;
};

static int usage(int status)
{
    fprintf(status ? stderr : stdout,
            "Usage: sharedroot-instance clone SRC DST [--hostname H] [--label L]\n"
            "       [--authorized-keys FILE [--user NAME]]\n"
            "       [--file SRC:/etc/PATH[:MODE[:UID:GID]]]... [--layout FILE [--part DIR]]\n"
            "Copy an instance image without the old machine's identity.\n");
    return status;
}

static int parse(int argc, char **argv, struct clone_opts *o)
{
    static const struct option longopts[] = {
        INST_FILES_LONGOPTS,
        {"label", required_argument, NULL, 'L'},
        {"layout", required_argument, NULL, 'l'},
        {"part", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    inst_files_init(&o->files);
    while ((c = inst_files_getopt(&o->files, argc, argv, "L:l:p:h" INST_FILES_SHORTOPTS,
                                  longopts)) != -1) {
        switch (c) {
        case 'L':
            o->label = optarg;
            break;
        case 'l':
            o->layout = optarg;
            break;
        case 'p':
            o->part = optarg;
            break;
        case 'h':
            return usage(0), -1;
        default:
            return usage(2);
        }
    }
    if (optind + 2 != argc)
        return log_error("clone: give SRC and DST (see --help)"), 2;
    o->src = argv[optind];
    o->dst = argv[optind + 1];
    if (o->part && !o->layout)
        return log_error("--part needs --layout"), 2;
    return inst_files_check(&o->files) < 0 ? 2 : 0;
}

/* A new UUID (the copy is another disk) and the label asked for, on the unmounted copy. */
static int new_identity_of_fs(const char *fstype, const char *path, const char *label, char *why,
                              size_t n)
{
    if (strcmp(fstype, "xfs") == 0) {
        const char *args[] = {"-U", "generate", label ? "-L" : NULL, label, path, NULL};
        if (!label)
            args[2] = path, args[3] = NULL;
        return run_tool("xfs_admin", args, why, n);
    }
    /* metadata_csum_seed makes the UUID change cheap on a filesystem with checksums (else
     * tune2fs rewrites every checksum, or asks for an fsck first). */
    const char *seed[] = {"-O", "metadata_csum_seed", "-U", "random", path, NULL};
    const char *plain[] = {"-U", "random", path, NULL};
    int r = run_tool("tune2fs", seed, why, n);
    if (r < 0)
        r = run_tool("tune2fs", plain, why, n);
    if (r == 0 && label) {
        const char *lab[] = {"-L", label, path, NULL};
        r = run_tool("tune2fs", lab, why, n);
    }
    return r;
}

static int edit_copy(const struct clone_opts *o, struct newimg *ni)
{
    const char *fstype = o->fstype;
    struct image copy = {.lock_fd = -1, .rootfd = -1};
    struct inst_spec *s = calloc(1, sizeof *s);
    struct identity_result res;
    char why[1024] = "";
    int r;

    if (!s)
        return log_error_errno(ENOMEM, "out of memory");
    copy.path = ni->tmp;
    snprintf(copy.fstype, sizeof copy.fstype, "%s", fstype);
    r = image_mount_scratch(&copy);
    if (r == -EMEDIUMTYPE)
        log_error("%s has no %s marker at its top, so it is not a sharedroot instance; it was "
                  "left untouched and nothing was copied (make instances with "
                  "sharedroot-instance create)",
                  o->src, INSTANCE_MARKER);
    if (r < 0)
        goto out;
    r = o->layout ? spec_from_layout(o->layout, o->part, s, why, sizeof why)
                  : spec_discover(copy.rootfd, s, why, sizeof why);
    if (r < 0) {
        r = log_error_errno(r, "clone %s: %s", o->src, why);
        goto out;
    }
    r = identity_reset(copy.rootfd, s, &res, why, sizeof why);
    /* then what the options ask for, as create puts it (--hostname among them) */
    for (size_t i = 0; r == 0 && i < o->files.n; i++)
        r = inst_write_file(copy.rootfd, s, &o->files.f[i], why, sizeof why);
    if (r < 0) {
        r = log_error_errno(r, "clone %s to %s: %s; nothing was written to %s", o->src, o->dst, why,
                            o->dst);
        goto out;
    }
    image_close(&copy);
    r = new_identity_of_fs(fstype, ni->tmp, o->label, why, sizeof why);
    if (r < 0) {
        r = log_error_errno(r, "clone %s: cannot give the copy a new UUID%s: %s", o->src,
                            o->label ? " and label" : "", why);
        goto out;
    }
    printf("%s: cloned from %s; identity reset: %u emptied, %u removed%s%s%s%s; %zu files "
           "written\n",
           o->dst, o->src, res.emptied, res.removed, o->files.hostname ? ", host name " : "",
           o->files.hostname ? o->files.hostname : "",
           res.swap_removed ? ", swap file removed" : "",
           res.kept_whiteouts ? ", deletions kept" : "", o->files.n);
out:
    image_close(&copy);
    free(s);
    return r;
}

struct clone_job {
    struct clone_opts *o;
    struct image *src;
};

static int fill_copy(struct newimg *ni, void *ud)
{
    struct clone_job *j = ud;
    int r = copy_sparse(j->src->lock_fd, ni->fd);

    if (r < 0)
        return log_error_errno(r, "clone %s: copying it to %s failed: %m%s", j->o->src, ni->tmp,
                               r == -ENOSPC ? " (no space left)" : "");
    return edit_copy(j->o, ni);
}

int cmd_clone(int argc, char **argv)
{
    static struct clone_opts o; /* large: the file list */
    struct image src;
    char cmd[PATH_MAX + 16];
    int r;

    memset(&o, 0, sizeof o);
    r = parse(argc, argv, &o);
    if (r != 0)
        return r < 0 ? 0 : r;
    r = inst_files_load(&o.files);
    if (r == 0 && (r = image_open(&src, o.src, false)) == 0) {
        o.fstype = src.fstype;
        snprintf(cmd, sizeof cmd, "clone %s", o.src);
        r = newimg_make(o.dst, 0, false, cmd, fill_copy, &(struct clone_job){&o, &src});
        image_close(&src);
    }
    inst_files_done(&o.files);
    return r < 0 ? 1 : 0;
}
