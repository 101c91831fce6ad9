/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Statistics of repeated boots and the comparison against a baseline
 * (sharedroot-boottest(1), BASELINE: the definition of noise lives there and here).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct summary {
    size_t n;
    double median, min, max;
    double mad; /* median absolute deviation from the median */
};

/* Summarize n values (not changed; n may be 0: then everything is 0). -ENOMEM. */
int summarize(const double *v, size_t n, struct summary *out);

struct verdict {
    double delta;   /* current median - baseline median */
    double allowed; /* how much slower it may be */
    double ratio;   /* current median / baseline median (0 when the baseline is 0) */
    bool regressed;
};

/* A metric regressed when its median grew by more than
 *   max(threshold * baseline median, min_delta) + baseline MAD + current MAD
 * : the relative threshold (0.10 for 10%), never below min_delta ms (a 1 ms stage that takes
 * 2 ms is not a regression), widened by the noise both runs show. */
void compare_medians(const struct summary *base, const struct summary *cur, double threshold,
                     double min_delta, struct verdict *out);
