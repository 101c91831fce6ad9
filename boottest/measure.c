// SPDX-License-Identifier: GPL-2.0-or-later
#include "measure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool key_char(char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
        return true;
    return !first && (c == '.' || c == '-');
}

/* One line (without its newline); true when it was taken. */
static int take_line(const char *l, size_t n, struct measure_values *out, bool *taken)
{
    const char *eq = memchr(l, '=', n);
    size_t kn, vn;
    struct measured *m = NULL;
    char *value;

    *taken = false;
    if (n && l[n - 1] == '\r')
        n--;
    if (!eq || eq > l + n)
        return 0;
    kn = (size_t)(eq - l);
    vn = n - kn - 1;
    if (kn == 0 || kn > MEASURE_KEY_MAX || vn > MEASURE_VALUE_MAX)
        return 0;
    for (size_t i = 0; i < kn; i++)
        if (!key_char(l[i], i == 0))
            return 0;
    for (size_t i = 0; i < vn; i++)
        if ((unsigned char)eq[1 + i] < 0x20 || eq[1 + i] == 0x7f)
            return 0;
    for (size_t i = 0; i < out->n && !m; i++)
        if (strlen(out->v[i].key) == kn && memcmp(out->v[i].key, l, kn) == 0)
            m = &out->v[i];
    if (!m && out->n >= MEASURE_MAX_VALUES)
        return 0;
    value = strndup(eq + 1, vn);
    if (!value)
        return -ENOMEM;
    if (!m) {
        m = &out->v[out->n++];
        memcpy(m->key, l, kn);
        m->key[kn] = '\0';
    }
    free(m->value);
    m->value = value;
    *taken = true;
    return 0;
}

int measure_parse(const char *text, size_t len, struct measure_values *out)
{
    size_t pos = 0;

    memset(out, 0, sizeof *out);
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        bool taken;
        int r = take_line(text + pos, n, out, &taken);
        if (r < 0) {
            measure_values_free(out);
            return r;
        }
        out->ignored += !taken;
        pos += n + 1;
    }
    return 0;
}

void measure_values_free(struct measure_values *mv)
{
    for (size_t i = 0; i < mv->n; i++)
        free(mv->v[i].value);
    memset(mv, 0, sizeof *mv);
}

const char *measure_value(const struct measure_values *mv, const char *key)
{
    for (size_t i = 0; mv && i < mv->n; i++)
        if (strcmp(mv->v[i].key, key) == 0)
            return mv->v[i].value;
    return NULL;
}

int measure_env_build(const struct measure_env *e, char **out)
{
    char *pids = NULL;
    size_t pids_sz = 0, n = 0;
    FILE *f = open_memstream(&pids, &pids_sz);
    int r = 0;

    if (!f)
        return -ENOMEM;
    for (size_t i = 0; i < e->n_up; i++)
        fprintf(f, "%s%d", i ? " " : "", (int)e->up_pids[i]);
    if (fclose(f) != 0) {
        free(pids);
        return -ENOMEM;
    }
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (r == 0 && asprintf(&out[n], __VA_ARGS__) < 0)                                          \
            r = -ENOMEM;                                                                           \
        else if (r == 0)                                                                           \
            n++;                                                                                   \
    } while (0)
    ADD("BOOTTEST_CONFIG=%s", e->config);
    ADD("BOOTTEST_REP=%u", e->rep);
    ADD("BOOTTEST_WARMUP=%d", e->warmup ? 1 : 0);
    ADD("BOOTTEST_GROUP=%u", e->group);
    ADD("BOOTTEST_GUEST=%u", e->guest);
    ADD("BOOTTEST_QEMU_PID=%d", (int)e->qemu_pid);
    ADD("BOOTTEST_UP_PIDS=%s", pids);
    ADD("BOOTTEST_UP=%zu", e->n_up);
    ADD("BOOTTEST_LOG=%s", e->log);
    ADD("BOOTTEST_OUTPUT=%s", e->output);
    ADD("BOOTTEST_ACCEL=%s", e->accel ? e->accel : "");
    ADD("BOOTTEST_MEMORY_MB=%u", e->memory_mb);
    ADD("BOOTTEST_BASE=%s", e->base ? e->base : "");
    ADD("BOOTTEST_BASE_DEVICE=%s", e->base ? e->base_device : "");
    ADD("BOOTTEST_BASE_FORMAT=%s", e->base && e->base_format ? e->base_format : "");
#undef ADD
    free(pids);
    out[n] = NULL;
    if (r < 0)
        measure_env_free(out);
    return r;
}

void measure_env_free(char **env)
{
    for (size_t i = 0; env[i]; i++) {
        free(env[i]);
        env[i] = NULL;
    }
}
