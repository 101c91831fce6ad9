/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Applying a policy, crash-safely. The plan is written first, atomically, to the store's
 * journal:
 *
 *   sharedroot-reconcile-journal 1
 *   run <run id>
 *   <n> remove|replace <hash of the host's version> <hash of the new content|-> <path>
 *
 * New contents are already objects in the store by then. Each action is idempotent and
 * checks the upper before touching it: done when the path already holds the new content (or
 * is gone, for a remove); refused when it holds neither the planned old nor new version.
 * Each action: back up the host's version to backups/<run>/<path> (hard link, or a copy),
 * then write .sharedroot-reconcile.tmp in the same dir, fsync, rename over the path, fsync
 * the dir (or unlink and fsync the dir), then append "done <n>" to the journal. A run that
 * finds a journal finishes it first (rc_resume); the journal goes when all actions are done.
 */
#pragma once

#include "reconcile.h"

#define RC_TMP_NAME ".sharedroot-reconcile.tmp"

/* What policy does to an entry (RC_ACT_NONE for anything it leaves alone, and for an ignored
 * entry). */
enum rc_action rc_policy_action(const struct rc_entry *e, enum rc_policy policy);

/* A new run id (the backups/ subdir of an apply or reset): UTC time, nanoseconds, pid. */
void rc_make_run_id(char run[64]);

/* One planned action of a journal. */
struct rc_journal_action {
    unsigned n;
    enum rc_action what;
    unsigned char old_hash[32], new_hash[32];
    char *path;
    bool done;
    struct rc_entry *entry; /* the report's entry; NULL when read back from a journal */
};

struct rc_journal {
    char run[64];
    struct rc_journal_action *a;
    size_t n, cap;
};

/* Parse len bytes of a journal (guest-writable data, resumed by PID 1 at boot): -EBADMSG on
 * a bad header, a malformed action line, an unsafe or empty path, a NUL byte. A torn last line
 * (no newline: the crash hit the append) is ignored. */
int rc_journal_parse(const char *text, size_t len, struct rc_journal *j);
void rc_journal_done(struct rc_journal *j);
