// SPDX-License-Identifier: GPL-2.0-or-later
/* The public face of recording a base: fingerprints and snapshots (see store.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "fsio.h"
#include "reconcile.h"
#include "store.h"
#include "util.h"
#include "walk.h"
#include "why.h"

#define RECORD_MAX_DEPTH 4096u

int rc_fingerprint(const char *lower, char out[RC_HASH_HEX])
{
    _cleanup_close_ int fd = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    return rc_fingerprint_fd(fd, RECORD_MAX_DEPTH, NULL, out, NULL);
}

void rc_fp_evidence_text(const struct rc_fp_info *fp, char *buf, size_t n)
{
    const char *why = fp->image_fs ? "a read-only image" : "settled file times";
    double kib = (double)fp->file_bytes / 1024;
    if (fp->evidence == RC_FP_STAT)
        snprintf(buf, n, "stat walk only");
    else if (fp->evidence == RC_FP_SEALED)
        snprintf(buf, n, "stat walk and the UUID sharedroot-mkbase derived from the content");
    else if (fp->evidence == RC_FP_SEALED_UNTOUCHED)
        snprintf(buf, n,
                 "the UUID of an image sharedroot-mkbase sealed, not written since: no walk");
    else if (fp->evidence == RC_FP_CONTENT)
        snprintf(buf, n, "stat walk and the content of %zu files, %.0f KiB: %s", fp->files, kib,
                 why);
    else
        snprintf(buf, n,
                 "stat walk and the filesystem's UUID%s: %s, %.0f MiB of files, too many "
                 "to hash at boot",
                 fp->fs_id[0] ? "" : " (none found)", why, kib / 1024);
}

#define why(res, err, ...) why_fail((res)->why, sizeof(res)->why, err, __VA_ARGS__)

int rc_record(const struct rc_overlay *ov, struct rc_record_result *res)
{
    *res = (struct rc_record_result){0};
    _cleanup_close_ int fd = open(ov->lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return why(res, -errno, "the lower dir %s: %s", ov->lower, strerror(errno));
    _cleanup_free_ char *msg = NULL;
    int sfd = rc_open_typed(ov->store, ov->root, true, 0700, &msg);
    if (sfd < 0)
        return why(res, sfd, "the store: %s", msg ? msg : strerror(-sfd));
    /* Writing a record into the base, or the base into itself, is never meant. */
    int r = rc_dir_within(sfd, fd);
    if (r == 0)
        r = rc_dir_within(fd, sfd);
    if (r != 0) {
        close(sfd);
        return why(res, r > 0 ? -EINVAL : r, "the store %s and the lower dir %s %s", ov->store,
                   ov->lower, r > 0 ? "are one inside the other: refused" : "cannot be compared");
    }
    struct rc_store *s = NULL;
    if ((r = rc_store_open_fd(sfd, true, &s)) < 0)
        return why(res, r, "the store %s: %s", ov->store, strerror(-r));
    r = rc_record_into(s, fd, ov, res);
    rc_store_free(s);
    return r;
}

int rc_record_into(struct rc_store *s, int lowerfd, const struct rc_overlay *ov,
                   struct rc_record_result *res)
{
    _cleanup_free_ char *deep = NULL;
    int r = rc_store_record(s, lowerfd, RECORD_MAX_DEPTH, res, &deep);
    _cleanup_free_ char *t = r == -ENAMETOOLONG && deep ? rc_too_deep_text(deep, RECORD_MAX_DEPTH)
                                                        : rc_store_bad_object_text(s);
    return r < 0
               ? why(res, r, "recording %s into %s: %s", ov->lower, ov->store, t ? t : strerror(-r))
               : 0;
}
