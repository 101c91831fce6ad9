// SPDX-License-Identifier: GPL-2.0-or-later
#include "report.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "checks.h"
#include "json.h"

/* Text from the image (paths, hostnames, unit names) printed without control bytes. */
static void put_text(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7F)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
}

static void text_finding(FILE *out, const struct finding *f)
{
    fprintf(out, "%s: %s: ", severity_name(f->check->severity), f->check->id);
    put_text(out, f->path);
    fputc('\n', out);
    if (f->detail) {
        fputs("  found: ", out);
        put_text(out, f->detail);
        fputc('\n', out);
    }
    fprintf(out, "  problem: %s\n  fix: %s%s\n\n", f->check->problem, f->check->fix,
            f->check->apply ? " (--fix does this on a directory)" : "");
}

static void text_action(FILE *out, const struct action *a)
{
    fprintf(out, "%s: %s: ", a->error ? "fix failed" : "fixed", a->check->id);
    put_text(out, a->path);
    fputs(": ", out);
    put_text(out, a->what);
    fputc('\n', out);
}

void report_text(FILE *out, const struct report *r)
{
    if (r->partition) {
        char line[512];
        part_describe(r->partition, line, sizeof line);
        fprintf(out, "checked: %s partition ", r->pttype ? r->pttype : "");
        put_text(out, line);
        fputs("\n\n", out);
    }
    for (size_t i = 0; i < r->actions->n; i++)
        text_action(out, &r->actions->v[i]);
    if (r->actions->n)
        fputc('\n', out);
    for (size_t i = 0; i < r->findings->n; i++)
        text_finding(out, &r->findings->v[i]);
    for (size_t i = 0; i < r->notes->n; i++) {
        fputs("note: ", out);
        put_text(out, r->notes->v[i]);
        fputc('\n', out);
    }
    size_t errors = findings_count_errors(r->findings);
    size_t warnings = r->findings->n - errors;
    put_text(out, r->target);
    if (r->findings->n)
        fprintf(out, ": %zu error%s, %zu warning%s\n", errors, errors == 1 ? "" : "s", warnings,
                warnings == 1 ? "" : "s");
    else
        fputs(": no findings\n", out);
}

static void json_finding(FILE *out, const struct finding *f)
{
    fputs("{\"id\":", out);
    json_string(out, f->check->id);
    fputs(",\"severity\":", out);
    json_string(out, severity_name(f->check->severity));
    fputs(",\"path\":", out);
    json_string(out, f->path);
    fputs(",\"detail\":", out);
    json_string_or_null(out, f->detail);
    fputs(",\"problem\":", out);
    json_string(out, f->check->problem);
    fputs(",\"fix\":", out);
    json_string(out, f->check->fix);
    fprintf(out, ",\"autofix\":%s}", f->check->apply ? "true" : "false");
}

static void json_action(FILE *out, const struct action *a)
{
    fputs("{\"id\":", out);
    json_string(out, a->check->id);
    fputs(",\"path\":", out);
    json_string(out, a->path);
    fprintf(out, ",\"ok\":%s,\"action\":", a->error ? "false" : "true");
    json_string(out, a->what);
    fputc('}', out);
}

static void json_partition(FILE *out, const char *pttype, const struct part *p)
{
    if (!p) {
        fputs("null", out);
        return;
    }
    fputs("{\"table\":", out);
    json_string(out, pttype ? pttype : "");
    fprintf(out, ",\"number\":%d,\"start\":%llu,\"size\":%llu,\"type\":", p->number,
            (unsigned long long)p->start, (unsigned long long)p->size);
    json_string(out, p->type);
    fputs(",\"type_name\":", out);
    json_string_or_null(out, part_type_name(p->type));
    const char *const fields[][2] = {
        {"name", p->name}, {"partuuid", p->partuuid}, {"uuid", p->uuid}, {"label", p->label}};
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
        fprintf(out, ",\"%s\":", fields[i][0]);
        json_string_or_null(out, fields[i][1][0] ? fields[i][1] : NULL);
    }
    fputc('}', out);
}

void report_json(FILE *out, const struct report *r)
{
    fputs("{\"target\":", out);
    json_string(out, r->target);
    fputs(",\"kind\":", out);
    json_string(out, r->kind);
    fputs(",\"fstype\":", out);
    json_string_or_null(out, r->fstype);
    fputs(",\"partition\":", out);
    json_partition(out, r->pttype, r->partition);
    fputs(",\"findings\":[", out);
    for (size_t i = 0; i < r->findings->n; i++) {
        fputs(i ? ",\n" : "\n", out);
        json_finding(out, &r->findings->v[i]);
    }
    fputs("],\"fixed\":[", out);
    for (size_t i = 0; i < r->actions->n; i++) {
        fputs(i ? ",\n" : "\n", out);
        json_action(out, &r->actions->v[i]);
    }
    fputs("],\"notes\":[", out);
    for (size_t i = 0; i < r->notes->n; i++) {
        fputs(i ? "," : "", out);
        json_string(out, r->notes->v[i]);
    }
    size_t errors = findings_count_errors(r->findings);
    fprintf(out, "],\"errors\":%zu,\"warnings\":%zu}\n", errors, r->findings->n - errors);
}
