// SPDX-License-Identifier: GPL-2.0-or-later
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "guest.h"
#include "io-util.h"
#include "log.h"
#include "partition.h"
#include "qcow2view.h"
#include "thp.h"
#include "time-util.h"
#include "why.h"

#define CONSOLE_LOG_MAX (32u << 20) /* bytes of console kept per boot */
#define FAIL_GRACE_MS 2000          /* after a failure line: the rest of the panic, then stop */
#define KILL_GRACE_MS 3000          /* SIGTERM, then SIGKILL after this */
#define QEMU_ERR_SHOWN 300          /* bytes of QEMU's stderr in a reason */

/* snprintf that says whether it all fitted (and does not make the compiler guess) */
static bool strfmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool strfmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < size;
}

/* ---- the console, line by line */

void line_state_init(struct line_state *ls, const struct bt_config *cfg, struct boot *boot)
{
    memset(ls, 0, sizeof *ls);
    ls->cfg = cfg;
    ls->boot = boot;
}

static void keep_tail(struct boot *b, const char *line, size_t len)
{
    char *copy = strndup(line, len);

    if (!copy)
        return;
    free(b->tail[b->tail_next]);
    b->tail[b->tail_next] = copy;
    b->tail_next = (b->tail_next + 1) % TAIL_LINES;
}

static void set_reason(struct boot *b, const char *what, const char *line)
{
    snprintf(b->reason, sizeof b->reason, "%s%s%.300s", what, line ? ": " : "", line ? line : "");
}

static void take_handoff(struct line_state *ls, const char *line)
{
    struct handoff h;
    int r = console_handoff(line, &h);

    if (r == 0 || r == -EPROTO || ls->handoff_seen)
        return;
    ls->handoff_seen = true;
    free(ls->boot->handoff_line);
    ls->boot->handoff_line = strdup(line);
    if (r < 0) /* another version: success, but its numbers may mean something else */
        return;
    snprintf(ls->boot->mode, sizeof ls->boot->mode, "%s", h.mode);
    for (size_t i = 0; i < h.n; i++) {
        const char *k = h.val[i].key;
        if (strcmp(k, "uptime_ms") == 0)
            k = "handoff";
        else if (strcmp(k, "init_ms") == 0)
            k = "init";
        else if (strcmp(k, "wall") == 0 || strcmp(k, "kernel") == 0 || strcmp(k, "time") == 0)
            continue; /* ours */
        boot_set_metric(ls->boot, k, h.val[i].ms);
    }
}

/* time = REGEX: the guest's clock at that line: the first group in seconds, or the
 * kernel's timestamp of the line */
static void take_time(struct line_state *ls, const char *line)
{
    regmatch_t m[2];
    double ms;

    if (ls->time_seen || !ls->cfg->time.text || regexec(&ls->cfg->time.re, line, 2, m, 0) != 0)
        return;
    ls->time_seen = true;
    if (m[1].rm_so >= 0) {
        char num[32];
        size_t n = (size_t)(m[1].rm_eo - m[1].rm_so);
        char *end;
        if (n > 0 && n < sizeof num) {
            memcpy(num, line + m[1].rm_so, n);
            num[n] = '\0';
            ms = strtod(num, &end) * 1000.0;
            if (*end == '\0' && ms >= 0 && ms < 1e12)
                boot_set_metric(ls->boot, "time", ms);
        }
    } else if (console_printk_ms(line, &ms)) {
        boot_set_metric(ls->boot, "time", ms);
    }
}

static bool all_seen(const struct line_state *ls)
{
    if (ls->cfg->handoff && !ls->handoff_seen)
        return false;
    if (ls->cfg->time.text && !ls->time_seen)
        return false;
    for (size_t i = 0; i < ls->cfg->n_expect; i++)
        if (!ls->expect_seen[i])
            return false;
    return true;
}

void line_feed(struct line_state *ls, const char *line, size_t len)
{
    const char *why;
    double ms;
    bool has_ms;

    keep_tail(ls->boot, line, len);
    ls->boot->console_lines++;
    if (ls->success || ls->failure)
        return;
    if (ls->probe) {
        /* the probe guest has no root filesystem: its kernel's boot ends in this panic. A
         * first console line alone would prove little: a slow KVM prints that too. */
        ls->success = strstr(line, "Kernel panic") != NULL;
        return;
    }
    if (!boot_metric(ls->boot, "kernel") && console_run_init(line, &ms, &has_ms) && has_ms)
        boot_set_metric(ls->boot, "kernel", ms);
    why = ls->cfg->default_fail ? console_builtin_failure(line) : NULL;
    for (size_t i = 0; !why && i < ls->cfg->n_fail; i++)
        if (regexec(&ls->cfg->fail[i].re, line, 0, NULL, 0) == 0)
            why = "a fail pattern matched";
    if (why) {
        ls->failure = true;
        set_reason(ls->boot, why, line);
        return;
    }
    take_handoff(ls, line);
    take_time(ls, line);
    for (size_t i = 0; i < ls->cfg->n_expect; i++)
        if (!ls->expect_seen[i] && regexec(&ls->cfg->expect[i].re, line, 0, NULL, 0) == 0)
            ls->expect_seen[i] = true;
    ls->success = all_seen(ls);
}

bool line_peek(struct line_state *ls, const char *partial)
{
    if (ls->success || ls->failure || ls->probe || !partial)
        return ls->success;
    for (size_t i = 0; i < ls->cfg->n_expect; i++)
        if (!ls->expect_seen[i] && regexec(&ls->cfg->expect[i].re, partial, 0, NULL, 0) == 0)
            ls->expect_seen[i] = true;
    ls->success = all_seen(ls);
    return ls->success;
}

void line_missing(const struct line_state *ls, char *buf, size_t size)
{
    FILE *f = fmemopen(buf, size, "w");
    const char *sep = "";

    if (!f) {
        snprintf(buf, size, "success");
        return;
    }
    if (ls->probe)
        fputs("the end of the kernel's boot (its panic without a root filesystem)", f);
    if (!ls->probe && ls->cfg->handoff && !ls->handoff_seen) {
        fputs("the handoff line of sharedroot-init", f);
        sep = ", ";
    }
    if (!ls->probe && ls->cfg->time.text && !ls->time_seen) {
        fprintf(f, "%stime '%s'", sep, ls->cfg->time.text);
        sep = ", ";
    }
    for (size_t i = 0; !ls->probe && i < ls->cfg->n_expect; i++)
        if (!ls->expect_seen[i]) {
            fprintf(f, "%sexpect '%s'", sep, ls->cfg->expect[i].text);
            sep = ", ";
        }
    fclose(f);
    buf[size - 1] = '\0';
}

/* ---- planning */

static void plan_boot(struct boot *b, size_t config, bool warmup, unsigned rep, unsigned group,
                      unsigned guest)
{
    b->config = config;
    b->warmup = warmup;
    b->rep = rep;
    b->group = group;
    b->guest = guest;
    b->exit_status = -1;
    b->host_load = -1;
    b->measure_status = -1;
    b->result = BOOT_PENDING;
}

