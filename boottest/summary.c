// SPDX-License-Identifier: GPL-2.0-or-later
/* What a run's boots add up to: per configuration and metric, the summary of the measured
 * (not warm-up) boots that succeeded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boottest.h"
#include "runner.h"

void boot_set_metric(struct boot *b, const char *name, double ms)
{
    for (size_t i = 0; i < b->n_metrics; i++)
        if (strcmp(b->metrics[i].name, name) == 0) {
            b->metrics[i].ms = ms;
            return;
        }
    if (b->n_metrics >= BOOT_MAX_METRICS)
        return;
    snprintf(b->metrics[b->n_metrics].name, METRIC_NAME_MAX, "%s", name);
    b->metrics[b->n_metrics++].ms = ms;
}

const struct metric *boot_metric(const struct boot *b, const char *name)
{
    for (size_t i = 0; i < b->n_metrics; i++)
        if (strcmp(b->metrics[i].name, name) == 0)
            return &b->metrics[i];
    return NULL;
}

void boot_free(struct boot *b)
{
    free(b->handoff_line);
    b->handoff_line = NULL;
    if (b->measured) {
        measure_values_free(b->measured);
        free(b->measured);
        b->measured = NULL;
    }
    for (size_t i = 0; i < TAIL_LINES; i++) {
        free(b->tail[i]);
        b->tail[i] = NULL;
    }
}

const char *hold_name(enum hold h)
{
    switch (h) {
    case HOLD_TOGETHER:
        return "together";
    case HOLD_STAGGERED:
        return "staggered";
    case HOLD_NONE:
        break;
    }
    return "none";
}

const char *boot_result_name(enum boot_result r)
{
    switch (r) {
    case BOOT_PENDING:
        return "pending";
    case BOOT_RUNNING:
        return "running";
    case BOOT_OK:
        return "ok";
    case BOOT_FAILED:
        return "failed";
    case BOOT_TIMEOUT:
        return "timeout";
    case BOOT_ERROR:
        return "error";
    case BOOT_INTERRUPTED:
        return "interrupted";
    case BOOT_SKIPPED:
        return "skipped";
    }
    return "?";
}

int metric_rank(const char *name)
{
    static const char *const order[] = {
        "wall", "kernel",   "time",      "handoff", "init",     "early",  "devices",
        "root", "instance", "reconcile", "overlay", "tmp-swap", "switch",
    };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (strcmp(order[i], name) == 0)
            return (int)i;
    return 100; /* unknown (newer handoff keys): after the known ones, in order of arrival */
}

/* the guest's clock at the success point when there is one, else the host's */
const char *config_headline(const struct config_run *cr)
{
    if (cr->cfg.time.text)
        return "time";
    if (cr->cfg.handoff)
        return "handoff";
    return "wall";
}

static int add_name(struct config_run *cr, const char *name)
{
    size_t at = cr->n_stats;

    for (size_t i = 0; i < cr->n_stats; i++)
        if (strcmp(cr->stats[i].name, name) == 0)
            return 0;
    if (cr->n_stats >= BOOT_MAX_METRICS)
        return 0;
    /* keep the report's order: insert before the first of higher rank */
    for (size_t i = 0; i < cr->n_stats; i++)
        if (metric_rank(cr->stats[i].name) > metric_rank(name)) {
            at = i;
            break;
        }
    memmove(&cr->stats[at + 1], &cr->stats[at], (cr->n_stats - at) * sizeof cr->stats[0]);
    memset(&cr->stats[at], 0, sizeof cr->stats[0]);
    snprintf(cr->stats[at].name, METRIC_NAME_MAX, "%s", name);
    cr->n_stats++;
    return 0;
}

int run_summarize(struct run *run)
{
    double *vals = calloc(run->n_boots ? run->n_boots : 1, sizeof *vals);

    if (!vals)
        return -ENOMEM;
    run->n_ok = run->n_failed = 0;
    for (size_t c = 0; c < run->n_configs; c++) {
        struct config_run *cr = &run->configs[c];
        cr->ok = cr->failed = 0;
        cr->n_stats = 0;
        cr->headline = config_headline(cr);
        for (size_t i = 0; i < run->n_boots; i++) {
            const struct boot *b = &run->boots[i];
            if (b->config != c || b->result == BOOT_SKIPPED || b->result == BOOT_PENDING)
                continue;
            if (b->result == BOOT_OK)
                cr->ok++;
            else
                cr->failed++;
            if (b->result != BOOT_OK || b->warmup)
                continue;
            for (size_t m = 0; m < b->n_metrics; m++)
                add_name(cr, b->metrics[m].name);
        }
        for (size_t s = 0; s < cr->n_stats; s++) {
            size_t n = 0;
            for (size_t i = 0; i < run->n_boots; i++) {
                const struct boot *b = &run->boots[i];
                const struct metric *m;
                if (b->config != c || b->result != BOOT_OK || b->warmup)
                    continue;
                if ((m = boot_metric(b, cr->stats[s].name)))
                    vals[n++] = m->ms;
            }
            if (summarize(vals, n, &cr->stats[s].s) < 0) {
                free(vals);
                return -ENOMEM;
            }
        }
        run->n_ok += cr->ok;
        run->n_failed += cr->failed;
    }
    free(vals);
    return 0;
}

const struct summary *config_stat(const struct config_run *cr, const char *metric)
{
    for (size_t i = 0; i < cr->n_stats; i++)
        if (strcmp(cr->stats[i].name, metric) == 0)
            return &cr->stats[i].s;
    return NULL;
}

bool run_passed(const struct run *run)
{
    return run->n_failed == 0 && !run->interrupted && run->baseline.regressions == 0 &&
           run->n_ok > 0;
}
