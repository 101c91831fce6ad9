// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-boottest: boots configurations of kernel, initramfs and base image in QEMU,
 * repeatedly, and reports whether each boot succeeded and how long it took, against a
 * baseline when one is given. See sharedroot-boottest(1).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baseline.h"
#include "boottest.h"
#include "log.h"
#include "report.h"
#include "runfile.h"
#include "runner.h"
#include "thp.h"
#include "time-util.h"

/* Exit status (sharedroot-boottest(1), EXIT STATUS) */
#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: " PROGRAM " [OPTIONS] [RUNFILE]\n"
            "Boot kernel + initramfs + base image configurations in QEMU, several times each,\n"
            "and report verdicts and boot times (JSON, JUnit XML, Markdown, PNG).\n"
            "\n"
            "The configuration (without RUNFILE the only one; with RUNFILE a default for every\n"
            "configuration that does not set it; see RUN FILE in the manual):\n"
            "  -k, --kernel FILE          the kernel image\n"
            "  -i, --initrd FILE|build|none  the initramfs; build: made with\n"
            "                             sharedroot-mkinitramfs for the kernel\n"
            "      --mkinitramfs-args ARGS  more arguments for sharedroot-mkinitramfs\n"
            "  -b, --base FILE            the shared base image (/dev/vda, read-only)\n"
            "      --base-device DEV      virtio-blk (default) or virtio-pmem (/dev/pmem0,\n"
            "                             mapped from the file: dax)\n"
            "      --base-format FMT      auto (default: qcow2 or raw by the file's header),\n"
            "                             raw or qcow2\n"
            "      --root SPEC            root= (default with a base: the root partition of a\n"
            "                             partitioned base, raw or qcow2, from its table;\n"
            "                             else /dev/vda)\n"
            "      --instance SPEC        FILE, fresh[:SIZE], copy:FILE or none (/dev/vdb)\n"
            "      --disk SPEC            one more disk: FILE, ro:FILE, fresh[:SIZE], copy:FILE\n"
            "  -m, --memory SIZE          guest memory (default 512, MiB)\n"
            "      --cpus N               guest CPUs (default 1)\n"
            "  -a, --append ARGS          more kernel command line\n"
            "  -e, --expect REGEX         a line that must appear (repeatable)\n"
            "      --time REGEX           the line whose time is the boot time (group 1:\n"
            "                             seconds of guest uptime; else its kernel timestamp)\n"
            "      --fail REGEX           a line that fails the boot (repeatable)\n"
            "      --no-handoff           no sharedroot handoff line (a foreign initramfs)\n"
            "      --no-default-fail      no built-in failure patterns\n"
            "      --wait-exit            after success, let the guest power off by itself\n"
            "      --qemu-args ARGS       more QEMU arguments (blank-separated)\n"
            "      --qemu-arg ARG         one more QEMU argument, blanks and all (repeatable)\n"
            "  -t, --timeout SECONDS      per boot (default 120)\n"
            "      --measure COMMAND      run (sh -c) against each guest once it booted, while\n"
            "                             it is up; its KEY=VALUE lines go into the report\n"
            "      --name NAME            the configuration's name without RUNFILE (boot)\n"
            "\n"
            "The run:\n"
            "  -r, --reps N               boots per configuration (default 3)\n"
            "  -w, --warmup N             boots per configuration before, not measured (0)\n"
            "  -j, --jobs N               guests at once (default 1)\n"
            "      --hold together|staggered  keep groups of --jobs guests of a configuration\n"
            "                             up until all have booted (and been measured);\n"
            "                             staggered: each starts once the one before is up\n"
            "      --accel auto|kvm|tcg   QEMU accelerator (default auto: KVM if a probe\n"
            "                             guest prints in time, else TCG)\n"
            "      --kvm-probe-timeout S  (default 10)\n"
            "  -o, --output DIR           reports and logs (default boottest-out)\n"
            "      --baseline FILE        a previous report.json to compare with\n"
            "      --threshold PERCENT    slower than this beyond the noise is a regression (10)\n"
            "      --min-delta MS         ... and never less than this (default 5)\n"
            "      --qemu PATH            (default qemu-system-x86_64)\n"
            "      --thp-advice ram|all|none  which of QEMU's MADV_HUGEPAGE calls to let through\n"
            "                             (default ram: not the one on a virtio-pmem base)\n"
            "      --mkinitramfs PATH     sharedroot-mkinitramfs for initrd = build\n"
            "      --keep                 keep per-boot disks in DIR/work\n"
            "      --progress MODE        auto, line (one per boot) or none\n"
            "  -q, --quiet                only errors and the verdict\n"
            "  -h, --help, -V, --version\n"
            "\n"
            "Exit status: 0 every boot succeeded and nothing regressed, 1 a boot failed or a\n"
            "time regressed, 2 usage or input error, 128+N interrupted by signal N.\n");
}

