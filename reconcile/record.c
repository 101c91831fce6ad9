// SPDX-License-Identifier: GPL-2.0-or-later
/* The public face of recording a base: fingerprints and snapshots (see store.h). */
#include <errno.h>
#include <fcntl.h>

#include "reconcile.h"
#include "store.h"
#include "util.h"

#define RECORD_MAX_DEPTH 4096u

int rc_fingerprint(const char *lower, char out[RC_HASH_HEX])
{
    _cleanup_close_ int fd = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    return rc_fingerprint_fd(fd, RECORD_MAX_DEPTH, out);
}

int rc_record(const char *lower, const char *store, struct rc_record_result *res)
{
    _cleanup_close_ int fd = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct rc_store *s = NULL;
    int r = rc_store_open(store, true, &s);
    if (r < 0)
        return r;
    r = rc_store_record(s, fd, RECORD_MAX_DEPTH, res);
    rc_store_free(s);
    return r;
}
