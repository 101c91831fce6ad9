// SPDX-License-Identifier: GPL-2.0-or-later
#include "state.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsio.h"
#include "util.h"

/* The state file sharedroot-init writes is a few KiB; anything much bigger is not one. */
#define STATE_MAX (1u << 20)
#define STATE_MAX_OVERLAYS 1024u

int rc_state_unquote(const char *v, char **out)
{
    struct rc_buf b = {0};
    size_t n = strlen(v);
    char q = n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0] ? v[0] : 0;
    const char *p = q ? v + 1 : v, *end = q ? v + n - 1 : v + n;
    int r = rc_buf_grow(&b, 0);
    for (; r >= 0 && p < end; p++) {
        if (q == '"' && *p == '\\' && p + 1 < end && strchr("\"\\$`", p[1]))
            p++;
        r = rc_buf_add(&b, p, 1);
    }
    if (r < 0) {
        rc_buf_done(&b);
        return r;
    }
    *out = b.data;
    return 0;
}

static const struct {
    const char *suffix;
    size_t offset;
} overlay_keys[] = {
    {"DIR", offsetof(struct rc_state_overlay, dir)},
    {"LOWER", offsetof(struct rc_state_overlay, lower)},
    {"UPPER", offsetof(struct rc_state_overlay, upper)},
    {"WORK", offsetof(struct rc_state_overlay, work)},
    {"STORE", offsetof(struct rc_state_overlay, store)},
    {"APPLIED", offsetof(struct rc_state_overlay, applied)},
};

/* State of one parse: where we are, for messages. */
struct parse {
    struct rc_state *st;
    unsigned line;
    char *why;
    size_t whylen;
};

static int bad(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct parse *p, const char *fmt, ...)
{
    if (p->why && p->whylen) {
        int n = p->line ? snprintf(p->why, p->whylen, "line %u: ", p->line) : 0;
        va_list ap;
        va_start(ap, fmt);
        if (n >= 0 && (size_t)n < p->whylen)
            vsnprintf(p->why + n, p->whylen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -EBADMSG;
}

static int grow_to(struct rc_state *st, size_t n)
{
    if (n <= st->n)
        return 0;
    struct rc_state_overlay *nv = reallocarray(st->ov, n, sizeof *nv);
    if (!nv)
        return -ENOMEM;
    memset(nv + st->n, 0, (n - st->n) * sizeof *nv);
    st->ov = nv;
    st->n = n;
    return 0;
}

static int set_count(struct parse *p, const char *val)
{
    char *end;
    unsigned long n = strtoul(val, &end, 10);
    if (*val < '0' || *val > '9' || *end || n > STATE_MAX_OVERLAYS)
        return bad(p, "OVERLAY_COUNT=\"%s\" is not a number from 0 to %u", val, STATE_MAX_OVERLAYS);
    return grow_to(p->st, n);
}

static int set_string(char **slot, const char *val)
{
    free(*slot);
    return (*slot = strdup(val)) ? 0 : -ENOMEM;
}

static int set_overlay_key(struct parse *p, const char *key, const char *val)
{
    char *end;
    const char *num = key + strlen("OVERLAY_");
    if (*num < '0' || *num > '9')
        return 0;
    unsigned long i = strtoul(num, &end, 10);
    if (*end != '_')
        return 0;
    if (i >= STATE_MAX_OVERLAYS)
        return bad(p, "%s: at most %u overlays", key, STATE_MAX_OVERLAYS);
    /* sharedroot-init writes OVERLAY_COUNT after the overlays' keys: any order is fine */
    int r = grow_to(p->st, i + 1);
    if (r < 0)
        return r;
    struct rc_state_overlay *o = &p->st->ov[i];
    if (strcmp(end + 1, "USERXATTR") == 0) {
        o->userxattr = strcmp(val, "1") == 0 || strcmp(val, "yes") == 0;
        return 0;
    }
    for (size_t k = 0; k < sizeof overlay_keys / sizeof *overlay_keys; k++) {
        if (strcmp(end + 1, overlay_keys[k].suffix) != 0)
            continue;
        /* An empty path is never a dir to use: it would open the working directory. */
        if (!*val && strcmp(overlay_keys[k].suffix, "APPLIED") != 0)
            return bad(p, "%s is empty (give a path, or leave the key out)", key);
        return set_string((char **)((char *)o + overlay_keys[k].offset), val);
    }
    return 0;
}

static int parse_line(struct parse *p, char *line)
{
    if (line[0] == '#' || line[0] == 0)
        return 0;
    char *eq = strchr(line, '=');
    if (!eq)
        return bad(p, "not KEY=VALUE");
    *eq = 0;
    _cleanup_free_ char *val = NULL;
    int r = rc_state_unquote(eq + 1, &val);
    if (r < 0)
        return r;
    if (strcmp(line, "OVERLAY_COUNT") == 0)
        return set_count(p, val);
    if (strncmp(line, "OVERLAY_", 8) == 0)
        return set_overlay_key(p, line, val);
    if (strcmp(line, "RECONCILE_IGNORE") == 0)
        return set_string(&p->st->ignore, val);
    return 0;
}

int rc_state_parse(const char *text, size_t len, struct rc_state *st, char *why, size_t whylen)
{
    struct parse p = {.st = st, .why = why, .whylen = whylen};
    *st = (struct rc_state){0};
    if (why && whylen)
        why[0] = 0;
    int r = 0;
    for (size_t off = 0; r >= 0 && off < len;) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
        p.line++;
        if (memchr(text + off, 0, n))
            r = bad(&p, "a NUL byte");
        _cleanup_free_ char *line = r >= 0 ? strndup(text + off, n) : NULL;
        if (r >= 0 && !line)
            r = -ENOMEM;
        if (r >= 0)
            r = parse_line(&p, line);
        off += n + 1;
    }
    for (size_t i = 0; r >= 0 && i < st->n; i++)
        if (!st->ov[i].lower || !st->ov[i].upper) {
            p.line = 0;
            r = bad(&p, "overlay %zu has no OVERLAY_%zu_%s", i, i,
                    st->ov[i].lower ? "UPPER" : "LOWER");
        }
    if (r < 0)
        rc_state_done(st);
    return r;
}

int rc_state_load(const char *path, struct rc_state *st, char *why, size_t whylen)
{
    *st = (struct rc_state){0};
    if (why && whylen)
        why[0] = 0;
    /* The state file is sharedroot-init's (on /run): no instance data is on its path. */
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    struct rc_buf b = {0};
    int r = rc_read_all(fileno(f), STATE_MAX, &b);
    if (r >= 0)
        r = rc_state_parse(b.data, b.len, st, why, whylen);
    else if (r == -EFBIG && why && whylen)
        snprintf(why, whylen, "larger than %u bytes: not a state file", STATE_MAX);
    rc_buf_done(&b);
    return r;
}

void rc_state_done(struct rc_state *st)
{
    for (size_t i = 0; i < st->n; i++) {
        free(st->ov[i].dir);
        free(st->ov[i].lower);
        free(st->ov[i].upper);
        free(st->ov[i].work);
        free(st->ov[i].store);
        free(st->ov[i].applied);
    }
    free(st->ov);
    free(st->ignore);
    *st = (struct rc_state){0};
}