int run_plan(struct run *run)
{
    size_t rounds = run->opt.warmup + run->opt.reps, i = 0;
    unsigned group = 0, jobs = run->opt.jobs ? run->opt.jobs : 1;

    for (size_t c = 0; c < run->n_configs; c++)
        run->configs[c].headline = config_headline(&run->configs[c]);
    run->n_boots = rounds * run->n_configs;
    run->boots = calloc(run->n_boots ? run->n_boots : 1, sizeof *run->boots);
    if (!run->boots)
        return -ENOMEM;
    if (run->opt.hold == HOLD_NONE) {
        for (size_t r = 0; r < rounds; r++)
            for (size_t c = 0; c < run->n_configs; c++, i++) {
                bool warm = r < run->opt.warmup;
                plan_boot(&run->boots[i], c, warm,
                          (unsigned)(warm ? r + 1 : r - run->opt.warmup + 1), (unsigned)i + 1, 1);
            }
        return 0;
    }
    /* groups of up to --jobs boots of one configuration, the configurations interleaved group
     * by group: A A B B A A B B; the warm-up boots first */
    for (int phase = 0; phase < 2; phase++) {
        unsigned total = phase == 0 ? run->opt.warmup : run->opt.reps;
        for (unsigned done = 0; done < total; done += jobs) {
            unsigned k = total - done < jobs ? total - done : jobs;
            for (size_t c = 0; c < run->n_configs; c++) {
                group++;
                for (unsigned j = 0; j < k; j++, i++)
                    plan_boot(&run->boots[i], c, phase == 0, done + j + 1, group, j + 1);
            }
        }
    }
    return 0;
}

/* ---- the guests */

struct guest {
    struct boot *boot;
    struct config_run *cr;
    struct line_state ls;
    struct console_scan scan;
    struct boot_disks disks;
    pid_t pid;
    int console_fd, log_fd;
    uint64_t log_bytes;
    uint64_t t_start, deadline, grace_until, kill_at;
    bool stopping, reaped, decided;
    bool released; /* may be stopped: failed, or booted and measured (and its group too) */
    int status;
    char err_path[PATH_MAX];

    /* the measure command */
    pid_t mpid;
    bool m_started, m_done, m_stopping;
    uint64_t m_deadline, m_kill_at;
    int m_status;
    char m_out[PATH_MAX], m_err[PATH_MAX];
};

struct runner {
    struct run *run;
    struct guest *g; /* opt.jobs slots */
    size_t slots;
    int sigfd;
    char out[PATH_MAX];
    FILE *pids;
    unsigned finished, total;
    bool tty;
    uint64_t last_progress;
};

static void write_cmd_file(const char *path, char **argv)
{
    FILE *f = fopen(path, "we");

    if (!f)
        return;
    for (size_t i = 0; argv[i]; i++) {
        const char *a = argv[i];
        bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-_=.,/:+@%") == strlen(a);
        fputs(i ? " " : "", f);
        if (plain) {
            fputs(a, f);
            continue;
        }
        fputc('\'', f);
        for (; *a; a++)
            *a == '\'' ? fputs("'\\''", f) : fputc(*a, f);
        fputc('\'', f);
    }
    fputc('\n', f);
    fclose(f);
}

static void boot_tag(const struct run *run, const struct boot *b, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s%u", run->configs[b->config].cfg.name, b->warmup ? "warmup-" : "",
             b->rep);
}

/* Writable disks kept across boots must not be used by two guests at once; a base may be
 * shared by any number of read-only users. */
