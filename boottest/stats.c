// SPDX-License-Identifier: GPL-2.0-or-later
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_sorted(const double *v, size_t n)
{
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int summarize(const double *v, size_t n, struct summary *out)
{
    double *s;

    memset(out, 0, sizeof *out);
    if (n == 0)
        return 0;
    s = malloc(n * sizeof *s);
    if (!s)
        return -ENOMEM;
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    out->n = n;
    out->min = s[0];
    out->max = s[n - 1];
    out->median = median_sorted(s, n);
    for (size_t i = 0; i < n; i++)
        s[i] = fabs(s[i] - out->median);
    qsort(s, n, sizeof *s, cmp_double);
    out->mad = median_sorted(s, n);
    free(s);
    return 0;
}

void compare_medians(const struct summary *base, const struct summary *cur, double threshold,
                     double min_delta, struct verdict *out)
{
    double rel = threshold * base->median;

    out->delta = cur->median - base->median;
    out->allowed = (rel > min_delta ? rel : min_delta) + base->mad + cur->mad;
    out->ratio = base->median > 0 ? cur->median / base->median : 0;
    out->regressed = out->delta > out->allowed;
}
