// SPDX-License-Identifier: GPL-2.0-or-later
#include "state.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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
};

static int set_count(struct rc_state *st, const char *val)
{
    char *end;
    unsigned long n = strtoul(val, &end, 10);
    if (*val == 0 || *end || n > 1024)
        return -EBADMSG;
    if (n <= st->n)
        return 0;
    struct rc_state_overlay *nv = realloc(st->ov, n * sizeof *nv);
    if (!nv)
        return -ENOMEM;
    memset(nv + st->n, 0, (n - st->n) * sizeof *nv);
    st->ov = nv;
    st->n = n;
    return 0;
}

static int set_overlay_key(struct rc_state *st, const char *key, const char *val)
{
    char *end;
    unsigned long i = strtoul(key + 8, &end, 10);
    if (end == key + 8 || *end != '_')
        return 0;
    if (i >= 1024)
        return -EBADMSG;
    /* sharedroot-init writes OVERLAY_COUNT after the overlays' keys: any order is fine */
    if (i >= st->n) {
        char count[16];
        snprintf(count, sizeof count, "%lu", i + 1);
        int r = set_count(st, count);
        if (r < 0)
            return r;
    }
    struct rc_state_overlay *o = &st->ov[i];
    if (strcmp(end + 1, "USERXATTR") == 0) {
        o->userxattr = strcmp(val, "1") == 0 || strcmp(val, "yes") == 0;
        return 0;
    }
    for (size_t k = 0; k < sizeof overlay_keys / sizeof *overlay_keys; k++)
        if (strcmp(end + 1, overlay_keys[k].suffix) == 0) {
            char **slot = (char **)((char *)o + overlay_keys[k].offset);
            free(*slot);
            return (*slot = strdup(val)) ? 0 : -ENOMEM;
        }
    return 0;
}

static int parse_line(struct rc_state *st, char *line)
{
    line[strcspn(line, "\n")] = 0;
    char *eq = strchr(line, '=');
    if (line[0] == '#' || line[0] == 0)
        return 0;
    if (!eq)
        return -EBADMSG;
    *eq = 0;
    _cleanup_free_ char *val = NULL;
    int r = rc_state_unquote(eq + 1, &val);
    if (r < 0)
        return r;
    if (strcmp(line, "OVERLAY_COUNT") == 0)
        return set_count(st, val);
    if (strncmp(line, "OVERLAY_", 8) == 0)
        return set_overlay_key(st, line, val);
    return 0;
}

int rc_state_load(const char *path, struct rc_state *st, unsigned *line)
{
    *st = (struct rc_state){0};
    *line = 0;
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    _cleanup_free_ char *buf = NULL;
    size_t cap = 0;
    int r = 0;
    while (r >= 0 && getline(&buf, &cap, f) > 0) {
        ++*line;
        r = parse_line(st, buf);
    }
    for (size_t i = 0; r >= 0 && i < st->n; i++)
        if (!st->ov[i].lower || !st->ov[i].upper)
            r = -EBADMSG;
    if (r >= 0)
        *line = 0;
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
    }
    free(st->ov);
    *st = (struct rc_state){0};
}