enum {
    OPT_MKARGS = 0x100,
    OPT_ROOT,
    OPT_INSTANCE,
    OPT_DISK,
    OPT_CPUS,
    OPT_TIME,
    OPT_FAIL,
    OPT_NO_HANDOFF,
    OPT_NO_DEFAULT_FAIL,
    OPT_WAIT_EXIT,
    OPT_QEMU_ARGS,
    OPT_QEMU_ARG,
    OPT_NAME,
    OPT_ACCEL,
    OPT_KVM_PROBE_TIMEOUT,
    OPT_BASELINE,
    OPT_THRESHOLD,
    OPT_MIN_DELTA,
    OPT_QEMU,
    OPT_MKINITRAMFS,
    OPT_KEEP,
    OPT_PROGRESS,
    OPT_BASE_DEVICE,
    OPT_MEASURE,
    OPT_HOLD,
    OPT_THP_ADVICE,
    OPT_BASE_FORMAT,
};

/* options that are configuration keys */
static const struct {
    int opt;
    const char *key;
    const char *value; /* fixed value (flags) */
} key_opts[] = {
    {'k', "kernel", NULL},
    {'i', "initrd", NULL},
    {OPT_MKARGS, "mkinitramfs-args", NULL},
    {'b', "base", NULL},
    {OPT_BASE_DEVICE, "base-device", NULL},
    {OPT_BASE_FORMAT, "base-format", NULL},
    {OPT_ROOT, "root", NULL},
    {OPT_INSTANCE, "instance", NULL},
    {OPT_DISK, "disk", NULL},
    {'m', "memory", NULL},
    {OPT_CPUS, "cpus", NULL},
    {'a', "append", NULL},
    {'e', "expect", NULL},
    {OPT_TIME, "time", NULL},
    {OPT_FAIL, "fail", NULL},
    {OPT_NO_HANDOFF, "handoff", "no"},
    {OPT_NO_DEFAULT_FAIL, "default-fail", "no"},
    {OPT_WAIT_EXIT, "wait-exit", "yes"},
    {OPT_QEMU_ARGS, "qemu-args", NULL},
    {OPT_QEMU_ARG, "qemu-arg", NULL},
    {'t', "timeout", NULL},
    {OPT_MEASURE, "measure", NULL},
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_error("%s (try --help)", msg);
    return EXIT_USAGE;
}

static int parse_number_opt(const char *name, const char *arg, unsigned min, unsigned max,
                            unsigned *out)
{
    if (parse_uint(arg, min, max, out) < 0) {
        return log_error_errno(EINVAL, "--%s %s: a number from %u to %u is needed", name, arg, min,
                               max);
    }
    return 0;
}

static int parse_decimal(const char *arg, double min, double max, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v >= min && v <= max))
        return -EINVAL;
    *out = v;
    return 0;
}

