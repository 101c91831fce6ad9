// SPDX-License-Identifier: GPL-2.0-or-later
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"
#include "json.h"
#include "log.h"
#include "thp.h"

/* ---- shared */

static const char *config_name(const struct run *run, const struct boot *b)
{
    return run->configs[b->config].cfg.name;
}

/* the tail of a boot in order, oldest first */
static size_t boot_tail(const struct boot *b, const char **out)
{
    size_t n = 0;

    for (size_t i = 0; i < TAIL_LINES; i++) {
        const char *l = b->tail[(b->tail_next + i) % TAIL_LINES];
        if (l)
            out[n++] = l;
    }
    return n;
}

/* ---- JSON */

static void json_num(FILE *f, double v)
{
    if (!isfinite(v))
        fputs("null", f);
    else if (v == floor(v) && fabs(v) < 1e15)
        fprintf(f, "%.0f", v);
    else
        fprintf(f, "%.3f", v);
}

static void json_key(FILE *f, const char *k)
{
    json_string(f, k);
    fputc(':', f);
}

static void json_summary(FILE *f, const struct summary *s)
{
    fprintf(f, "{\"n\":%zu,\"median\":", s->n);
    json_num(f, s->median);
    fputs(",\"min\":", f);
    json_num(f, s->min);
    fputs(",\"max\":", f);
    json_num(f, s->max);
    fputs(",\"mad\":", f);
    json_num(f, s->mad);
    fputc('}', f);
}

static void json_disk(FILE *f, const struct disk_spec *d)
{
    static const char *const kinds[] = {
        [DISK_NONE] = "none",   [DISK_FILE] = "file", [DISK_RO] = "ro",
        [DISK_FRESH] = "fresh", [DISK_COPY] = "copy",
    };
    fprintf(f, "{\"kind\":\"%s\",\"path\":", kinds[d->kind]);
    json_string_or_null(f, d->path);
    if (d->kind == DISK_FRESH)
        fprintf(f, ",\"size\":%llu", (unsigned long long)d->size);
    fputc('}', f);
}

static void json_patterns(FILE *f, const char *key, const struct pattern *p, size_t n)
{
    fputc(',', f);
    json_key(f, key);
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? "," : "", f);
        json_string(f, p[i].text);
    }
    fputc(']', f);
}

