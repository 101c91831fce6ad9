/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reports of a run (sharedroot-boottest(1), OUTPUT): report.json (every boot; the
 * baseline of the next run), junit.xml (one test case per boot and per regression),
 * summary.md (medians, min-max, per-stage times, failed boots with their console tails) and
 * plot.png (when gnuplot is installed).
 */
#pragma once

#include <stdio.h>

#include "boottest.h"

void report_json(FILE *f, const struct run *run);
void report_junit(FILE *f, const struct run *run);
void report_markdown(FILE *f, const struct run *run);

/* text as XML character data or attribute value: & < > " ' escaped, bytes that are not
 * valid UTF-8 as U+FFFD, control characters (which XML 1.0 cannot hold) as U+FFFD too (the
 * report's own line ends are written outside of it). */
void xml_text(FILE *f, const char *s);
/* text in a Markdown table cell: | escaped, controls and invalid UTF-8 replaced. */
void md_cell(FILE *f, const char *s);
/* The length of the longest run of backticks in s (a code fence must be longer). */
size_t md_longest_backticks(const char *s);

/* Write every report into run->opt.output. The plot is skipped (with a note in note) when
 * gnuplot is not there. 0 or -errno (printed). */
int reports_write(const struct run *run, char *note, size_t notesz);