/* Returns -1 to go on, else an exit status. */
static int parse_args(int argc, char **argv, struct options *o, struct bt_config *cli)
{
    static const struct option opts[] = {
        {"kernel", required_argument, NULL, 'k'},
        {"initrd", required_argument, NULL, 'i'},
        {"mkinitramfs-args", required_argument, NULL, OPT_MKARGS},
        {"base", required_argument, NULL, 'b'},
        {"base-device", required_argument, NULL, OPT_BASE_DEVICE},
        {"base-format", required_argument, NULL, OPT_BASE_FORMAT},
        {"root", required_argument, NULL, OPT_ROOT},
        {"instance", required_argument, NULL, OPT_INSTANCE},
        {"disk", required_argument, NULL, OPT_DISK},
        {"memory", required_argument, NULL, 'm'},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"append", required_argument, NULL, 'a'},
        {"expect", required_argument, NULL, 'e'},
        {"time", required_argument, NULL, OPT_TIME},
        {"fail", required_argument, NULL, OPT_FAIL},
        {"no-handoff", no_argument, NULL, OPT_NO_HANDOFF},
        {"no-default-fail", no_argument, NULL, OPT_NO_DEFAULT_FAIL},
        {"wait-exit", no_argument, NULL, OPT_WAIT_EXIT},
        {"qemu-args", required_argument, NULL, OPT_QEMU_ARGS},
        {"qemu-arg", required_argument, NULL, OPT_QEMU_ARG},
        {"timeout", required_argument, NULL, 't'},
        {"measure", required_argument, NULL, OPT_MEASURE},
        {"name", required_argument, NULL, OPT_NAME},
        {"reps", required_argument, NULL, 'r'},
        {"warmup", required_argument, NULL, 'w'},
        {"jobs", required_argument, NULL, 'j'},
        {"hold", required_argument, NULL, OPT_HOLD},
        {"thp-advice", required_argument, NULL, OPT_THP_ADVICE},
        {"accel", required_argument, NULL, OPT_ACCEL},
        {"kvm-probe-timeout", required_argument, NULL, OPT_KVM_PROBE_TIMEOUT},
        {"output", required_argument, NULL, 'o'},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"min-delta", required_argument, NULL, OPT_MIN_DELTA},
        {"qemu", required_argument, NULL, OPT_QEMU},
        {"mkinitramfs", required_argument, NULL, OPT_MKINITRAMFS},
        {"keep", no_argument, NULL, OPT_KEEP},
        {"progress", required_argument, NULL, OPT_PROGRESS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "k:i:b:m:a:e:t:r:w:j:o:qhV", opts, NULL)) != -1) {
        bool done = false;
        for (size_t i = 0; i < sizeof key_opts / sizeof key_opts[0]; i++) {
            char err[600];
            if (key_opts[i].opt != c)
                continue;
            if (config_set(cli, key_opts[i].key, key_opts[i].value ? key_opts[i].value : optarg,
                           true, err, sizeof err) < 0) {
                log_error("%s (try --help)", err);
                return EXIT_USAGE;
            }
            done = true;
        }
        if (done)
            continue;
        switch (c) {
        case OPT_NAME:
            o->name = optarg;
            break;
        case 'r':
            if (parse_number_opt("reps", optarg, 1, 10000, &o->reps) < 0)
                return EXIT_USAGE;
            break;
        case 'w':
            if (parse_number_opt("warmup", optarg, 0, 100, &o->warmup) < 0)
                return EXIT_USAGE;
            break;
        case 'j':
            if (parse_number_opt("jobs", optarg, 1, 64, &o->jobs) < 0)
                return EXIT_USAGE;
            break;
        case OPT_HOLD:
            if (strcmp(optarg, "together") == 0)
                o->hold = HOLD_TOGETHER;
            else if (strcmp(optarg, "staggered") == 0)
                o->hold = HOLD_STAGGERED;
            else
                return usage_error("--hold %s: use together or staggered", optarg);
            break;
        case OPT_THP_ADVICE: {
            enum thp_advice a;
            if (thp_advice_parse(optarg, &a) < 0)
                return usage_error("--thp-advice %s: use ram, all or none", optarg);
            o->thp_advice = a;
            break;
        }
        case OPT_ACCEL:
            if (strcmp(optarg, "auto") == 0)
                o->accel = ACCEL_AUTO;
            else if (strcmp(optarg, "kvm") == 0)
                o->accel = ACCEL_KVM;
            else if (strcmp(optarg, "tcg") == 0)
                o->accel = ACCEL_TCG;
            else
                return usage_error("--accel %s: use auto, kvm or tcg", optarg);
            break;
        case OPT_KVM_PROBE_TIMEOUT:
            if (parse_number_opt("kvm-probe-timeout", optarg, 1, 3600, &o->kvm_probe_timeout_s) < 0)
                return EXIT_USAGE;
            break;
        case 'o':
            if (!*optarg)
                return usage_error("--output needs a directory");
            o->output = optarg;
            break;
        case OPT_BASELINE:
            o->baseline = optarg;
            break;
        case OPT_THRESHOLD:
            if (parse_decimal(optarg, 0, 10000, &o->threshold) < 0)
                return usage_error("--threshold %s: a percentage from 0 to 10000", optarg);
            o->threshold /= 100;
            break;
        case OPT_MIN_DELTA:
            if (parse_decimal(optarg, 0, 1e7, &o->min_delta_ms) < 0)
                return usage_error("--min-delta %s: milliseconds, 0 or more", optarg);
            break;
        case OPT_QEMU:
            o->qemu = optarg;
            break;
        case OPT_MKINITRAMFS:
            o->mkinitramfs = optarg;
            break;
        case OPT_KEEP:
            o->keep = true;
            break;
        case OPT_PROGRESS:
            if (strcmp(optarg, "auto") == 0)
                o->progress = -1;
            else if (strcmp(optarg, "line") == 0)
                o->progress = 0;
            else if (strcmp(optarg, "none") == 0)
                o->quiet = true;
            else
                return usage_error("--progress %s: use auto, line or none", optarg);
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_PASS;
        case 'V':
            printf("%s %s\n", PROGRAM, SHAREDROOT_VERSION);
            return EXIT_PASS;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc - 1)
        return usage_error("one run file at most; unexpected '%s'", argv[optind + 1]);
    if (optind == argc - 1)
        o->runfile = argv[optind];
    if (o->runfile && o->name)
        return usage_error("--name names the configuration of a run without a run file");
    return -1;
}