static bool file_conflict(const char *a, bool a_excl, const char *b, bool b_excl)
{
    struct stat sa, sb;

    if (!a || !b || (!a_excl && !b_excl))
        return false;
    if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
        return strcmp(a, b) == 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static size_t config_files(const struct bt_config *c, const char **f, bool *excl)
{
    size_t n = 0;

    if (c->base) {
        f[n] = c->base;
        excl[n++] = false;
    }
    if (c->instance.kind == DISK_FILE) {
        f[n] = c->instance.path;
        excl[n++] = true;
    }
    for (size_t i = 0; i < c->n_disks; i++)
        if (c->disks[i].kind == DISK_FILE || c->disks[i].kind == DISK_RO) {
            f[n] = c->disks[i].path;
            excl[n++] = c->disks[i].kind == DISK_FILE;
        }
    return n;
}

static bool configs_conflict(const struct bt_config *a, const struct bt_config *b)
{
    const char *fa[RUNFILE_MAX_LIST + 2], *fb[RUNFILE_MAX_LIST + 2];
    bool ea[RUNFILE_MAX_LIST + 2], eb[RUNFILE_MAX_LIST + 2];
    size_t na = config_files(a, fa, ea), nb = config_files(b, fb, eb);

    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (file_conflict(fa[i], ea[i], fb[j], eb[j]))
                return true;
    return false;
}

static bool can_start(struct runner *rn, const struct boot *b)
{
    const struct bt_config *c = &rn->run->configs[b->config].cfg;

    for (size_t i = 0; i < rn->slots; i++)
        if (rn->g[i].boot && configs_conflict(c, &rn->g[i].cr->cfg))
            return false;
    return true;
}

static void read_qemu_err(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

    if (fd >= 0)
        close(fd);
    if (n < 0)
        n = 0;
    buf[n] = '\0';
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    while (n > 0 && buf[n - 1] == ' ')
        buf[--n] = '\0';
}

static int guest_start(struct runner *rn, struct guest *g, struct boot *b, struct config_run *cr,
                       const char *accel, bool probe)
{
    struct run *run = rn->run;
    char tag[RUNFILE_NAME_MAX + 32], path[PATH_MAX + 64], err[600];
    char **argv = NULL;
    struct sock_fprog filter;
    int p[2] = {-1, -1}, errfd = -1, r;

    memset(g, 0, sizeof *g);
    g->console_fd = g->log_fd = -1;
    g->boot = b;
    g->cr = cr;
    line_state_init(&g->ls, &cr->cfg, b);
    g->ls.probe = probe;
    b->result = BOOT_RUNNING;

    if (probe)
        snprintf(tag, sizeof tag, "kvm-probe");
    else
        boot_tag(run, b, tag, sizeof tag);
    snprintf(b->log_rel, sizeof b->log_rel, "logs/%s.log", tag);
    if (!probe) {
        char dir[PATH_MAX + 64];
        snprintf(dir, sizeof dir, "%s/logs/%s", rn->out, cr->cfg.name);
        mkdir_p(dir, 0755);
        char work[PATH_MAX + 16], wtag[sizeof tag];
        snprintf(work, sizeof work, "%s/work", rn->out);
        snprintf(wtag, sizeof wtag, "%s", tag);
        for (char *s = wtag; *s; s++)
            if (*s == '/')
                *s = '-';
        r = boot_disks_make(&cr->cfg, work, wtag, &g->disks, err, sizeof err);
        if (r < 0) {
            b->result = BOOT_ERROR;
            set_reason(b, "a disk could not be made", err);
            return r;
        }
    }
    argv = guest_argv(run->opt.qemu, &cr->cfg, probe ? NULL : cr->initrd_used,
                      probe ? NULL : &g->disks, accel);
    if (!argv) {
        r = -ENOMEM;
        goto fail;
    }
    if (!strfmt(path, sizeof path, "%s/logs/%s.cmd", rn->out, tag) ||
        !strfmt(g->err_path, sizeof g->err_path, "%s/logs/%s.qemu", rn->out, tag)) {
        r = -ENAMETOOLONG;
        set_reason(b, "the output directory's name is too long", rn->out);
        goto fail;
    }
    write_cmd_file(path, argv);
    strfmt(path, sizeof path, "%s/%s", rn->out, b->log_rel);
    g->log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    errfd = open(g->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (g->log_fd < 0 || errfd < 0 || pipe2(p, O_CLOEXEC) < 0) {
        r = -errno;
        strfmt(err, sizeof err, "%s: %s", path, strerror(errno));
        set_reason(b, "the console log could not be opened", err);
        goto fail;
    }
    r = thp_filter_make(run->opt.thp_advice, probe ? 0 : g->disks.base_size, &filter);
    if (r < 0) {
        set_reason(b, "the seccomp filter of --thp-advice could not be made", strerror(-r));
        goto fail;
    }
    g->t_start = now_ms();
    g->pid = spawn_guest(argv, p[1], errfd, &filter);
    thp_filter_free(&filter);
    close(p[1]);
    p[1] = -1;
    close(errfd);
    errfd = -1;
    if (g->pid < 0) {
        r = g->pid;
        set_reason(b, "QEMU could not be started", strerror(-r));
        goto fail;
    }
    b->pid = g->pid;
    if (rn->pids) {
        fprintf(rn->pids, "%d\n", (int)g->pid);
        fflush(rn->pids);
    }
    g->console_fd = p[0];
    fcntl(g->console_fd, F_SETFL, O_NONBLOCK);
    g->deadline = g->t_start + (probe ? run->opt.kvm_probe_timeout_s : cr->cfg.timeout_s) * 1000ull;
    argv_free(argv);
    return 0;

fail:
    b->result = BOOT_ERROR;
    argv_free(argv);
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    if (errfd >= 0)
        close(errfd);
    if (g->log_fd >= 0)
        close(g->log_fd);
    g->log_fd = -1;
    boot_disks_remove(&g->disks);
    return r;
}

static void guest_stop(struct guest *g, uint64_t now)
{
    if (g->stopping || g->reaped)
        return;
    g->stopping = true;
    /* the whole group: QEMU and anything it started */
    kill(-g->pid, SIGTERM);
    kill(g->pid, SIGTERM);
    g->kill_at = now + KILL_GRACE_MS;
}

static bool has_measure(const struct guest *g)
{
    return !g->ls.probe && g->cr->cfg.measure;
}

/* Whether a guest that booted stays up after its success: to be measured, or held with its
 * group. */
static bool holds(const struct runner *rn, const struct guest *g)
{
    return !g->ls.probe && (rn->run->opt.hold != HOLD_NONE || g->cr->cfg.measure);
}

static void decide(struct runner *rn, struct guest *g, enum boot_result r, uint64_t now)
{
    if (g->decided)
        return;
    g->decided = true;
    g->boot->result = r;
    if (r == BOOT_OK)
        boot_set_metric(g->boot, "wall", (double)(now - g->t_start));
    if (r != BOOT_OK || !holds(rn, g))
        g->released = true;
}

struct line_ctx {
    struct runner *rn;
    struct guest *g;
};

static void on_success(struct runner *rn, struct guest *g)
{
    uint64_t now = now_ms();

    decide(rn, g, BOOT_OK, now);
    if (g->released && !g->cr->cfg.wait_exit)
        guest_stop(g, now);
}

static void on_line(const char *line, size_t len, void *user)
{
    struct line_ctx *lc = user;
    struct guest *g = lc->g;
    bool was_failure = g->ls.failure;

    line_feed(&g->ls, line, len);
    if (g->decided)
        return;
    if (g->ls.success) {
        on_success(lc->rn, g);
    } else if (g->ls.failure && !was_failure) {
        g->grace_until = now_ms() + FAIL_GRACE_MS;
    }
}

/* Read what the console has; false at EOF. */
static bool guest_read(struct runner *rn, struct guest *g)
{
    char buf[65536];
    struct line_ctx lc = {rn, g};

    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = read(g->console_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            /* nothing more for now: a prompt that waits for input may be what is expected */
            if (!g->decided && line_peek(&g->ls, console_pending(&g->scan)))
                on_success(rn, g);
            return true;
        }
        if (n < 0)
            return false;
        if (n == 0) {
            console_flush(&g->scan, on_line, &lc);
            return false;
        }
        if (g->log_fd >= 0 && g->log_bytes < CONSOLE_LOG_MAX) {
            size_t w = (size_t)n;
            if (g->log_bytes + w > CONSOLE_LOG_MAX)
                w = CONSOLE_LOG_MAX - g->log_bytes;
            if (write_all(g->log_fd, buf, w) == 0)
                g->log_bytes += w;
        }
        console_feed(&g->scan, buf, (size_t)n, on_line, &lc);
    }
    return true;
}

/* the host's 1-minute load average: how busy the machine was (the noise of a run) */
static double host_load(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "re");

    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

static void measure_fail(struct guest *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void guest_finish(struct runner *rn, struct guest *g)
{
    struct boot *b = g->boot;
    char missing[512], qerr[QEMU_ERR_SHOWN + 1], why[900];

    /* what the pipe still holds */
    if (g->console_fd >= 0) {
        /* bounded: a grandchild of QEMU could keep the pipe open */
        for (int i = 0; i < 64 && guest_read(rn, g); i++)
            ;
        close(g->console_fd);
        g->console_fd = -1;
    }
    if (g->log_fd >= 0)
        close(g->log_fd);
    g->log_fd = -1;
    b->exit_status = g->status;
    b->host_load = host_load();
    if (!g->decided) {
        if (g->ls.success) {
            decide(rn, g, BOOT_OK, now_ms());
        } else if (g->ls.failure) {
            decide(rn, g, BOOT_FAILED, now_ms());
        } else {
            line_missing(&g->ls, missing, sizeof missing);
            read_qemu_err(g->err_path, qerr, sizeof qerr);
            if (WIFEXITED(g->status))
                strfmt(why, sizeof why, "QEMU exited with status %d while waiting for %s%s%s",
                       WEXITSTATUS(g->status), missing, qerr[0] ? "; QEMU said: " : "", qerr);
            else
                snprintf(why, sizeof why, "QEMU was killed by signal %d while waiting for %s",
                         WTERMSIG(g->status), missing);
            strfmt(b->reason, sizeof b->reason, "%s", why);
            decide(rn, g, BOOT_FAILED, now_ms());
        }
    }
    if (b->result == BOOT_OK && has_measure(g) && !g->m_started && !rn->run->interrupted)
        measure_fail(g, "the guest ended (QEMU exited) before its measure command ran");
    if (!rn->run->opt.keep)
        boot_disks_remove(&g->disks);
    if (b->result == BOOT_OK && !g->ls.probe)
        for (size_t i = 0; i < TAIL_LINES; i++) {
            free(b->tail[i]);
            b->tail[i] = NULL;
        }
    g->boot = NULL;
}

/* ---- the measure command (sharedroot-boottest(1), MEASURE) */

static bool measure_running(const struct guest *g)
{
    return g->m_started && !g->m_done;
}

/* Boots of the group that are up: succeeded and not stopped, in guest order. */
static size_t group_up(const struct runner *rn, unsigned group, pid_t *pids, size_t max)
{
    size_t n = 0;

    for (unsigned guest = 1; guest <= rn->slots; guest++)
        for (size_t i = 0; i < rn->slots && n < max; i++) {
            const struct guest *o = &rn->g[i];
            if (o->boot && !o->ls.probe && o->boot->group == group && o->boot->guest == guest &&
                o->decided && o->boot->result == BOOT_OK && !o->reaped && !o->stopping)
                pids[n++] = o->pid;
        }
    return n;
}

static void measure_fail(struct guest *g, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(g->boot->reason, sizeof g->boot->reason, fmt, ap);
    va_end(ap);
    g->boot->result = BOOT_FAILED;
}

static void measure_start(struct runner *rn, struct guest *g, uint64_t now)
{
    struct boot *b = g->boot;
    const struct bt_config *c = &g->cr->cfg;
    char *env[MEASURE_ENV_MAX + 1] = {NULL}, log[PATH_MAX + 16];
    pid_t up[64];
    int out = -1, err = -1, r;

    g->m_started = true;
    strfmt(log, sizeof log, "%s/%s", rn->out, b->log_rel);
    struct measure_env e = {
        .config = c->name,
        .rep = b->rep,
        .warmup = b->warmup,
        .group = b->group,
        .guest = b->guest,
        .qemu_pid = g->pid,
        .up_pids = up,
        .n_up = group_up(rn, b->group, up, sizeof up / sizeof up[0]),
        .log = log,
        .output = rn->out,
        .accel = rn->run->accel_used,
        .memory_mb = c->memory_mb,
        .base = c->base,
        .base_device = c->base_device == BASE_DEVICE_PMEM ? "virtio-pmem" : "virtio-blk",
        .base_format = img_format_name(c->base_img),
    };
    /* logs/NAME/N.log: the command's output beside it, N.measure and N.measure.err */
    size_t stem = strlen(log) > 4 ? strlen(log) - 4 : strlen(log);
    if (!strfmt(g->m_out, sizeof g->m_out, "%.*s.measure", (int)stem, log) ||
        !strfmt(g->m_err, sizeof g->m_err, "%.*s.measure.err", (int)stem, log)) {
        measure_fail(g, "the measure command's output file name is too long");
        g->m_done = true;
        return;
    }
    r = measure_env_build(&e, env);
    out = open(g->m_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    err = open(g->m_err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (r < 0 || out < 0 || err < 0) {
        measure_fail(g, "the measure command could not be started: %s: %s", g->m_out,
                     strerror(r < 0 ? -r : errno));
        g->m_done = true;
    } else {
        g->mpid = spawn_command(c->measure, env, out, err);
        if (g->mpid < 0) {
            measure_fail(g, "the measure command could not be started: %s", strerror(-g->mpid));
            g->m_done = true;
        }
        g->m_deadline = now + c->timeout_s * 1000ull;
    }
    if (out >= 0)
        close(out);
    if (err >= 0)
        close(err);
    if (r == 0)
        measure_env_free(env);
}

static void measure_end(struct runner *rn, struct guest *g)
{
    struct boot *b = g->boot;
    char *text = malloc(MEASURE_OUTPUT_MAX);
    char said[QEMU_ERR_SHOWN + 1];
    ssize_t n = 0;
    int fd;

    g->m_done = true;
    b->measure_status = g->m_status;
    b->measured = calloc(1, sizeof *b->measured);
    fd = open(g->m_out, O_RDONLY | O_CLOEXEC);
    /* at most MEASURE_OUTPUT_MAX bytes: the rest is not read */
    while (text && fd >= 0 && n < MEASURE_OUTPUT_MAX) {
        ssize_t k = read(fd, text + n, (size_t)(MEASURE_OUTPUT_MAX - n));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += k;
    }
    if (fd >= 0)
        close(fd);
    if (b->measured && text && n >= 0 && measure_parse(text, (size_t)n, b->measured) < 0) {
        free(b->measured);
        b->measured = NULL;
    }
    free(text);
    if (rn->run->interrupted || b->result != BOOT_OK)
        return;
    read_qemu_err(g->m_err, said, sizeof said);
    if (b->measure_timed_out)
        measure_fail(g, "the measure command did not end within %u s (the timeout)",
                     g->cr->cfg.timeout_s);
    else if (WIFSIGNALED(g->m_status))
        measure_fail(g, "the measure command was killed by signal %d%s%s", WTERMSIG(g->m_status),
                     said[0] ? "; it said: " : "", said);
    else if (WEXITSTATUS(g->m_status) != 0)
        measure_fail(g, "the measure command exited with status %d%s%s", WEXITSTATUS(g->m_status),
                     said[0] ? "; it said: " : "", said);
}

/* ---- progress */

static void progress(struct runner *rn, const struct boot *done)
{
    struct run *run = rn->run;
    char tag[RUNFILE_NAME_MAX + 32];
    unsigned running = 0;

    if (run->opt.quiet)
        return;
    for (size_t i = 0; i < rn->slots; i++)
        running += rn->g[i].boot != NULL;
    if (rn->tty && run->opt.progress != 0) {
        unsigned el = (unsigned)((now_ms() - run->t0_ms) / 1000);
        fprintf(stderr, "\r\033[K%s: [%u/%u] ok %u, failed %u, running %u, %um%02us", PROGRAM,
                rn->finished, rn->total, run->n_ok, run->n_failed, running, el / 60, el % 60);
        if (done && done->result != BOOT_OK) {
            boot_tag(run, done, tag, sizeof tag);
            fprintf(stderr, "\r\033[K%s: %s %s: %s\n", PROGRAM, tag, boot_result_name(done->result),
                    done->reason);
        }
        fflush(stderr);
        return;
    }
    if (!done)
        return;
    boot_tag(run, done, tag, sizeof tag);
    if (done->result == BOOT_OK) {
        const struct metric *m = boot_metric(done, run->configs[done->config].headline);
        const struct metric *w = boot_metric(done, "wall");
        fprintf(stderr, "%s: [%u/%u] %s ok: %s %.2f s, wall %.2f s\n", PROGRAM, rn->finished,
                rn->total, tag, run->configs[done->config].headline, m ? m->ms / 1000 : 0,
                w ? w->ms / 1000 : 0);
    } else {
        fprintf(stderr, "%s: [%u/%u] %s %s: %s\n", PROGRAM, rn->finished, rn->total, tag,
                boot_result_name(done->result), done->reason);
    }
}

/* ---- the loop */

static int block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGCHLD);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGQUIT);
    if (sigprocmask(SIG_BLOCK, set, NULL) < 0)
        return -errno;
    return 0;
}

static void handle_signals(struct runner *rn)
{
    struct signalfd_siginfo si;

    while (read(rn->sigfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD)
            continue;
        if (rn->run->interrupted) {
            /* asked twice: no more grace */
            for (size_t i = 0; i < rn->slots; i++)
                if (rn->g[i].boot && !rn->g[i].reaped)
                    kill(-rn->g[i].pid, SIGKILL), kill(rn->g[i].pid, SIGKILL);
            continue;
        }
        rn->run->interrupted = (int)si.ssi_signo;
        if (!rn->run->opt.quiet)
            fprintf(stderr, "%s%s: %s: stopping every guest\n", rn->tty ? "\r\033[K" : "", PROGRAM,
                    strsignal((int)si.ssi_signo));
    }
    for (size_t i = 0; i < rn->slots; i++) {
        struct guest *g = &rn->g[i];
        if (g->boot && !g->reaped && waitpid(g->pid, &g->status, WNOHANG) == g->pid)
            g->reaped = true;
        if (g->boot && measure_running(g) && waitpid(g->mpid, &g->m_status, WNOHANG) == g->mpid)
            measure_end(rn, g);
    }
}

static bool waits_for_exit(const struct guest *g)
{
    return g->decided && g->boot->result == BOOT_OK && g->cr->cfg.wait_exit && !g->ls.probe;
}

static void tick(struct runner *rn, struct guest *g, uint64_t now)
{
    char missing[512];

    if (!g->decided && rn->run->interrupted) {
        g->boot->result = BOOT_INTERRUPTED;
        snprintf(g->boot->reason, sizeof g->boot->reason, "the run was interrupted (%s)",
                 strsignal(rn->run->interrupted));
        g->decided = true;
    }
    if (rn->run->interrupted)
        g->released = true;
    /* the measure command: bounded by the timeout, ended with the run */
    if (measure_running(g) && !g->m_stopping && (now >= g->m_deadline || rn->run->interrupted)) {
        g->boot->measure_timed_out = now >= g->m_deadline;
        kill(-g->mpid, SIGTERM);
        g->m_stopping = true;
        g->m_kill_at = now + KILL_GRACE_MS;
    }
    if (measure_running(g) && g->m_stopping && now >= g->m_kill_at) {
        kill(-g->mpid, SIGKILL);
        g->m_kill_at = now + KILL_GRACE_MS;
    }
    if (!g->decided && g->ls.failure && now >= g->grace_until)
        decide(rn, g, BOOT_FAILED, now);
    if (!g->decided && now >= g->deadline) {
        unsigned t = g->ls.probe ? rn->run->opt.kvm_probe_timeout_s : g->cr->cfg.timeout_s;
        line_missing(&g->ls, missing, sizeof missing);
        strfmt(g->boot->reason, sizeof g->boot->reason, "timed out after %u s waiting for %s", t,
               missing);
        decide(rn, g, BOOT_TIMEOUT, now);
    }
    /* wait-exit: a successful guest may go on until it ends by itself, or its timeout */
    if (g->decided && g->released && !g->reaped &&
        (!waits_for_exit(g) || now >= g->deadline || rn->run->interrupted))
        guest_stop(g, now);
    if (g->stopping && !g->reaped && now >= g->kill_at) {
        kill(-g->pid, SIGKILL);
        kill(g->pid, SIGKILL);
        g->kill_at = now + KILL_GRACE_MS;
    }
}

/* What loop() runs: the run's boots, or the KVM probe alone. */
struct batch {
    struct boot *queue;
    size_t n;
    struct config_run *cfgs; /* by boot->config; the probe's is cfgs[0] */
    const char *accel;
    bool probe;
};

/* Nothing left to do for its boot but stopping it: decided, and measured if it booted. */
static bool guest_settled(const struct guest *g)
{
    return g->decided && (g->boot->result != BOOT_OK || !has_measure(g) || g->m_done);
}

static bool group_pending(const struct batch *bt, unsigned group)
{
    for (size_t i = 0; i < bt->n; i++)
        if (bt->queue[i].group == group && bt->queue[i].result == BOOT_PENDING)
            return true;
    return false;
}

/* --hold: b may start when the guests up are of its group (the group before it is gone) and,
 * staggered, each of them booted and was measured. */
static bool hold_may_start(const struct runner *rn, const struct boot *b)
{
    for (size_t i = 0; i < rn->slots; i++) {
        const struct guest *o = &rn->g[i];
        if (!o->boot)
            continue;
        if (o->boot->group != b->group)
            return false;
        if (rn->run->opt.hold == HOLD_STAGGERED && !guest_settled(o))
            return false;
    }
    return true;
}

static struct boot *next_boot(struct runner *rn, const struct batch *bt)
{
    bool hold = !bt->probe && rn->run->opt.hold != HOLD_NONE;

    for (size_t i = 0; i < bt->n; i++) {
        struct boot *b = &bt->queue[i];
        if (b->result != BOOT_PENDING)
            continue;
        /* held groups start in their order */
        if (hold)
            return hold_may_start(rn, b) && can_start(rn, b) ? b : NULL;
        if (can_start(rn, b))
            return b;
    }
    return NULL;
}

/* --hold: g may be measured once every guest of its group that started has ended its boot,
 * after the guests before it, one at a time. */
static bool may_measure(const struct runner *rn, const struct guest *g)
{
    for (size_t i = 0; i < rn->slots; i++) {
        const struct guest *o = &rn->g[i];
        if (!o->boot || o == g || o->boot->group != g->boot->group)
            continue;
        if (!o->decided || measure_running(o))
            return false;
        if (o->boot->guest < g->boot->guest && !guest_settled(o))
            return false;
    }
    return true;
}

/* After success: the measure command, then the guest's release (stopped), at once or, with
 * --hold, with its whole group. */
static void advance(struct runner *rn, const struct batch *bt, uint64_t now)
{
    bool hold = !bt->probe && rn->run->opt.hold != HOLD_NONE, complete = hold;
    unsigned group = 0;

    for (size_t i = 0; i < rn->slots; i++) {
        struct guest *g = &rn->g[i];
        if (!g->boot || g->ls.probe)
            continue;
        group = g->boot->group;
        if (g->released)
            continue;
        if (g->decided && g->boot->result == BOOT_OK && has_measure(g) && !g->m_started &&
            !rn->run->interrupted) {
            if (g->reaped || g->stopping) {
                measure_fail(g, "the guest ended (QEMU exited) before its measure command ran");
                g->m_started = g->m_done = true;
            } else if (!hold || may_measure(rn, g)) {
                measure_start(rn, g, now);
            }
        }
        if (!guest_settled(g)) {
            complete = false;
            continue;
        }
        if (!hold || g->boot->result != BOOT_OK)
            g->released = true;
    }
    if (!complete || group == 0 || group_pending(bt, group))
        return;
    for (size_t i = 0; i < rn->slots; i++)
        if (rn->g[i].boot)
            rn->g[i].released = true;
}

static void count_finished(struct runner *rn, const struct batch *bt, struct boot *done)
{
    if (bt->probe)
        return;
    rn->finished++;
    if (done->result == BOOT_OK)
        rn->run->n_ok++;
    else
        rn->run->n_failed++;
    progress(rn, done);
}

/* Start boots while a slot is free and the next one may start (its files are not in use). */
static void start_guests(struct runner *rn, const struct batch *bt)
{
    struct boot *b;

    while (!rn->run->interrupted && (b = next_boot(rn, bt))) {
        struct guest *slot = NULL;
        for (size_t i = 0; i < rn->slots && !slot; i++)
            if (!rn->g[i].boot)
                slot = &rn->g[i];
        if (!slot)
            return;
        if (guest_start(rn, slot, b, &bt->cfgs[bt->probe ? 0 : b->config], bt->accel, bt->probe) <
            0) {
            slot->boot = NULL;
            count_finished(rn, bt, b);
        }
    }
}

/* Timeouts, stops and ends of every running guest; fills pfd/map with the consoles to read
 * and lowers *wake to the next moment something is due. Returns how many still run. */
static size_t service_guests(struct runner *rn, const struct batch *bt, uint64_t now,
                             uint64_t *wake, struct pollfd *pfd, size_t *map, size_t *np)
{
    size_t running = 0;

    *np = 0;
    advance(rn, bt, now);
    for (size_t i = 0; i < rn->slots; i++) {
        struct guest *g = &rn->g[i];
        if (!g->boot)
            continue;
        tick(rn, g, now);
        if (g->reaped && !measure_running(g)) {
            struct boot *done = g->boot;
            guest_finish(rn, g);
            count_finished(rn, bt, done);
            continue;
        }
        running++;
        if (g->grace_until && !g->decided && g->grace_until < *wake)
            *wake = g->grace_until;
        if ((!g->decided || waits_for_exit(g)) && g->deadline < *wake)
            *wake = g->deadline;
        if (g->stopping && g->kill_at < *wake)
            *wake = g->kill_at;
        if (measure_running(g) && (g->m_stopping ? g->m_kill_at : g->m_deadline) < *wake)
            *wake = g->m_stopping ? g->m_kill_at : g->m_deadline;
        if (g->console_fd >= 0) {
            pfd[*np].fd = g->console_fd;
            pfd[*np].events = POLLIN;
            map[(*np)++] = i;
        }
    }
    return running;
}

/* Run the boots of a batch to their ends, at most rn->slots at once. */
static int loop(struct runner *rn, const struct batch *bt)
{
    struct pollfd pfd[1 + 64];
    size_t map[64];

    for (;;) {
        uint64_t now = now_ms(), wake = now + 1000;
        size_t np;
        int r;

        start_guests(rn, bt);
        if (service_guests(rn, bt, now, &wake, pfd + 1, map, &np) == 0 &&
            (rn->run->interrupted || !next_boot(rn, bt)))
            break;
        pfd[0].fd = rn->sigfd;
        pfd[0].events = POLLIN;
        now = now_ms();
        r = poll(pfd, 1 + np, wake > now ? (int)(wake - now) : 0);
        if (r < 0 && errno != EINTR)
            return -errno;
        for (size_t k = 0; r > 0 && k < np; k++) {
            struct guest *g = &rn->g[map[k]];
            if ((pfd[1 + k].revents & (POLLIN | POLLHUP | POLLERR)) && !guest_read(rn, g)) {
                close(g->console_fd);
                g->console_fd = -1;
            }
        }
        /* signals, and exits whose SIGCHLD is not read yet */
        handle_signals(rn);
        if (rn->tty && !bt->probe && now_ms() - rn->last_progress >= 1000) {
            rn->last_progress = now_ms();
            progress(rn, NULL);
        }
    }
    for (size_t i = 0; i < bt->n; i++)
        if (bt->queue[i].result == BOOT_PENDING) {
            bt->queue[i].result = BOOT_SKIPPED;
            snprintf(bt->queue[i].reason, sizeof bt->queue[i].reason,
                     "not started: the run was interrupted");
        }
    return rn->run->interrupted ? -EINTR : 0;
}

/* ---- before the boots */

static int check_readable(const char *what, const char *path, const char *config)
{
    struct stat st;

    if (!path)
        return 0;
    if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
        return log_error_errno(errno, "[%s] %s %s: %m", config, what, path);
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        return log_error_errno(EINVAL, "[%s] %s %s: not a file or block device", config, what,
                               path);
    }
    return 0;
}

