// SPDX-License-Identifier: GPL-2.0-or-later
#include "baseline.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

static bool get_number(json_object *o, const char *key, double *out)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v))
        return false;
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_double(v);
    return isfinite(*out);
}

static int parse_metric(json_object *o, struct summary *s)
{
    double n;

    memset(s, 0, sizeof *s);
    if (!json_object_is_type(o, json_type_object) || !get_number(o, "n", &n) ||
        !get_number(o, "median", &s->median) || !get_number(o, "min", &s->min) ||
        !get_number(o, "max", &s->max) || n < 0 || n > 1e9)
        return -EINVAL;
    if (!get_number(o, "mad", &s->mad))
        s->mad = 0;
    s->n = (size_t)n;
    return 0;
}

static int parse_config(json_object *o, struct base_config *c, char *err, size_t errsz)
{
    json_object *name, *metrics, *head;
    const char *s;

    memset(c, 0, sizeof *c);
    if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "name", &name) ||
        !json_object_is_type(name, json_type_string))
        return errmsg(err, errsz, "a configuration without a name");
    s = json_object_get_string(name);
    if (strlen(s) > RUNFILE_NAME_MAX)
        return errmsg(err, errsz, "a configuration name longer than %d bytes", RUNFILE_NAME_MAX);
    snprintf(c->name, sizeof c->name, "%s", s);
    if (json_object_object_get_ex(o, "headline", &head) &&
        json_object_is_type(head, json_type_string))
        snprintf(c->headline, sizeof c->headline, "%s", json_object_get_string(head));
    if (!json_object_object_get_ex(o, "metrics", &metrics))
        return 0;
    if (!json_object_is_type(metrics, json_type_object))
        return errmsg(err, errsz, "configuration %s: metrics is not an object", c->name);
    json_object_object_foreach(metrics, key, val)
    {
        if (c->n >= BOOT_MAX_METRICS || strlen(key) >= METRIC_NAME_MAX)
            continue;
        if (parse_metric(val, &c->m[c->n].s) < 0)
            return errmsg(err, errsz, "configuration %s, metric %s: needs n, median, min and max",
                          c->name, key);
        snprintf(c->m[c->n].name, METRIC_NAME_MAX, "%s", key);
        c->n++;
    }
    return 0;
}

int baseline_parse(const char *text, size_t len, struct base_run *out, char *err, size_t errsz)
{
    json_tokener *tok;
    json_object *root = NULL, *v, *configs;
    int r = 0;

    memset(out, 0, sizeof *out);
    if (len > BASELINE_MAX_BYTES || len > INT32_MAX)
        return errmsg(err, errsz, "larger than %u MiB", BASELINE_MAX_BYTES >> 20);
    tok = json_tokener_new_ex(64);
    if (!tok)
        return -ENOMEM;
    root = json_tokener_parse_ex(tok, text, (int)len);
    if (!root || json_tokener_get_error(tok) != json_tokener_success) {
        r = errmsg(err, errsz, "not JSON: %s",
                   json_tokener_error_desc(json_tokener_get_error(tok) == json_tokener_continue
                                               ? json_tokener_error_parse_eof
                                               : json_tokener_get_error(tok)));
        goto out;
    }
    if (tok->char_offset < (int)len &&
        strspn(text + tok->char_offset, " \t\r\n") != len - (size_t)tok->char_offset) {
        r = errmsg(err, errsz, "not JSON: text after the end of the document");
        goto out;
    }
    if (!json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "format", &v) ||
        !json_object_is_type(v, json_type_string) ||
        strcmp(json_object_get_string(v), "sharedroot-boottest") != 0) {
        r = errmsg(err, errsz,
                   "not a report of sharedroot-boottest (no \"format\": "
                   "\"sharedroot-boottest\")");
        goto out;
    }
    if (!json_object_object_get_ex(root, "version", &v) || !json_object_is_type(v, json_type_int) ||
        json_object_get_int(v) < 1 || json_object_get_int(v) > REPORT_FORMAT_VERSION) {
        r = errmsg(err, errsz, "report version %s is not one this program reads (1 to %d)",
                   v ? json_object_get_string(v) : "(none)", REPORT_FORMAT_VERSION);
        goto out;
    }
    if (!json_object_object_get_ex(root, "configs", &configs) ||
        !json_object_is_type(configs, json_type_array)) {
        r = errmsg(err, errsz, "no \"configs\" array");
        goto out;
    }
    out->n = json_object_array_length(configs);
    if (out->n > 4096) {
        r = errmsg(err, errsz, "more than 4096 configurations");
        goto out;
    }
    out->c = calloc(out->n ? out->n : 1, sizeof *out->c);
    if (!out->c) {
        r = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < out->n && r == 0; i++)
        r = parse_config(json_object_array_get_idx(configs, i), &out->c[i], err, errsz);