static void json_config(FILE *f, const struct config_run *cr, const char *accel)
{
    const struct bt_config *c = &cr->cfg;
    char *cmdline = guest_cmdline(c, accel && strcmp(accel, "tcg") == 0);

    fputs("{\"name\":", f);
    json_string(f, c->name);
    fputs(",\"kernel\":", f);
    json_string(f, c->kernel);
    fputs(",\"kver\":", f);
    json_string_or_null(f, cr->kver);
    fputs(",\"initrd\":", f);
    json_string_or_null(f, cr->initrd_used);
    fprintf(f, ",\"initrd_built\":%s,\"base\":", c->build_initrd ? "true" : "false");
    json_string_or_null(f, c->base);
    fputs(",\"instance\":", f);
    json_disk(f, &c->instance);
    fputs(",\"disks\":[", f);
    for (size_t i = 0; i < c->n_disks; i++) {
        fputs(i ? "," : "", f);
        json_disk(f, &c->disks[i]);
    }
    fprintf(f, "],\"base_device\":\"%s\"",
            c->base_device == BASE_DEVICE_PMEM ? "virtio-pmem" : "virtio-blk");
    /* as QEMU read the base, and what its header says (they differ with base-format = raw) */
    fputs(",\"base_format\":", f);
    json_string_or_null(f, c->base ? img_format_name(c->base_img) : NULL);
    fputs(",\"base_format_detected\":", f);
    json_string_or_null(f, c->base ? img_format_name(c->base_detected) : NULL);
    /* root= as chosen from the base's partition table, and what that partition is */
    fputs(",\"root_auto\":", f);
    if (c->root_auto) {
        char *s = NULL;
        if (asprintf(&s, "%s (%s)", c->root_auto, c->root_from) < 0)
            s = NULL;
        json_string_or_null(f, s);
        free(s);
    } else {
        fputs("null", f);
    }
    fprintf(f, ",\"memory_mb\":%u,\"cpus\":%u,\"timeout_s\":%u,\"cmdline\":", c->memory_mb, c->cpus,
            c->timeout_s);
    json_string_or_null(f, cmdline);
    fputs(",\"qemu_args\":", f);
    json_string_or_null(f, c->qemu_args);
    fputs(",\"qemu_arg\":[", f);
    for (size_t i = 0; i < c->n_qemu_arg; i++) {
        fputs(i ? "," : "", f);
        json_string(f, c->qemu_arg[i]);
    }
    fputc(']', f);
    fprintf(f, ",\"handoff\":%s,\"default_fail\":%s,\"wait_exit\":%s",
            c->handoff ? "true" : "false", c->default_fail ? "true" : "false",
            c->wait_exit ? "true" : "false");
    json_patterns(f, "expect", c->expect, c->n_expect);
    fputs(",\"time\":", f);
    json_string_or_null(f, c->time.text);
    json_patterns(f, "fail", c->fail, c->n_fail);
    fputs(",\"measure\":", f);
    json_string_or_null(f, c->measure);
    fprintf(f, ",\"boots_ok\":%u,\"boots_failed\":%u,\"headline\":\"%s\",\"metrics\":{", cr->ok,
            cr->failed, cr->headline);
    for (size_t i = 0; i < cr->n_stats; i++) {
        fputs(i ? "," : "", f);
        json_key(f, cr->stats[i].name);
        json_summary(f, &cr->stats[i].s);
    }
    fputs("}}", f);
    free(cmdline);
}

/* ,"NAME_status":N,"NAME_signal":null (exited), null and the signal (killed), or two nulls
 * (status -1: not known, or never ran) */
static void json_wait_status(FILE *f, const char *name, int status)
{
    if (status >= 0 && WIFEXITED(status))
        fprintf(f, ",\"%s_status\":%d,\"%s_signal\":null", name, WEXITSTATUS(status), name);
    else if (status >= 0 && WIFSIGNALED(status))
        fprintf(f, ",\"%s_status\":null,\"%s_signal\":%d", name, name, WTERMSIG(status));
    else
        fprintf(f, ",\"%s_status\":null,\"%s_signal\":null", name, name);
}

static void json_boot(FILE *f, const struct run *run, const struct boot *b)
{
    const char *tail[TAIL_LINES];
    size_t nt = boot_tail(b, tail);

    fputs("{\"config\":", f);
    json_string(f, config_name(run, b));
    fprintf(f,
            ",\"rep\":%u,\"warmup\":%s,\"group\":%u,\"guest\":%u,\"result\":\"%s\",\"ok\":%s,"
            "\"reason\":",
            b->rep, b->warmup ? "true" : "false", b->group, b->guest, boot_result_name(b->result),
            b->result == BOOT_OK ? "true" : "false");
    json_string_or_null(f, b->reason[0] ? b->reason : NULL);
    fprintf(f, ",\"pid\":%d", (int)b->pid);
    json_wait_status(f, "qemu", b->exit_status);
    fputs(",\"log\":", f);
    json_string_or_null(f, b->log_rel[0] ? b->log_rel : NULL);
    fputs(",\"mode\":", f);
    json_string_or_null(f, b->mode[0] ? b->mode : NULL);
    fputs(",\"handoff_line\":", f);
    json_string_or_null(f, b->handoff_line);
    fprintf(f, ",\"console_lines\":%llu,\"host_load\":", (unsigned long long)b->console_lines);
    if (b->host_load >= 0)
        fprintf(f, "%.2f", b->host_load);
    else
        fputs("null", f);
    fputs(",\"metrics\":{", f);
    for (size_t i = 0; i < b->n_metrics; i++) {
        fputs(i ? "," : "", f);
        json_key(f, b->metrics[i].name);
        json_num(f, b->metrics[i].ms);
    }
    fputc('}', f);
    json_wait_status(f, "measure", b->measure_status);
    fprintf(f, ",\"measure_timed_out\":%s,\"measured\":", b->measure_timed_out ? "true" : "false");
    if (b->measured) {
        fputc('{', f);
        for (size_t i = 0; i < b->measured->n; i++) {
            fputs(i ? "," : "", f);
            json_key(f, b->measured->v[i].key);
            json_string(f, b->measured->v[i].value);
        }
        fprintf(f, "},\"measure_ignored_lines\":%u", b->measured->ignored);
    } else {
        fputs("null,\"measure_ignored_lines\":0", f);
    }
    fputs(",\"tail\":[", f);
    for (size_t i = 0; i < nt; i++) {
        fputs(i ? "," : "", f);
        json_string(f, tail[i]);
    }
    fputs("]}", f);
}