/* A virtio-pmem base is a file mapped into the guest in 2 MiB sections. */
static int check_pmem(const struct bt_config *c)
{
    struct stat st;

    if (!c->base || c->base_device != BASE_DEVICE_PMEM)
        return 0;
    if (stat(c->base, &st) < 0)
        return log_error_errno(errno, "[%s] base %s: %m", c->name, c->base);
    if (!S_ISREG(st.st_mode))
        return log_error_errno(EINVAL,
                               "[%s] base %s: base-device = virtio-pmem maps a file, not a "
                               "device",
                               c->name, c->base);
    if (st.st_size == 0 || (uint64_t)st.st_size % PMEM_ALIGN != 0)
        return log_error_errno(EINVAL,
                               "[%s] base %s: base-device = virtio-pmem needs a size that is a "
                               "multiple of 2 MiB (it has %lld bytes); pad a copy with "
                               "'truncate -s %%2M' (sharedroot-mkbase pads its images)",
                               c->name, c->base, (long long)st.st_size);
    return 0;
}

/* The base's format from its header (never an instance disk's: a guest writes those), and how
 * QEMU is to read it; the warning of base-format = raw on a container only once per file. */
static int check_base_format(struct run *run, size_t i)
{
    struct bt_config *c = &run->configs[i].cfg;
    enum img_format detected, use;
    char msg[1024];
    bool warn;
    int r;

    if (!c->base)
        return 0;
    _cleanup_close_ int fd = open(c->base, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return log_error_errno(errno, "[%s] base %s: %m", c->name, c->base);
    r = img_format_detect(fd, &detected);
    if (r < 0)
        return log_error_errno(r, "[%s] base %s: cannot read its header: %m", c->name, c->base);
    r = base_format_decide(c, detected, &use, &warn, msg, sizeof msg);
    if (r < 0)
        return log_error_errno(r, "[%s] base %s: %s", c->name, c->base, msg);
    c->base_detected = detected;
    c->base_img = use;
    if (use == IMG_FORMAT_QCOW2) {
        char why[WHY_MAX] = "";
        r = qcow2_chain_check(c->base, NULL, why, sizeof why);
        if (r < 0)
            return log_error_errno(r,
                                   "[%s] base %s: not booted: %s (QEMU opens a qcow2 base's "
                                   "whole chain of backing files when the guest boots); boot a "
                                   "self-contained copy made where the image is trusted: "
                                   "qemu-img convert -O qcow2 %s FLAT.qcow2",
                                   c->name, c->base, why, c->base);
    }
    for (size_t k = 0; warn && k < i; k++) {
        const struct bt_config *o = &run->configs[k].cfg;
        if (o->base && strcmp(o->base, c->base) == 0 && o->base_format == BASE_FORMAT_RAW)
            warn = false;
    }
    if (warn)
        log_warning("[%s] base %s: %s", c->name, c->base, msg);
    return 0;
}

/* The root of a base (raw or qcow2) that holds a partition table (a cloud image) and no root
 * given: decided here, once per configuration, from the table as the guest will see it (the
 * file opened read-only, a qcow2 one read through qemu-img, qcow2view.h; instance and extra
 * disks are never read: a guest writes those). A
 * table that cannot be read leaves root=/dev/vda, as without one: the guest's kernel and
 * sharedroot-init say what they find. */
static int check_base_root(struct run *run, size_t i)
{
    struct bt_config *c = &run->configs[i].cfg;
    struct disk d = {0};
    char spec[64], msg[16384], why[WHY_MAX] = "";
    int r;

    if (!c->base || (c->base_img != IMG_FORMAT_RAW && c->base_img != IMG_FORMAT_QCOW2))
        return 0;
    if (c->root || cmdline_has(c->append ? c->append : "", "root="))
        return 0;
    if (c->base_img == IMG_FORMAT_QCOW2) {
        r = qcow2_disk_probe(c->base, &d, why, sizeof why);
    } else {
        _cleanup_close_ int fd = open(c->base, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
            return log_error_errno(errno, "[%s] base %s: %m", c->name, c->base);
        off_t size = lseek(fd, 0, SEEK_END);
        if (size < 0)
            return log_error_errno(errno, "[%s] base %s: cannot read its size: %m", c->name,
                                   c->base);
        r = disk_probe(fd, (uint64_t)size, &d, why, sizeof why);
    }
    if (r < 0) {
        log_warning("[%s] base %s: its partition table cannot be read: %s; root=%s as for a "
                    "base without one (give --root when the root is on a partition)",
                    c->name, c->base, why, base_disk_name(c));
        return 0;
    }
    r = root_decide(r > 0 ? &d : NULL, c, spec, sizeof spec, msg, sizeof msg);
    disk_done(&d);
    if (r < 0) {
        /* the reason, then the partitions: one log line each */
        char *save = NULL, *line = strtok_r(msg, "\n", &save);
        log_error("[%s] base %s: %s", c->name, c->base, line ? line : "");
        while ((line = strtok_r(NULL, "\n", &save)))
            log_error("[%s] %s", c->name, line);
        return -EINVAL;
    }
    if (r == 0)
        return 0;
    c->root_auto = strdup(spec);
    c->root_from = strdup(msg);
    if (!c->root_auto || !c->root_from)
        return log_error_errno(ENOMEM, "[%s] out of memory", c->name);
    if (!run->opt.quiet)
        log_notice("[%s] base %s: root=%s, chosen from its partition table: %s (--root or "
                   "root = names another)",
                   c->name, c->base, spec, msg);
    return 0;
}

static int check_inputs(struct run *run)
{
    int r = 0;

    for (size_t i = 0; i < run->n_configs; i++) {
        const struct bt_config *c = &run->configs[i].cfg;
        int e = 0;
        e = e ?: check_readable("kernel", c->kernel, c->name);
        e = e ?: check_readable("initrd", c->initrd, c->name);
        e = e ?: check_readable("base", c->base, c->name);
        e = e ?: check_base_format(run, i);
        e = e ?: check_pmem(c);
        e = e ?: check_base_root(run, i);
        if (c->instance.kind == DISK_FILE || c->instance.kind == DISK_COPY)
            e = e ?: check_readable("instance", c->instance.path, c->name);
        for (size_t k = 0; k < c->n_disks; k++)
            if (c->disks[k].path)
                e = e ?: check_readable("disk", c->disks[k].path, c->name);
        if (c->instance.kind == DISK_FILE && access(c->instance.path, W_OK) < 0) {
            log_error_errno(errno, "[%s] instance %s: %m (the guest writes it)", c->name,
                            c->instance.path);
            e = -EACCES;
        }
        if (e < 0 && r == 0)
            r = e;
    }
    return r;
}

static int build_initrds(struct run *run, const char *out)
{
    char *mk = NULL;
    int r = 0;

    for (size_t i = 0; i < run->n_configs && r == 0; i++) {
        struct config_run *cr = &run->configs[i];
        char kver[128], img[PATH_MAX + 64], log[PATH_MAX + 64];

        if (!cr->cfg.build_initrd) {
            if (cr->cfg.initrd && !(cr->initrd_used = strdup(cr->cfg.initrd)))
                r = -ENOMEM;
            continue;
        }
        /* one image per kernel and arguments */
        for (size_t j = 0; j < i && !cr->initrd_used; j++) {
            const struct bt_config *o = &run->configs[j].cfg;
            if (o->build_initrd && strcmp(o->kernel, cr->cfg.kernel) == 0 &&
                strcmp(o->mkinitramfs_args ? o->mkinitramfs_args : "",
                       cr->cfg.mkinitramfs_args ? cr->cfg.mkinitramfs_args : "") == 0 &&
                run->configs[j].initrd_used) {
                cr->initrd_used = strdup(run->configs[j].initrd_used);
                cr->kver = run->configs[j].kver ? strdup(run->configs[j].kver) : NULL;
            }
        }
        if (cr->initrd_used)
            continue;
        if (!mk) {
            mk = run->opt.mkinitramfs ? strdup(run->opt.mkinitramfs)
                                      : find_program("sharedroot-mkinitramfs", "../initramfs");
            if (!mk) {
                r = log_error_errno(ENOENT,
                                    "[%s] initrd = build: sharedroot-mkinitramfs not found beside "
                                    "this program or in PATH; give it with --mkinitramfs PATH",
                                    cr->cfg.name);
                break;
            }
        }
        r = kernel_version_of(cr->cfg.kernel, kver, sizeof kver);
        if (r < 0) {
            log_error_errno(
                r,
                "[%s] initrd = build: cannot read the kernel version from %s (not an "
                "x86 bzImage?): %m; build the initramfs yourself and give initrd = FILE",
                cr->cfg.name, cr->cfg.kernel);
            break;
        }
        cr->kver = strdup(kver);
        snprintf(img, sizeof img, "%s/initrd/%s.img", out, cr->cfg.name);
        snprintf(log, sizeof log, "%s/initrd/%s.log", out, cr->cfg.name);
        /* sharedroot-mkinitramfs -o IMG --kver KVER ARGS... */
        char *argv[64] = {mk, "-o", img, "--kver", kver};
        size_t n = 5;
        char *words = cr->cfg.mkinitramfs_args ? strdup(cr->cfg.mkinitramfs_args) : NULL;
        for (char *save = NULL, *w = words ? strtok_r(words, " ", &save) : NULL; w && n < 63;
             w = strtok_r(NULL, " ", &save))
            argv[n++] = w;
        argv[n] = NULL;
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (!run->opt.quiet)
            log_notice("[%s] building an initramfs for %s with %s", cr->cfg.name, kver, mk);
        int st = run_helper(argv, fd);
        if (fd >= 0)
            close(fd);
        free(words);
        if (st != 0) {
            r = log_error_errno(EIO, "[%s] %s failed (status %d); its output is in %s",
                                cr->cfg.name, mk, st, log);
            break;
        }
        cr->initrd_used = strdup(img);
    }
    free(mk);
    return r;
}

static void qemu_version(struct run *run)
{
    char *argv[] = {(char *)run->opt.qemu, "--version", NULL};
    int p[2];

    if (pipe2(p, O_CLOEXEC) < 0)
        return;
    int st = run_helper(argv, p[1]);
    close(p[1]);
    ssize_t n = st == 0 ? read(p[0], run->qemu_version, sizeof run->qemu_version - 1) : 0;
    close(p[0]);
    if (n < 0)
        n = 0;
    run->qemu_version[n] = '\0';
    run->qemu_version[strcspn(run->qemu_version, "\n")] = '\0';
}

static int runner_open(struct run *run)
{
    struct runner *rn;
    sigset_t set;
    char path[PATH_MAX + 16];
    int r;

    if (run->runner)
        return 0;
    rn = calloc(1, sizeof *rn);
    if (!rn)
        return -ENOMEM;
    rn->sigfd = -1;
    run->runner = rn;
    r = block_signals(&set);
    if (r < 0)
        return r;
    rn->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (rn->sigfd < 0)
        return -errno;
    snprintf(rn->out, sizeof rn->out, "%s", run->opt.output);
    rn->slots = run->opt.jobs;
    rn->g = calloc(rn->slots, sizeof *rn->g);
    if (!rn->g)
        return -ENOMEM;
    snprintf(path, sizeof path, "%s/qemu.pids", rn->out);
    rn->pids = fopen(path, "we");
    rn->tty = isatty(2) && run->opt.progress != 0;
    rn->run = run;
    return 0;
}

void run_close(struct run *run)
{
    struct runner *rn = run->runner;

    if (!rn)
        return;
    if (rn->pids)
        fclose(rn->pids);
    if (rn->sigfd >= 0)
        close(rn->sigfd);
    free(rn->g);
    free(rn);
    run->runner = NULL;
}

static int probe_kvm(struct run *run, struct runner *rn)
{
    struct config_run probe_cfg = {0};
    struct boot b = {0};
    struct runner solo;
    int r;

    switch (run->opt.accel) {
    case ACCEL_TCG:
        run->accel_used = "tcg";
        snprintf(run->accel_note, sizeof run->accel_note, "TCG as asked (--accel tcg)");
        return 0;
    case ACCEL_KVM:
        run->accel_used = "kvm";
        snprintf(run->accel_note, sizeof run->accel_note, "KVM as asked (--accel kvm)");
        return 0;
    case ACCEL_AUTO:
        break;
    }
    run->accel_used = "tcg";
    /* a guest with the first kernel and nothing else must boot that kernel to its end (the
     * panic for want of a root filesystem) in time: /dev/kvm can be there and still be
     * useless (nested, or emulated slowly). Without /dev/kvm QEMU says so at once, and that
     * goes into the note. */
    probe_cfg.cfg.name = "kvm-probe";
    probe_cfg.cfg.kernel = run->configs[0].cfg.kernel;
    probe_cfg.cfg.memory_mb = 256;
    probe_cfg.cfg.cpus = 1;
    probe_cfg.cfg.timeout_s = run->opt.kvm_probe_timeout_s;
    b.result = BOOT_PENDING;
    b.exit_status = -1;
    solo = *rn;
    solo.slots = 1;
    r = loop(&solo, &(struct batch){&b, 1, &probe_cfg, "kvm", true});
    const struct metric *w = boot_metric(&b, "wall");
    if (b.result == BOOT_OK) {
        run->accel_used = "kvm";
        snprintf(run->accel_note, sizeof run->accel_note,
                 "KVM: a probe guest booted its kernel to the end in %.1f s", w ? w->ms / 1000 : 0);
    } else {
        strfmt(run->accel_note, sizeof run->accel_note, "TCG: the KVM probe failed: %s", b.reason);
    }
    boot_free(&b);
    return r;
}

int run_prepare(struct run *run)
{
    static const char *const dirs[] = {"", "/logs", "/work", "/initrd"};
    char path[PATH_MAX + 16];
    char *qemu;
    int r;

    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s%s", run->opt.output, dirs[i]);
        r = mkdir_p(path, 0755);
        if (r < 0) {
            return log_error_errno(r, "cannot create the output directory %s: %m", path);
        }
    }
    r = check_inputs(run);
    if (r < 0)
        return r;
    qemu = strchr(run->opt.qemu, '/') ? strdup(run->opt.qemu) : find_program(run->opt.qemu, NULL);
    if (!qemu || access(qemu, X_OK) < 0) {
        log_error("QEMU (%s) not found; install qemu-system-x86 or give --qemu PATH",
                  run->opt.qemu);
        free(qemu);
        return -ENOENT;
    }
    free(qemu);
    qemu_version(run);
    r = runner_open(run);
    if (r < 0) {
        return log_error_errno(r, "cannot set up signal handling: %m");
    }
    r = build_initrds(run, run->opt.output);
    if (r < 0)
        return r;
    r = probe_kvm(run, run->runner);
    if (!run->opt.quiet)
        log_notice("accelerator %s", run->accel_note);
    return r;
}

int run_boots(struct run *run)
{
    struct runner *rn = run->runner;
    int r;

    if (!rn)
        return -EINVAL;
    if (run->interrupted) {
        for (size_t i = 0; i < run->n_boots; i++)
            if (run->boots[i].result == BOOT_PENDING)
                run->boots[i].result = BOOT_SKIPPED;
        return -EINTR;
    }
    rn->total = (unsigned)run->n_boots;
    r = loop(rn, &(struct batch){run->boots, run->n_boots, run->configs, run->accel_used, false});
    if (rn->tty && !run->opt.quiet) {
        progress(rn, NULL);
        fputc('\n', stderr);
    }
    if (rn->pids)
        fclose(rn->pids);
    rn->pids = NULL;
    return r;
}
