// SPDX-License-Identifier: GPL-2.0-or-later
#include "loopmount.h"

#include <errno.h>
#include <libmount.h>
#include <stdio.h>

#include "cleanup.h"
#include "why.h"

static void mnt_free_contextp(struct libmnt_context **cxt)
{
    mnt_free_context(*cxt);
}

int loop_mount(const char *path, const char *target, const char *fstype, const char *opts,
               char *dev, size_t devn, char *why, size_t n)
{
    _cleanup_(mnt_free_contextp) struct libmnt_context *cxt = mnt_new_context();
    char msg[512] = "";
    int r;

    if (!cxt)
        return why_fail(why, n, -ENOMEM, "out of memory");
    mnt_context_disable_mtab(cxt, 1);
    r = mnt_context_set_source(cxt, path);
    if (r >= 0)
        r = mnt_context_set_target(cxt, target);
    if (r >= 0)
        r = mnt_context_set_fstype(cxt, fstype);
    if (r >= 0)
        r = mnt_context_set_options(cxt, opts);
    if (r >= 0)
        r = mnt_context_mount(cxt);
    if (r != 0) {
        mnt_context_get_excode(cxt, r, msg, sizeof msg);
        return why_fail(why, n, -EIO, "%s", *msg ? msg : "mount failed");
    }
    if (dev && devn) {
        struct libmnt_fs *fs = mnt_context_get_fs(cxt);
        const char *src = fs ? mnt_fs_get_srcpath(fs) : NULL;
        snprintf(dev, devn, "%s", src ? src : "");
    }
    return 0;
}