out:
    if (root)
        json_object_put(root);
    json_tokener_free(tok);
    if (r < 0)
        baseline_free(out);
    return r;
}

int baseline_load(const char *path, struct base_run *out, char *err, size_t errsz)
{
    struct stat st;
    _cleanup_free_ char *buf = NULL;
    size_t got = 0;
    ssize_t n;
    int r;

    memset(out, 0, sizeof *out);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        r = -errno;
        errmsg(err, errsz, "%s", strerror(-r));
        return r;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > BASELINE_MAX_BYTES)
        return errmsg(err, errsz, "not a regular file of at most %u MiB", BASELINE_MAX_BYTES >> 20);
    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return -ENOMEM;
    while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    r = baseline_parse(buf, got, out, err, errsz);
    return r;
}

void baseline_free(struct base_run *b)
{
    free(b->c);
    b->c = NULL;
    b->n = 0;
}

static int add_note(struct baseline_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int add_note(struct baseline_result *r, const char *fmt, ...)
{
    char **v = realloc(r->notes, (r->n_notes + 1) * sizeof *v);
    va_list ap;
    int n;

    if (!v)
        return -ENOMEM;
    r->notes = v;
    va_start(ap, fmt);
    n = vasprintf(&r->notes[r->n_notes], fmt, ap);
    va_end(ap);
    if (n < 0)
        return -ENOMEM;
    r->n_notes++;
    return 0;
}

static const struct base_config *find_config(const struct base_run *b, const char *name)
{
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->c[i].name, name) == 0)
            return &b->c[i];
    return NULL;
}

static const struct summary *find_metric(const struct base_config *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->m[i].name, name) == 0)
            return &c->m[i].s;
    return NULL;
}

int baseline_compare(struct run *run, const struct base_run *base, const char *file)
{
    struct baseline_result *res = &run->baseline;
    int r = 0;

    baseline_result_free(res);
    res->loaded = true;
    snprintf(res->file, sizeof res->file, "%s", file);
    res->cmp = calloc(run->n_configs * BOOT_MAX_METRICS + 1, sizeof *res->cmp);
    if (!res->cmp)
        return -ENOMEM;
    for (size_t i = 0; i < run->n_configs && r == 0; i++) {
        const struct config_run *cr = &run->configs[i];
        const struct base_config *bc = find_config(base, cr->cfg.name);

        if (!bc) {
            r = add_note(res, "configuration %s is not in the baseline", cr->cfg.name);
            continue;
        }
        if (cr->n_stats == 0) {
            r = add_note(res, "configuration %s: no successful boot to compare", cr->cfg.name);
            continue;
        }
        for (size_t m = 0; m < cr->n_stats; m++) {
            const char *name = cr->stats[m].name;
            const struct summary *bs = find_metric(bc, name);
            struct comparison *c;

            if (strcmp(name, "wall") == 0 && strcmp(cr->headline, "wall") != 0)
                continue;
            if (!bs || bs->n == 0 || cr->stats[m].s.n == 0)
                continue;
            c = &res->cmp[res->n_cmp++];
            snprintf(c->config, sizeof c->config, "%s", cr->cfg.name);
            snprintf(c->metric, sizeof c->metric, "%s", name);
            c->base = *bs;
            c->cur = cr->stats[m].s;
            compare_medians(&c->base, &c->cur, run->opt.threshold, run->opt.min_delta_ms, &c->v);
            res->regressions += c->v.regressed;
        }
    }
    for (size_t i = 0; i < base->n && r == 0; i++) {
        bool here = false;
        for (size_t k = 0; k < run->n_configs; k++)
            here |= strcmp(run->configs[k].cfg.name, base->c[i].name) == 0;
        if (!here)
            r = add_note(res, "configuration %s of the baseline was not run", base->c[i].name);
    }
    return r;
}

void baseline_result_free(struct baseline_result *r)
{
    free(r->cmp);
    for (size_t i = 0; i < r->n_notes; i++)
        free(r->notes[i]);
    free(r->notes);
    memset(r, 0, sizeof *r);
}
