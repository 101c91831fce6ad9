/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A qcow2 image (the format distributions ship cloud images in) checked as the raw disk it
 * holds. Its header and backing chain are checked first (qcow2_chain_check, basic/qcow2.h:
 * no protocol or json: name, no device, no external data file, raw or qcow2 backing files
 * only); then qemu-img (qemu-utils, found in PATH) converts its whole virtual disk into a
 * sparse raw file in $TMPDIR (/tmp), which image.c probes and mounts as any raw disk image.
 * Messages and the report name the qcow2 image, never the copy.
 *
 * The copy is removed on every path: by qcow2raw_done, and by a handler of SIGINT, SIGTERM
 * and SIGHUP installed while it exists (which also kills a running qemu-img). check-base
 * checks in its own process (its mount namespace is unshared, not forked), so the handler
 * runs where the copy was made. qemu-img dies with check-base (PR_SET_PDEATHSIG).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "finding.h"

/* qemu-img is killed when it has printed no progress for this long: a hung read (an NFS file
 * whose server is gone) must not hang check-base. Its progress moves every 1 or 2 % of the
 * disk: minutes without a step is not a slow disk. */
#define QCOW2RAW_STALL_MS (5 * 60 * 1000)

struct qcow2raw {
    char *tmp;       /* the raw copy's path; NULL when there is none */
    uint64_t size;   /* the virtual disk's size */
    uint64_t need;   /* the chain's files' allocated bytes: what the copy is taken to need */
    uint64_t copied; /* the copy's allocated bytes once made */
};

/* Whether a copy may be tried in a directory with avail bytes free. need (the allocated bytes
 * of the chain's files) is what the sparse copy usually takes: a compressed cloud image
 * takes more, an overlay that rewrites its base less, zeroes nothing. size (the virtual disk)
 * is the most it can take. -ENOSPC when avail < need (the copy would not fit); else 0, with
 * *tight set when avail < size (it may not fit: qemu-img's failure says so). Pure. */
int qcow2raw_space(uint64_t need, uint64_t size, uint64_t avail, bool *tight);

/* The qcow2 image at abs (an absolute path, qemu_path) as qemu-img --image-opts takes it:
 * driver=file, so its name is never read as a protocol, read-only and force-share (a running
 * guest's lock does not stop a read). Newly allocated; NULL when out of memory. Pure. */
char *qcow2raw_source_opts(const char *abs);

/* Run argv (qemu-img convert -p) to its end; killed when it prints nothing on its stdout (the
 * progress) for stall_ms. 0 when it exited 0, -ETIMEDOUT killed, -ENOSPC it ran out of room,
 * -EIO another failure, with its first line of stderr (printable) in err; -errno when it
 * could not be started. */
int qcow2raw_run(char **argv, int stall_ms, char *err, size_t size);

/* Make the raw copy of the qcow2 image at path; messages name path. On failure the reason is
 * logged and nothing is left in $TMPDIR. A note says the image was read through the copy. */
int qcow2raw_make(struct qcow2raw *q, const char *path, struct notes *notes);

/* Remove the copy (if any) and the signal handlers. */
void qcow2raw_done(struct qcow2raw *q);