void report_json(FILE *f, const struct run *run)
{
    const struct baseline_result *bl = &run->baseline;

    fprintf(f, "{\"format\":\"sharedroot-boottest\",\"version\":%d,\"tool_version\":",
            REPORT_FORMAT_VERSION);
    json_string(f, SHAREDROOT_VERSION);
    fputs(",\"started\":", f);
    json_string(f, run->started);
    fputs(",\"duration_ms\":", f);
    json_num(f, round(run->duration_ms));
    fprintf(f, ",\"verdict\":\"%s\",\"interrupted\":", run_passed(run) ? "pass" : "fail");
    if (run->interrupted)
        json_string(f, strsignal(run->interrupted));
    else
        fputs("false", f);
    fputs(",\"accel\":", f);
    json_string_or_null(f, run->accel_used);
    fputs(",\"accel_note\":", f);
    json_string(f, run->accel_note);
    fputs(",\"qemu\":", f);
    json_string(f, run->qemu_version);
    fprintf(f,
            ",\"reps\":%u,\"warmup\":%u,\"jobs\":%u,\"hold\":\"%s\",\"thp_advice\":\"%s\","
            "\"threshold\":",
            run->opt.reps, run->opt.warmup, run->opt.jobs, hold_name(run->opt.hold),
            thp_advice_name(run->opt.thp_advice));
    json_num(f, run->opt.threshold);
    fputs(",\"min_delta_ms\":", f);
    json_num(f, run->opt.min_delta_ms);
    fprintf(f, ",\"boots_ok\":%u,\"boots_failed\":%u,\"configs\":[", run->n_ok, run->n_failed);
    for (size_t i = 0; i < run->n_configs; i++) {
        fputs(i ? "," : "", f);
        json_config(f, &run->configs[i], run->accel_used);
    }
    fputs("],\"boots\":[", f);
    for (size_t i = 0, first = 1; i < run->n_boots; i++) {
        fputs(first ? "" : ",\n", f);
        first = 0;
        json_boot(f, run, &run->boots[i]);
    }
    fputs("],\"baseline\":", f);
    if (!bl->loaded) {
        fputs("null}\n", f);
        return;
    }
    fputs("{\"file\":", f);
    json_string(f, bl->file);
    fprintf(f, ",\"regressions\":%u,\"comparisons\":[", bl->regressions);
    for (size_t i = 0; i < bl->n_cmp; i++) {
        const struct comparison *c = &bl->cmp[i];
        fputs(i ? "," : "", f);
        fputs("{\"config\":", f);
        json_string(f, c->config);
        fputs(",\"metric\":", f);
        json_string(f, c->metric);
        fputs(",\"baseline\":", f);
        json_summary(f, &c->base);
        fputs(",\"current\":", f);
        json_summary(f, &c->cur);
        fputs(",\"delta_ms\":", f);
        json_num(f, c->v.delta);
        fputs(",\"allowed_ms\":", f);
        json_num(f, c->v.allowed);
        fprintf(f, ",\"regressed\":%s}", c->v.regressed ? "true" : "false");
    }
    fputs("],\"notes\":[", f);
    for (size_t i = 0; i < bl->n_notes; i++) {
        fputs(i ? "," : "", f);
        json_string(f, bl->notes[i]);
    }
    fputs("]}}\n", f);
}

