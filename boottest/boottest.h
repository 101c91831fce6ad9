/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One run of sharedroot-boottest: its settings, its configurations and every boot, as the
 * runner fills them and the reports read them.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "console.h"
#include "measure.h"
#include "runfile.h"
#include "stats.h"

#define PROGRAM "sharedroot-boottest"
#define REPORT_FORMAT_VERSION 1
#define TAIL_LINES 40
#define BOOT_MAX_METRICS 32
#define METRIC_NAME_MAX 24

enum accel { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };

/* --hold: guests that booted stay up until their whole group has booted (and been measured) */
enum hold {
    HOLD_NONE,      /* each guest is stopped once it succeeded (and was measured) */
    HOLD_TOGETHER,  /* a group's guests start together */
    HOLD_STAGGERED, /* one after another, each once the one before it booted and was measured */
};

struct options {
    const char *runfile;
    const char *name; /* of the configuration without a run file */
    unsigned reps, warmup, jobs;
    enum hold hold;
    enum accel accel;
    int thp_advice; /* enum thp_advice (thp.h): --thp-advice */
    unsigned kvm_probe_timeout_s;
    const char *output;
    const char *baseline;
    double threshold; /* 0.10 */
    double min_delta_ms;
    const char *qemu;
    const char *mkinitramfs;
    bool keep;
    bool quiet;
    int progress; /* -1 auto (a terminal), 0 one line per boot, 1 a line rewritten in place */
};

enum boot_result {
    BOOT_PENDING,
    BOOT_RUNNING,
    BOOT_OK,
    BOOT_FAILED,      /* a failure pattern, or QEMU ended before success */
    BOOT_TIMEOUT,     /* success not reached in time */
    BOOT_ERROR,       /* could not be started (QEMU missing, a disk could not be made) */
    BOOT_INTERRUPTED, /* stopped because the run was interrupted */
    BOOT_SKIPPED,     /* never started: the run was interrupted */
};

struct metric {
    char name[METRIC_NAME_MAX];
    double ms;
};

struct boot {
    size_t config;
    unsigned rep; /* 1.. within its configuration; warm-up boots count separately */
    bool warmup;
    unsigned group; /* 1..: the guests up together (--hold), else each boot its own */
    unsigned guest; /* 1..: its place in the group */
    enum boot_result result;
    char reason[512];
    pid_t pid;
    int exit_status;        /* of QEMU as waitpid() gave it, -1 unknown */
    double host_load;       /* the host's 1-minute load average when it ended, -1 unknown */
    char log_rel[PATH_MAX]; /* console log, relative to the output directory */

    struct metric metrics[BOOT_MAX_METRICS];
    size_t n_metrics;
    char mode[16];          /* from the handoff line */
    char *handoff_line;     /* as it appeared (cleaned) */
    char *tail[TAIL_LINES]; /* the console's last lines (ring), kept for failed boots */
    size_t tail_next;
    uint64_t console_lines;

    /* the measure command: -1 not run, else its wait() status */
    int measure_status;
    bool measure_timed_out;
    struct measure_values *measured;
};

struct config_stats {
    char name[METRIC_NAME_MAX];
    struct summary s;
};

struct config_run {
    struct bt_config cfg;
    char *initrd_used; /* cfg.initrd, or the one built for it */
    char *kver;        /* when it was read from the kernel */
    unsigned ok, failed;
    struct config_stats stats[BOOT_MAX_METRICS];
    size_t n_stats;
    const char *headline; /* the metric that stands for "boot time" */
};

struct comparison {
    char config[RUNFILE_NAME_MAX + 1];
    char metric[METRIC_NAME_MAX];
    struct summary base, cur;
    struct verdict v;
};

struct baseline_result {
    bool loaded;
    char file[PATH_MAX];
    struct comparison *cmp;
    size_t n_cmp;
    unsigned regressions;
    char **notes; /* "configuration X is not in the baseline" */
    size_t n_notes;
};

struct runner;

struct run {
    struct options opt;
    struct runner *runner; /* while boots run (runner.c) */
    struct config_run *configs;
    size_t n_configs;
    struct boot *boots; /* in the order they are started */
    size_t n_boots;
    const char *accel_used; /* "kvm" or "tcg" */
    char accel_note[512];
    char started[32]; /* UTC, ISO 8601 */
    uint64_t t0_ms;
    double duration_ms;
    int interrupted; /* the signal, 0 if none */
    struct baseline_result baseline;
    char qemu_version[128];
    unsigned n_ok, n_failed;
};

const char *boot_result_name(enum boot_result r);
const char *hold_name(enum hold h); /* "none", "together", "staggered" */

/* Set or replace a metric of a boot (at most BOOT_MAX_METRICS; more are dropped). */
void boot_set_metric(struct boot *b, const char *name, double ms);
const struct metric *boot_metric(const struct boot *b, const char *name);
void boot_free(struct boot *b);

/* The metric order of reports: wall, kernel, time, handoff, init, then the stages. */
int metric_rank(const char *name);

/* The metric that stands for a configuration's boot time: time (its pattern), else handoff
 * (sharedroot-init's line), else wall (the host's clock). */
const char *config_headline(const struct config_run *cr);

/* Fill each configuration's stats and headline, and the run's counts. */
int run_summarize(struct run *run);
/* A configuration's summary of one metric, NULL when it has none. */
const struct summary *config_stat(const struct config_run *cr, const char *metric);

/* Whether the run as a whole passed: every started boot succeeded, nothing was interrupted,
 * no regression against the baseline. */
bool run_passed(const struct run *run);
