/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The settled mark (store/settled): a boot whose classification found nothing to apply
 * writes down what it saw, so that the next boot with the same base and the same upper
 * reuses those outcomes instead of classifying again (the unchanged-base fast path):
 *
 *   sharedroot-reconcile-settled 1
 *   base FINGERPRINT          the base as recorded (rc_record's fingerprint)
 *   upper FINGERPRINT         a stat walk of the upper (paths, types, modes, owners, sizes,
 *                             inode numbers, mtimes, ctimes: any change of content, metadata
 *                             or xattrs moves a ctime)
 *   options DIGEST            policy, ignore list and limits the outcomes were found under
 *   counts N0 N1 ... N10 IGN  the outcome counts (rc_outcome order) and the ignored entries
 *
 * It is on the instance disk, so it is parsed as untrusted input, and it is only ever used
 * to skip work: a boot that trusts it applies nothing (a settled overlay had nothing to
 * apply), so a forged or stale mark can at worst hide the guest's own overrides from the
 * console, never cause a write. Any doubt (unparsable, another base, another upper, other
 * options, an interrupted apply, a base recorded by this boot) means a full classification.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "reconcile.h"

#define RC_SETTLED_FILE "settled"
#define RC_SETTLED_MAX 1024 /* bytes: a mark larger than this is not one */

/* Test hook step numbers of the mark (rc_options.step_hook; the apply's steps count from 1) */
#define RC_STEP_SETTLED_UNMARK 1001 /* before removing the mark, ahead of an apply */
#define RC_STEP_SETTLED_MARK 1002   /* before writing a new mark */
#define RC_STEP_SETTLED_MARKED 1003 /* after writing it */

struct rc_settled {
    char base[RC_HASH_HEX], upper[RC_HASH_HEX], options[RC_HASH_HEX];
    size_t counts[RC_OUTCOME_COUNT];
    size_t ignored;
};

/* Parse a mark: -EBADMSG on anything but exactly the format above. */
int rc_settled_parse(const char *text, size_t len, struct rc_settled *out);
/* Format a mark (NUL-terminated); -ENOSPC when it does not fit in n. */
int rc_settled_format(const struct rc_settled *s, char *buf, size_t n);

/* The fingerprint of the upper dir upperfd (a stat walk, no file read). */
int rc_settled_upper_fp(int upperfd, char out[RC_HASH_HEX]);
/* The digest of what the outcomes depend on besides the trees: policy, options. */
int rc_settled_options(enum rc_policy policy, const struct rc_options *opts, char out[RC_HASH_HEX]);

/* The fast path of rc_reconcile, for an apply policy whose record found the base unchanged
 * (rec->skipped): 1 and *out (a report with the mark's counts, reused = true) when the mark
 * matches, 0 when a full classification is needed, negative errno only for out-of-memory. */
int rc_settled_try(const struct rc_overlay *ov, enum rc_policy policy,
                   const struct rc_options *opts, const struct rc_record_result *rec,
                   struct rc_report **out);

/* The same with the store and upper dirs already opened below the trusted root and kept apart
 * (rc_sources_open); -1 for either: 0. */
int rc_settled_try_at(int storefd, int upperfd, const struct rc_overlay *ov, enum rc_policy policy,
                      const struct rc_options *opts, const struct rc_record_result *rec,
                      struct rc_report **out);

/* After a classification (and apply) of an apply policy: write the mark when the report is
 * settled (no error, nothing that the policy acts on), else remove a mark that is there. */
void rc_settled_update(const struct rc_overlay *ov, enum rc_policy policy,
                       const struct rc_options *opts, const struct rc_report *rep);

/* Before an apply writes to the upper: remove the mark from the store dir storefd (a mark
 * must never outlive the state it describes). 0, or a negative errno when it is there and
 * cannot be removed. */
int rc_settled_unmark_at(int storefd, const struct rc_options *opts);
