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

/* Append an entry to a report (path copied). */
int rc_report_add(struct rc_report *rep, const char *path, enum rc_outcome o,
                  const struct rc_version *u, const struct rc_version *l,
                  const struct rc_version *b, bool base_known, struct rc_entry **out);

/* Set rep->error and rep->error_text ("WHAT: strerror"); returns err. */
int rc_report_fail(struct rc_report *rep, int err, const char *what);
