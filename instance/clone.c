// SPDX-License-Identifier: GPL-2.0-or-later
/* sharedroot-instance clone: a copy of an instance without the old machine's identity. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "copy.h"
#include "hostname.h"
#include "identity.h"
#include "image.h"
#include "instance.h"
#include "log.h"
#include "newimg.h"
#include "run.h"

struct clone_opts {
    const char *src, *dst, *hostname, *label, *layout, *part;
};

static int usage(int status)
{
    fprintf(status ? stderr : stdout,
            "Usage: sharedroot-instance clone SRC DST [--hostname H] [--label L]\n"
            "       [--layout FILE [--part DIR]]\n"
            "Copy an instance image without the old machine's identity.\n");
    return status;
}

static int parse(int argc, char **argv, struct clone_opts *o)
{
    static const struct option longopts[] = {
        {"hostname", required_argument, NULL, 'H'}, {"label", required_argument, NULL, 'L'},
        {"layout", required_argument, NULL, 'l'},   {"part", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    char why[256];
    int c;

    while ((c = getopt_long(argc, argv, "H:L:l:p:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'H':
            o->hostname = optarg;
            break;
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
    if (o->hostname && hostname_check(o->hostname, why, sizeof why) < 0)
        return log_error("--hostname %s is not a valid host name (%s)", o->hostname, why), 2;
    if (o->part && !o->layout)
        return log_error("--part needs --layout"), 2;
    return 0;
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

static int edit_copy(const struct clone_opts *o, struct newimg *ni, const char *fstype)
{
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
    r = identity_reset(copy.rootfd, s, o->hostname, &res, why, sizeof why);
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
    printf("%s: cloned from %s; identity reset: %u emptied, %u removed%s%s%s%s\n", o->dst, o->src,
           res.emptied, res.removed, res.hostname_set ? ", host name " : "",
           res.hostname_set ? o->hostname : "", res.swap_removed ? ", swap file removed" : "",
           res.kept_whiteouts ? ", deletions kept" : "");
out:
    image_close(&copy);
    free(s);
    return r;
}

int cmd_clone(int argc, char **argv)
{
    struct clone_opts o = {0};
    struct image src;
    struct newimg ni;
    int r = parse(argc, argv, &o);

    if (r != 0)
        return r < 0 ? 0 : r;
    r = image_open(&src, o.src, false);
    if (r < 0)
        return 1;
    r = newimg_begin(&ni, o.dst, 0, false);
    if (r < 0) {
        image_close(&src);
        if (r == -EEXIST)
            log_error("clone %s: %s exists already; clone never overwrites an image (remove "
                      "it, or choose another name)",
                      o.src, o.dst);
        else
            log_error_errno(r, "clone %s: cannot create a file next to %s: %m", o.src, o.dst);
        return 1;
    }
    r = copy_sparse(src.lock_fd, ni.fd);
    if (r < 0)
        log_error_errno(r, "clone %s: copying it to %s failed: %m%s", o.src, ni.tmp,
                        r == -ENOSPC ? " (no space left)" : "");
    else
        r = edit_copy(&o, &ni, src.fstype);
    if (r == 0 && (r = newimg_commit(&ni, false)) < 0)
        log_error_errno(r, "clone %s: cannot rename the copy to %s: %m", o.src, o.dst);
    if (r < 0)
        newimg_abort(&ni);
    image_close(&src);
    return r < 0 ? 1 : 0;
}