static int load_configs(struct run *run, struct bt_config *cli)
{
    struct bt_runfile rf = {0};
    char err[1024];
    int r;

    if (run->opt.runfile) {
        r = runfile_load(run->opt.runfile, cli, &rf, err, sizeof err);
        if (r < 0) {
            return log_error_errno(r, "%s", err);
        }
    } else {
        char *name = strdup(run->opt.name ? run->opt.name : "boot");
        if (!name)
            return -ENOMEM;
        free(cli->name);
        cli->name = name;
        r = config_finish(cli, err, sizeof err);
        if (r < 0) {
            return log_error_errno(r, "%s (try --help)", err);
        }
        rf.configs = calloc(1, sizeof *rf.configs);
        if (!rf.configs)
            return -ENOMEM;
        rf.configs[0] = *cli; /* moved: cli is empty now */
        memset(cli, 0, sizeof *cli);
        rf.n = 1;
    }
    run->configs = calloc(rf.n, sizeof *run->configs);
    if (!run->configs) {
        runfile_free(&rf);
        return -ENOMEM;
    }
    for (size_t i = 0; i < rf.n; i++)
        run->configs[i].cfg = rf.configs[i];
    run->n_configs = rf.n;
    free(rf.configs);
    return 0;
}

/* --hold keeps a group's guests up together: a disk FILE kept across boots cannot be in
 * several of them (a guest waits for the file's other user, which waits for its group). */
static int check_hold(const struct run *run)
{
    if (run->opt.hold == HOLD_NONE || run->opt.jobs < 2)
        return 0;
    for (size_t i = 0; i < run->n_configs; i++) {
        const struct bt_config *c = &run->configs[i].cfg;
        const char *file = c->instance.kind == DISK_FILE ? c->instance.path : NULL;
        for (size_t k = 0; !file && k < c->n_disks; k++)
            if (c->disks[k].kind == DISK_FILE)
                file = c->disks[k].path;
        if (file) {
            return log_error_errno(EINVAL,
                                   "--hold with --jobs %u: [%s] would write %s from %u guests at "
                                   "once; use fresh or copy:%s (try --help)",
                                   run->opt.jobs, c->name, file, run->opt.jobs, file);
        }
    }
    return 0;
}