/* ---- text escaping for XML and Markdown */

enum text_kind { TEXT_XML, TEXT_MD_CELL, TEXT_MD_CODE };

/* s as valid UTF-8 without control characters (a byte that is not UTF-8 becomes U+FFFD, a
 * control a blank; XML cannot hold controls at all, so there they are U+FFFD too), with what
 * the format gives a meaning to escaped */
static void text_out(FILE *f, const char *s, enum text_kind kind)
{
    static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
        size_t n = utf8_len(p);
        if (n == 0 || *p < 0x20 || *p == 0x7f) {
            fputs(n == 0 || kind == TEXT_XML ? replacement : " ", f);
            p++;
            continue;
        }
        if (kind == TEXT_XML && strchr("&<>\"'", *p)) {
            fputs(*p == '&'   ? "&amp;"
                  : *p == '<' ? "&lt;"
                  : *p == '>' ? "&gt;"
                  : *p == '"' ? "&quot;"
                              : "&apos;",
                  f);
            p++;
            continue;
        }
        if (kind == TEXT_MD_CELL && strchr("|\\`<*_", *p))
            fputc('\\', f);
        fwrite(p, 1, n, f);
        p += n;
    }
}

void xml_text(FILE *f, const char *s)
{
    text_out(f, s, TEXT_XML);
}

void md_cell(FILE *f, const char *s)
{
    text_out(f, s, TEXT_MD_CELL);
}

static void md_raw(FILE *f, const char *s)
{
    text_out(f, s, TEXT_MD_CODE);
}

