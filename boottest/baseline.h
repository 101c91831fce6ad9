/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The baseline: a previous run's report.json, read with json-c, and the comparison of this
 * run's medians against it per configuration and metric (stats.h says when that is a
 * regression).
 */
#pragma once

#include <stddef.h>

#include "boottest.h"

#define BASELINE_MAX_BYTES (256u << 20)

struct base_metric {
    char name[METRIC_NAME_MAX];
    struct summary s;
};

struct base_config {
    char name[RUNFILE_NAME_MAX + 1];
    char headline[METRIC_NAME_MAX];
    struct base_metric m[BOOT_MAX_METRICS];
    size_t n;
};

struct base_run {
    struct base_config *c;
    size_t n;
};

/* Parse a report.json text. Unknown keys are ignored; a different "format" or a newer
 * "version" is an error. Errors in err, -EINVAL. */
int baseline_parse(const char *text, size_t len, struct base_run *out, char *err, size_t errsz);
int baseline_load(const char *path, struct base_run *out, char *err, size_t errsz);
void baseline_free(struct base_run *b);

/* Compare run's configurations with the baseline's of the same name, every metric both
 * have (wall only where it is a configuration's headline: the host's clock is the noisiest);
 * fills run->baseline (file names it). */
int baseline_compare(struct run *run, const struct base_run *base, const char *file);
void baseline_result_free(struct baseline_result *r);