static void run_free(struct run *run)
{
    for (size_t i = 0; i < run->n_configs; i++) {
        config_free(&run->configs[i].cfg);
        free(run->configs[i].initrd_used);
        free(run->configs[i].kver);
    }
    free(run->configs);
    for (size_t i = 0; i < run->n_boots; i++)
        boot_free(&run->boots[i]);
    free(run->boots);
    baseline_result_free(&run->baseline);
}

static void verdict_line(const struct run *run, const char *plot_note)
{
    const char *out = run->opt.output;

    fprintf(stderr, "%s: %s: %u boot%s ok, %u failed", PROGRAM, run_passed(run) ? "PASS" : "FAIL",
            run->n_ok, run->n_ok == 1 ? "" : "s", run->n_failed);
    if (run->baseline.loaded)
        fprintf(stderr, ", %u regression%s against %s", run->baseline.regressions,
                run->baseline.regressions == 1 ? "" : "s", run->baseline.file);
    if (run->interrupted)
        fprintf(stderr, ", interrupted (%s)", strsignal(run->interrupted));
    fprintf(stderr, "; accelerator %s\n", run->accel_used ? run->accel_used : "none");
    fprintf(stderr,
            "%s: reports: %s/summary.md, %s/report.json (the baseline for next time), "
            "%s/junit.xml%s%s%s\n",
            PROGRAM, out, out, out, plot_note[0] ? "; " : ", ", plot_note[0] ? plot_note : out,
            plot_note[0] ? "" : "/plot.png");
}

int main(int argc, char **argv)
{
    struct run run = {0};
    struct bt_config cli = {0};
    struct base_run base = {0};
    char err[1024], plot_note[PATH_MAX + 64];
    time_t now = time(NULL);
    int status, r;

    config_init(&cli);
    run.opt = (struct options){
        .reps = 3,
        .jobs = 1,
        .accel = ACCEL_AUTO,
        .thp_advice = THP_ADVICE_RAM,
        .kvm_probe_timeout_s = 10,
        .output = "boottest-out",
        .threshold = 0.10,
        .min_delta_ms = 5,
        .qemu = "qemu-system-x86_64",
        .progress = -1,
    };
    log_set_program(PROGRAM);
    signal(SIGPIPE, SIG_IGN);
    status = parse_args(argc, argv, &run.opt, &cli);
    if (status >= 0) {
        config_free(&cli);
        return status;
    }
    r = load_configs(&run, &cli);
    config_free(&cli);
    r = r ?: check_hold(&run);
    if (r < 0) {
        run_free(&run);
        return EXIT_USAGE;
    }
    /* a bad baseline must stop the run before it boots anything */
    if (run.opt.baseline && baseline_load(run.opt.baseline, &base, err, sizeof err) < 0) {
        log_error("--baseline %s: %s", run.opt.baseline, err);
        run_free(&run);
        return EXIT_USAGE;
    }
    strftime(run.started, sizeof run.started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    run.t0_ms = now_ms();
    r = run_plan(&run);
    r = r ?: run_prepare(&run);
    if (r < 0 && !run.interrupted) {
        run_close(&run);
        baseline_free(&base);
        run_free(&run);
        return EXIT_USAGE;
    }
    /* interrupted while preparing: run_boots() marks every boot skipped */
    if (r == 0 || run.interrupted)
        run_boots(&run);
    run_close(&run);
    run.duration_ms = (double)(now_ms() - run.t0_ms);
    r = run_summarize(&run);
    if (r == 0 && run.opt.baseline)
        r = baseline_compare(&run, &base, run.opt.baseline);
    baseline_free(&base);
    r = r ?: reports_write(&run, plot_note, sizeof plot_note);
    if (r < 0) {
        log_error_errno(r, "the reports could not be written: %m");
        run_free(&run);
        return EXIT_USAGE;
    }
    verdict_line(&run, plot_note);
    status = run.interrupted ? 128 + run.interrupted : run_passed(&run) ? EXIT_PASS : EXIT_FAIL;
    run_free(&run);
    return status;
}
