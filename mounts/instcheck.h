/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The check of an instance filesystem before it is mounted read-write: first a look through a
 * read-only mount (no journal replay) that refuses a foreign or unfit filesystem untouched,
 * then fsck -p. Both run in one child process, so that the boot can go on while they do: the
 * init starts the check of sharedroot.instance= in the root stage, as soon as the device
 * exists, and the instance stage collects the verdict. Nothing here logs: the caller reports
 * the outcome, with the context it has.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* How much is looked at, READ-ONLY, before fsck and the read-write mount (either of which may
 * write): */
enum instance_inspect {
    INSPECT_NONE,  /* a /tmp partition */
    INSPECT_CLAIM, /* instance storage: ours or empty, else refused untouched */
    INSPECT_UPPER, /* the same, and it must be able to hold overlay upper dirs */
};

/* What the read-only look found. */
enum instcheck_look {
    /* a check started without a type stopped before the look: the type could not be probed
     * (look_err), or the kernel has no driver for it yet (look_err ENODEV; its module is the
     * caller's to load). Nothing was mounted or written: the caller checks again its own way. */
    LOOK_NOT_TRIED,
    LOOK_SKIPPED,     /* INSPECT_NONE: nothing to look at */
    LOOK_FINE,        /* mounted read-only, inspected: ours or empty (and fit for uppers) */
    LOOK_UNMOUNTABLE, /* no read-only mount (look_err; damaged?): fsck and the mount decide */
    LOOK_REFUSED,     /* refused (look_err, why); nothing was written */
    LOOK_NO_TARGET,   /* the mount point could not be made (look_err) */
};

/* fsck was not asked for: passno <= 0, or the look refused the filesystem */
#define INSTCHECK_FSCK_NOT_RUN 1

struct instcheck {
    /* the filesystem, set by the caller before instcheck_start */
    char dev[256];
    char type[64];         /* "": probed by the check (libblkid) and filled by instcheck_finish */
    char target[PATH_MAX]; /* the read-only look's mount point (made 0700 when missing) */
    int passno;            /* fsck only when > 0 */
    enum instance_inspect inspect;
    char fsck_dirs[256]; /* where the checker is looked for: FSCK_SEARCH_DIRS (tests: theirs) */

    /* the outcome, set by instcheck_finish */
    char prog[256]; /* the checker for the type (fsck_find_in), "" when none (find_err) */
    int find_err;
    enum instcheck_look look;
    int look_err; /* positive errno of LOOK_UNMOUNTABLE, LOOK_REFUSED, LOOK_NO_TARGET */
    /* fsck: 0 clean or repaired, INSTCHECK_FSCK_NOT_RUN, -ENOENT no checker for the type,
     * -EUCLEAN errors left for a human or stopped at the bound (why), another -errno when it
     * could not run (-EIO: why) */
    int fsck;
    char why[2048];

    /* while it runs */
    pid_t pid; /* 0 when no check runs */
    int fd;    /* the look's report from the child, -1 when none */
};

/* Set c up for dev (type NULL or "" to have the check probe it; target, passno, inspect as
 * above); nothing runs yet. */
void instcheck_init(struct instcheck *c, const char *dev, const char *type, const char *target,
                    int passno, enum instance_inspect inspect);

/* Start the check in a child process. 0, or -errno when the child cannot be made. */
int instcheck_start(struct instcheck *c);

/* Whether a check was started and not yet finished. */
bool instcheck_running(const struct instcheck *c);

/* Wait for the check started by instcheck_start, at most timeout_s for the look and then as
 * long again for fsck, and fill the outcome. 0 when the outcome is filled (which may say the
 * filesystem is refused); -errno with why set when the check itself did not complete (stopped
 * at the bound, or the child ended without a report); -ECHILD when none was started. */
int instcheck_finish(struct instcheck *c, int timeout_s);
