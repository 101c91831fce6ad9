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
 *
 * A reset inside an opaque dir (rc_reset) journals its steps the same way, each idempotent
 * and checked against the upper before it is done, with "-" for what has no hash:
 *
 *   <n> whiteout - - <path>                        a whiteout where the upper has nothing
 *   <n> opaque trusted|user|trusted,user - <path>  opaque marks on a dir, in those namespaces
 *   <n> unopaque - - <path>                        a dir's opaque marks dropped (all of them)
 *   <n> move - - <path>                            the path moved to backups/<run>/<path>
 *
 * Its steps depend on each other (the whiteouts must be there before the dir stops being
 * opaque), so a journal stops at the first reset step that fails.
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
#define RC_NS_TRUSTED 1u /* trusted.overlay.* */
#define RC_NS_USER 2u    /* user.overlay.* */

struct rc_journal_action {
    unsigned n;
    enum rc_action what;
    unsigned ns; /* RC_ACT_OPAQUE: the namespaces of the marks (RC_NS_*) */
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

/* Whether an action is a step of a reset. */
static inline bool rc_action_is_reset_step(enum rc_action a)
{
    return a >= RC_ACT_WHITEOUT && a <= RC_ACT_MOVE;
}

/* Add a reset step to a journal being planned (ns: for RC_ACT_OPAQUE). */
int rc_journal_add_step(struct rc_journal *j, enum rc_action what, unsigned ns, const char *path);

struct rc_sources;
/* Carry out one reset step on src's upper (reset.c): 0 when done (now, or by an earlier
 * attempt), -ESTALE when the upper holds what the plan did not expect there. */
int rc_reset_step(struct rc_sources *src, const char *run, const struct rc_journal_action *a);

/* Write j (run and actions planned) as the journal of src's store, the settled mark removed
 * first, and carry it out with opts' step hook, as an apply does; the journal goes when every
 * action is done. j's done flags say what was. */
int rc_journal_carry_out(struct rc_sources *src, struct rc_journal *j,
                         const struct rc_options *opts);

/* rc_resume, handing the journal it finished (run, actions, done flags) to *j when j is not
 * NULL (an empty one when there was none; rc_journal_done it). */
int rc_resume_journal(const struct rc_overlay *ov, const struct rc_options *opts,
                      struct rc_journal *j);