size_t md_longest_backticks(const char *s)
{
    size_t best = 0, run = 0;

    for (; s && *s; s++) {
        run = *s == '`' ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best;
}

/* ---- JUnit XML */

void report_junit(FILE *f, const struct run *run)
{
    const struct baseline_result *bl = &run->baseline;
    unsigned tests = 0, boot_failures = 0, skipped = 0;

    for (size_t i = 0; i < run->n_boots; i++) {
        tests++;
        boot_failures += run->boots[i].result != BOOT_OK && run->boots[i].result != BOOT_SKIPPED;
        skipped += run->boots[i].result == BOOT_SKIPPED;
    }
    tests += (unsigned)bl->n_cmp;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f,
            "<testsuites name=\"sharedroot-boottest\" tests=\"%u\" failures=\"%u\" "
            "time=\"%.3f\">\n",
            tests, boot_failures + bl->regressions, run->duration_ms / 1000);
    fprintf(f,
            "<testsuite name=\"boots\" tests=\"%zu\" failures=\"%u\" skipped=\"%u\" "
            "timestamp=\"",
            run->n_boots, boot_failures, skipped);
    xml_text(f, run->started);
    fputs("\">\n<properties>\n<property name=\"accel\" value=\"", f);
    xml_text(f, run->accel_used);
    fputs("\"/>\n<property name=\"accel_note\" value=\"", f);
    xml_text(f, run->accel_note);
    fputs("\"/>\n<property name=\"qemu\" value=\"", f);
    xml_text(f, run->qemu_version);
    fputs("\"/>\n</properties>\n", f);
    for (size_t i = 0; i < run->n_boots; i++) {
        const struct boot *b = &run->boots[i];
        const struct metric *w = boot_metric(b, "wall");
        const char *tail[TAIL_LINES];
        size_t nt = boot_tail(b, tail);

        fputs("<testcase classname=\"boottest.", f);
        xml_text(f, config_name(run, b));
        fprintf(f, "\" name=\"%s%u\" time=\"%.3f\">", b->warmup ? "warmup-" : "boot-", b->rep,
                w ? w->ms / 1000 : 0.0);
        if (b->result == BOOT_SKIPPED) {
            fputs("<skipped message=\"", f);
            xml_text(f, b->reason);
            fputs("\"/>", f);
        } else if (b->result != BOOT_OK) {
            fprintf(f, "<failure type=\"%s\" message=\"", boot_result_name(b->result));
            xml_text(f, b->reason);
            fputs("\">", f);
            for (size_t k = 0; k < nt; k++) {
                xml_text(f, tail[k]);
                fputc('\n', f);
            }
            fputs("</failure>", f);
        }
        if (b->log_rel[0]) {
            fputs("<system-out>console: ", f);
            xml_text(f, b->log_rel);
            fputs("</system-out>", f);
        }
        fputs("</testcase>\n", f);
    }
    fputs("</testsuite>\n", f);
    if (bl->loaded) {
        fprintf(f, "<testsuite name=\"baseline\" tests=\"%zu\" failures=\"%u\">\n", bl->n_cmp,
                bl->regressions);
        for (size_t i = 0; i < bl->n_cmp; i++) {
            const struct comparison *c = &bl->cmp[i];
            fputs("<testcase classname=\"baseline.", f);
            xml_text(f, c->config);
            fputs("\" name=\"", f);
            xml_text(f, c->metric);
            fputs("\">", f);
            if (c->v.regressed)
                fprintf(f,
                        "<failure type=\"regression\" message=\"median %.1f ms against %.1f ms: "
                        "%+.1f ms, more than the %.1f ms allowed\"/>",
                        c->cur.median, c->base.median, c->v.delta, c->v.allowed);
            fputs("</testcase>\n", f);
        }
        fputs("</testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
}

/* ---- Markdown */

static void md_ms(FILE *f, const struct summary *s, bool seconds)
{
    if (!s || s->n == 0) {
        fputs(" – |", f);
        return;
    }
    if (seconds)
        fprintf(f, " **%.2f** [%.2f–%.2f] |", s->median / 1000, s->min / 1000, s->max / 1000);
    else
        fprintf(f, " %.0f [%.0f–%.0f] |", s->median, s->min, s->max);
}

static void md_stage_table(FILE *f, const struct run *run)
{
    const char *names[BOOT_MAX_METRICS];
    size_t n = 0;

    /* the union of every configuration's metrics, in report order */
    for (int pass = 0; pass < 2; pass++)
        for (size_t c = 0; c < run->n_configs; c++)
            for (size_t i = 0; i < run->configs[c].n_stats; i++) {
                const char *m = run->configs[c].stats[i].name;
                bool have = false;
                for (size_t k = 0; k < n; k++)
                    have |= strcmp(names[k], m) == 0;
                if (!have && n < BOOT_MAX_METRICS && (metric_rank(m) < 100) == (pass == 0))
                    names[n++] = m;
            }
    if (n == 0)
        return;
    /* known ones by rank */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && metric_rank(names[k - 1]) > metric_rank(names[k]); k--) {
            const char *t = names[k];
            names[k] = names[k - 1];
            names[k - 1] = t;
        }
    fputs("\n## Times per stage (ms: median [min–max])\n\n", f);
    fputs("*wall*: the host's time from starting QEMU to success; *kernel*: the kernel's "
          "timestamp of \"Run /init as init process\"; *time*: the guest's clock at the "
          "`time` pattern; *handoff*: the guest's uptime at sharedroot-init's handoff line; "
          "*init* and the stages: from that line (sharedroot-init(8)).\n\n",
          f);
    fputs("| configuration |", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, " %s |", names[i]);
    fputs("\n|---|", f);
    for (size_t i = 0; i < n; i++)
        fputs("---|", f);
    fputc('\n', f);
    for (size_t c = 0; c < run->n_configs; c++) {
        fputs("| ", f);
        md_cell(f, run->configs[c].cfg.name);
        fputs(" |", f);
        for (size_t i = 0; i < n; i++)
            md_ms(f, config_stat(&run->configs[c], names[i]), false);
        fputc('\n', f);
    }
}

static void md_baseline(FILE *f, const struct run *run)
{
    const struct baseline_result *bl = &run->baseline;

    if (!bl->loaded)
        return;
    fputs("\n## Against the baseline\n\n", f);
    fputs("Baseline: `", f);
    md_raw(f, bl->file);
    fprintf(f,
            "`. A metric regressed when its median grew by more than max(%.0f%% of the "
            "baseline median, %.0f ms) plus the MAD of both runs.\n\n",
            run->opt.threshold * 100, run->opt.min_delta_ms);
    if (bl->n_cmp) {
        fputs("| configuration | metric | baseline median (ms) | median (ms) | change | allowed "
              "| verdict |\n|---|---|---|---|---|---|---|\n",
              f);
        for (size_t i = 0; i < bl->n_cmp; i++) {
            const struct comparison *c = &bl->cmp[i];
            fputs("| ", f);
            md_cell(f, c->config);
            fputs(" | ", f);
            md_cell(f, c->metric);
            fprintf(f, " | %.1f | %.1f | %+.1f ms", c->base.median, c->cur.median, c->v.delta);
            if (c->base.median > 0)
                fprintf(f, " (%+.1f%%)", (c->v.ratio - 1) * 100);
            fprintf(f, " | %.1f ms | %s |\n", c->v.allowed, c->v.regressed ? "**SLOWER**" : "ok");
        }
    }
    for (size_t i = 0; i < bl->n_notes; i++) {
        fputs("\n- ", f);
        md_cell(f, bl->notes[i]);
    }
    if (bl->n_notes)
        fputc('\n', f);
}

/* What the measure commands printed: one row per boot, its KEY=VALUE pairs. */
static void md_measured(FILE *f, const struct run *run)
{
    bool any = false;

    for (size_t i = 0; i < run->n_boots; i++) {
        const struct boot *b = &run->boots[i];
        if (!b->measured || b->measured->n == 0)
            continue;
        if (!any)
            fputs("\n## Measured (the measure command's KEY=VALUE lines)\n\n"
                  "| configuration | boot | group/guest | values |\n|---|---|---|---|\n",
                  f);
        any = true;
        fputs("| ", f);
        md_cell(f, config_name(run, b));
        fprintf(f, " | %s%u | %u/%u | ", b->warmup ? "warm-up " : "#", b->rep, b->group, b->guest);
        for (size_t k = 0; k < b->measured->n; k++) {
            fputs(k ? ", " : "", f);
            md_cell(f, b->measured->v[k].key);
            fputc('=', f);
            md_cell(f, b->measured->v[k].value);
        }
        fputs(" |\n", f);
    }
}

static void md_failures(FILE *f, const struct run *run)
{
    bool any = false;

    for (size_t i = 0; i < run->n_boots; i++) {
        const struct boot *b = &run->boots[i];
        const char *tail[TAIL_LINES];
        size_t nt, fence = 3;

        if (b->result == BOOT_OK || b->result == BOOT_SKIPPED)
            continue;
        if (!any)
            fputs("\n## Failed boots\n", f);
        any = true;
        fputs("\n### ", f);
        md_cell(f, config_name(run, b));
        fprintf(f, " %s%u: %s\n\n", b->warmup ? "warm-up " : "#", b->rep,
                boot_result_name(b->result));
        md_cell(f, b->reason);
        fputs("\n\n", f);
        if (b->log_rel[0]) {
            fputs("Console: `", f);
            md_raw(f, b->log_rel);
            fputs("`", f);
        }
        nt = boot_tail(b, tail);
        if (nt == 0) {
            fputs(" (empty)\n", f);
            continue;
        }
        fprintf(f, ", its last %zu lines:\n\n", nt);
        for (size_t k = 0; k < nt; k++)
            if (md_longest_backticks(tail[k]) + 1 > fence)
                fence = md_longest_backticks(tail[k]) + 1;
        for (size_t k = 0; k < fence; k++)
            fputc('`', f);
        fputc('\n', f);
        for (size_t k = 0; k < nt; k++) {
            md_raw(f, tail[k]);
            fputc('\n', f);
        }
        for (size_t k = 0; k < fence; k++)
            fputc('`', f);
        fputc('\n', f);
    }
}

void report_markdown(FILE *f, const struct run *run)
{
    unsigned d = (unsigned)(run->duration_ms / 1000);

    fprintf(f, "# sharedroot-boottest: %s\n\n", run_passed(run) ? "PASS" : "FAIL");
    fprintf(f, "- started %s, took %um%02us; %u boots ok, %u failed", run->started, d / 60, d % 60,
            run->n_ok, run->n_failed);
    if (run->interrupted)
        fprintf(f, "; **interrupted** (%s)", strsignal(run->interrupted));
    fprintf(f,
            "\n- %u repetitions per configuration (after %u warm-up), interleaved, %u at "
            "once%s%s\n",
            run->opt.reps, run->opt.warmup, run->opt.jobs,
            run->opt.hold != HOLD_NONE ? ", held in groups: " : "",
            run->opt.hold != HOLD_NONE ? hold_name(run->opt.hold) : "");
    fputs("- accelerator: **", f);
    md_cell(f, run->accel_used ? run->accel_used : "none");
    fputs("** (", f);
    md_cell(f, run->accel_note);
    fputs(")\n- QEMU: ", f);
    md_cell(f, run->qemu_version);
    fputc('\n', f);
    if (run->baseline.loaded)
        fprintf(f, "- baseline: %u regression%s\n", run->baseline.regressions,
                run->baseline.regressions == 1 ? "" : "s");

    fputs("\n## Boot time (seconds: **median** [min–max])\n\n", f);
    fputs("| configuration | ok | failed | measured as | boot time | host wall |\n"
          "|---|---|---|---|---|---|\n",
          f);
    for (size_t c = 0; c < run->n_configs; c++) {
        const struct config_run *cr = &run->configs[c];
        fputs("| ", f);
        md_cell(f, cr->cfg.name);
        fprintf(f, " | %u | %u | %s |", cr->ok, cr->failed, cr->headline);
        md_ms(f, config_stat(cr, cr->headline), true);
        md_ms(f, config_stat(cr, "wall"), true);
        fputc('\n', f);
    }
    fputs("\n*handoff*: the guest's uptime when sharedroot-init handed over to the real init; "
          "*time*: the guest's clock at the configuration's `time` pattern; *wall*: the host's "
          "time from starting QEMU to success.\n",
          f);
    md_stage_table(f, run);
    md_measured(f, run);
    md_baseline(f, run);
    md_failures(f, run);
}

/* ---- writing them */

static int write_report(const struct run *run, const char *name,
                        void (*fn)(FILE *, const struct run *))
{
    char path[PATH_MAX + 32], tmp[PATH_MAX + 40];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", run->opt.output, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "we");
    if (!f) {
        return log_error_errno(errno, "cannot write %s: %m", tmp);
    }
    fn(f, run);
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0) {
        int r = -errno;
        fclose(f);
        unlink(tmp);
        return log_error_errno(r, "writing %s failed: %m", tmp);
    }
    fclose(f);
    if (rename(tmp, path) < 0) {
        return log_error_errno(errno, "cannot rename %s to %s: %m", tmp, path);
    }
    return 0;
}

