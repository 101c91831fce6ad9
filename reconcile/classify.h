/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The outcome of one upper path from its three versions. rc_decide is the pure rule table;
 * RC_MERGED from it means "files on both sides changed: try the line merge", which
 * rc_classify turns into merged or conflict.
 */
#pragma once

#include "reconcile.h"

enum rc_outcome rc_decide(const struct rc_version *u, const struct rc_version *l,
                          const struct rc_version *b, bool base_known);

/* An empty report of ov (names copied); *out is set also on failure (free it). */
int rc_report_new(const struct rc_overlay *ov, struct rc_report **out);

/* Append an entry to a report (path copied). */
int rc_report_add(struct rc_report *rep, const char *path, enum rc_outcome o,
                  const struct rc_version *u, const struct rc_version *l,
                  const struct rc_version *b, bool base_known, struct rc_entry **out);

/* Set rep->error and rep->error_text ("WHAT: strerror"); returns err. The first failure
 * stays: it is the one to act on. */
int rc_report_fail(struct rc_report *rep, int err, const char *what);
/* The same with a message ("WHAT: MSG", or MSG alone for what NULL). */
int rc_report_fail_msg(struct rc_report *rep, int err, const char *what, const char *msg);
/* The same for a failed walk or apply: names a store object that did not match its name, or
 * a dir deeper than the walk's limit (too_deep), instead of a bare strerror. */
struct rc_store;
int rc_report_fail_walk(struct rc_report *rep, int err, const char *what,
                        const struct rc_store *store, const char *too_deep, unsigned max_depth);
