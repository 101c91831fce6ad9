// SPDX-License-Identifier: GPL-2.0-or-later
#include "console.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "handoff.h"

static void deliver(struct console_scan *s, console_line_fn fn, void *user)
{
    s->line[s->len] = '\0';
    s->lines++;
    fn(s->line, s->len, user);
    s->len = 0;
}

/* One byte of a terminal escape sequence: whether it ends the sequence. */
static void escape_byte(struct console_scan *s, unsigned char c)
{
    s->dropped++;
    switch (s->esc) {
    case ESC_START:
        /* CSI "ESC [", OSC "ESC ]", DCS "ESC P", and the other string introducers */
        if (c == '[')
            s->esc = ESC_CSI;
        else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
            s->esc = ESC_STRING;
        else if (c >= 0x20 && c <= 0x2f)
            ; /* intermediate byte: the final one comes next */
        else
            s->esc = ESC_NONE;
        break;
    case ESC_CSI:
        /* parameters and intermediates 0x20-0x3f, final byte 0x40-0x7e; a control byte
         * (or anything odd) inside ends it too, so a hostile sequence cannot eat lines */
        if (c == 0x1b)
            s->esc = ESC_START;
        else if (c >= 0x40 || c < 0x20)
            s->esc = ESC_NONE;
        break;
    case ESC_STRING:
        /* ends with BEL or ST (ESC \\) */
        if (c == 0x07)
            s->esc = ESC_NONE;
        else if (c == 0x1b)
            s->esc = ESC_STRING_END;
        break;
    case ESC_STRING_END:
        s->esc = c == '\\' ? ESC_NONE : ESC_STRING;
        break;
    case ESC_NONE:
        break;
    }
}

void console_feed(struct console_scan *s, const char *buf, size_t n, console_line_fn fn, void *user)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];

        /* a newline ends the line whatever came before: a hostile or broken escape
         * sequence cannot swallow the lines after it */
        if (c == '\n') {
            s->esc = ESC_NONE;
            deliver(s, fn, user);
            continue;
        }
        if (s->esc != ESC_NONE) {
            escape_byte(s, c);
            continue;
        }
        if (c == 0x1b) {
            s->esc = ESC_START;
            s->dropped++;
            continue;
        }
        if (c == '\t')
            c = ' ';
        if (c < 0x20 || c == 0x7f) {
            s->dropped++;
            continue;
        }
        if (s->len == CONSOLE_LINE_MAX) {
            s->cut++;
            deliver(s, fn, user);
        }
        s->line[s->len++] = (char)c;
    }
}

void console_flush(struct console_scan *s, console_line_fn fn, void *user)
{
    if (s->len > 0)
        deliver(s, fn, user);
    s->esc = ESC_NONE;
}

const char *console_pending(struct console_scan *s)
{
    if (s->len == 0)
        return NULL;
    s->line[s->len] = '\0';
    return s->line;
}

bool console_printk_ms(const char *line, double *ms)
{
    const char *p = line;
    double sec = 0, frac = 0, scale = 1;
    int digits = 0;

    if (*p++ != '[')
        return false;
    while (*p == ' ')
        p++;
    for (; isdigit((unsigned char)*p) && digits < 12; p++, digits++)
        sec = sec * 10 + (*p - '0');
    if (digits == 0 || *p++ != '.')
        return false;
    for (digits = 0; isdigit((unsigned char)*p) && digits < 9; p++, digits++) {
        frac = frac * 10 + (*p - '0');
        scale *= 10;
    }
    if (digits == 0 || *p != ']')
        return false;
    *ms = (sec + frac / scale) * 1000.0;
    return true;
}

bool console_run_init(const char *line, double *ms, bool *has_ms)
{
    const char *p = strstr(line, "] Run ");
    const char *as;

    /* "[    1.234567] Run /init as init process" (kernel >= 4.16; older: without "Run") */
    if (!p)
        return false;
    p += 6;
    as = strstr(p, " as init process");
    if (!as || as == p || memchr(p, ' ', (size_t)(as - p)))
        return false;
    *has_ms = console_printk_ms(line, ms);
    return true;
}

static bool key_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

int console_handoff(const char *line, struct handoff *h)
{
    const char *p = strstr(line, HANDOFF_PREFIX);
    bool have_version = false;

    if (!p)
        return 0;
    memset(h, 0, sizeof *h);
    p += strlen(HANDOFF_PREFIX);
    while (*p) {
        const char *k, *v;
        size_t kl, vl;

        while (*p == ' ')
            p++;
        k = p;
        while (key_char(*p))
            p++;
        kl = (size_t)(p - k);
        if (*p != '=' || kl == 0 || kl >= HANDOFF_KEY_MAX) {
            /* not KEY=VALUE: skip the word */
            while (*p && *p != ' ')
                p++;
            continue;
        }
        v = ++p;
        while (*p && *p != ' ')
            p++;
        vl = (size_t)(p - v);
        if (kl == 1 && k[0] == 'v') {
            unsigned ver = 0;
            size_t i;
            for (i = 0; i < vl && i < 6 && isdigit((unsigned char)v[i]); i++)
                ver = ver * 10 + (unsigned)(v[i] - '0');
            if (i == vl && vl > 0) {
                h->version = ver;
                have_version = true;
            }
            continue;
        }
        if (kl == 4 && memcmp(k, "mode", 4) == 0) {
            size_t n = vl < sizeof h->mode - 1 ? vl : sizeof h->mode - 1;
            memcpy(h->mode, v, n);
            h->mode[n] = '\0';
            continue;
        }
        if (vl == 0 || vl > 9 || h->n >= HANDOFF_MAX_KEYS)
            continue;
        double num = 0;
        size_t i;
        for (i = 0; i < vl && isdigit((unsigned char)v[i]); i++)
            num = num * 10 + (v[i] - '0');
        if (i != vl)
            continue;
        memcpy(h->val[h->n].key, k, kl);
        h->val[h->n].key[kl] = '\0';
        h->val[h->n].ms = num;
        h->n++;
    }
    if (!have_version)
        return -EPROTO;
    return h->version == HANDOFF_VERSION ? 1 : -ENOTSUP;
}

static const struct {
    const char *text;
    const char *reason;
} builtin_failures[] = {
    {"Kernel panic - not syncing", "kernel panic"},
    {"sharedroot: ERROR:", "sharedroot-init reported an error"},
    {"sharedroot: starting the emergency shell", "sharedroot-init started its emergency shell"},
    {"Entering emergency mode", "emergency mode"},
    {"You are in emergency mode", "emergency mode"},
    {"Dropping to a shell", "the initramfs dropped to a shell"},
};

const char *console_builtin_failure(const char *line)
{
    for (size_t i = 0; i < sizeof builtin_failures / sizeof builtin_failures[0]; i++)
        if (strstr(line, builtin_failures[i].text))
            return builtin_failures[i].reason;
    return NULL;
}