static const char *const plot_stages[] = {"early",     "devices", "root",     "instance",
                                          "reconcile", "overlay", "tmp-swap", "switch"};
#define N_PLOT_STAGES (sizeof plot_stages / sizeof plot_stages[0])

static void plot_data(FILE *f, const struct run *run)
{
    fputs("# configuration median_s min_s max_s, then the stages' medians in ms:", f);
    for (size_t k = 0; k < N_PLOT_STAGES; k++)
        fprintf(f, " %s", plot_stages[k]);
    fputc('\n', f);
    for (size_t c = 0; c < run->n_configs; c++) {
        const struct config_run *cr = &run->configs[c];
        const struct summary *s = config_stat(cr, cr->headline);
        if (!s || !s->n)
            continue;
        fprintf(f, "%s %.4f %.4f %.4f", cr->cfg.name, s->median / 1000, s->min / 1000,
                s->max / 1000);
        for (size_t k = 0; k < N_PLOT_STAGES; k++) {
            const struct summary *st = config_stat(cr, plot_stages[k]);
            fprintf(f, " %.1f", st && st->n ? st->median : 0.0);
        }
        fputc('\n', f);
    }
}

static void plot_script(FILE *f, const struct run *run)
{
    const char *o = run->opt.output;
    char stage_words[128] = "";
    size_t n = 0;

    for (size_t k = 0; k < N_PLOT_STAGES; k++) {
        strcat(stage_words, k ? " " : "");
        strcat(stage_words, plot_stages[k]);
    }
    for (size_t c = 0; c < run->n_configs; c++) {
        const struct summary *s = config_stat(&run->configs[c], run->configs[c].headline);
        n += s && s->n;
    }
    fprintf(f,
            "set terminal pngcairo size 1200,520 noenhanced\n"
            "set output '%s/plot.png'\n"
            "set multiplot layout 1,2\n"
            "set title 'boot time per configuration (median, bars: min-max; %s)'\n"
            "set ylabel 'seconds'\n"
            "set style fill solid 0.6 border -1\n"
            "set boxwidth 0.6 absolute\n"
            "set xrange [-0.6:%zu.6]\n"
            "set xtics rotate by -30 left nomirror\n"
            "set grid ytics\n"
            "set yrange [0:*]\n"
            "set key below horizontal\n"
            "plot '%s/plot.dat' using 0:2:xtic(1) with boxes title 'median', \\\n"
            "     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt -1 title 'min-max'\n"
            "set title 'sharedroot-init per stage (median, ms)'\n"
            "set ylabel 'ms'\n"
            "set style data histograms\n"
            "set style histogram rowstacked\n"
            "set boxwidth 0.6 relative\n"
            "set key below horizontal\n"
            "stages = '%s'\n"
            "plot for [i=1:words(stages)] '%s/plot.dat' using (column(i + 4)):xtic(1) "
            "title word(stages, i)\n"
            "unset multiplot\n",
            o, run->accel_used ? run->accel_used : "", n ? n - 1 : 0, o, stage_words, o);
}

int reports_write(const struct run *run, char *note, size_t notesz)
{
    char *gnuplot;
    int r = 0;

    note[0] = '\0';
    r = r ?: write_report(run, "report.json", report_json);
    r = r ?: write_report(run, "junit.xml", report_junit);
    r = r ?: write_report(run, "summary.md", report_markdown);
    if (r < 0)
        return r;
    gnuplot = find_program("gnuplot", NULL);
    if (!gnuplot) {
        snprintf(note, notesz, "no plot: gnuplot is not installed");
        return 0;
    }
    r = write_report(run, "plot.dat", plot_data);
    r = r ?: write_report(run, "plot.gp", plot_script);
    if (r == 0) {
        char script[PATH_MAX + 16], log[PATH_MAX + 16];
        snprintf(script, sizeof script, "%s/plot.gp", run->opt.output);
        snprintf(log, sizeof log, "%s/logs/gnuplot.log", run->opt.output);
        char *argv[] = {gnuplot, script, NULL};
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int st = run_helper(argv, fd);
        if (fd >= 0)
            close(fd);
        if (st != 0)
            snprintf(note, notesz, "no plot: gnuplot failed (status %d), see %s", st, log);
    }
    free(gnuplot);
    return r;
}
