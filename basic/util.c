// SPDX-License-Identifier: GPL-2.0-or-later
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

int rc_buf_grow(struct rc_buf *b, size_t more)
{
    if (more > SIZE_MAX / 2 - b->len)
        return -ENOMEM;
    size_t need = b->len + more + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return -ENOMEM;
        b->data = p;
        b->cap = cap;
    }
    /* The promise of struct rc_buf: a buffer that exists is a string, even an empty one
     * (rc_buf_grow(b, 0) is how callers ask for ""). */
    b->data[b->len] = 0;
    return 0;
}

int rc_buf_add(struct rc_buf *b, const void *p, size_t n)
{
    int r = rc_buf_grow(b, n);
    if (r < 0)
        return r;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int rc_buf_adds(struct rc_buf *b, const char *s)
{
    return rc_buf_add(b, s, strlen(s));
}

int rc_buf_printf(struct rc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    int r = rc_buf_grow(b, (size_t)n);
    if (r < 0)
        return r;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void rc_buf_done(struct rc_buf *b)
{
    free(b->data);
    *b = (struct rc_buf){0};
}

void rc_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int rc_unhex(const char *hex, unsigned char *out, size_t n)
{
    if (strlen(hex) != 2 * n)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

int rc_escape_c(struct rc_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int r;
        if (*p == '\\')
            r = rc_buf_adds(b, "\\\\");
        else if (*p > 0x20 && *p < 0x7f)
            r = rc_buf_add(b, p, 1);
        else
            r = rc_buf_printf(b, "\\x%02x", *p);
        if (r < 0)
            return r;
    }
    return rc_buf_grow(b, 0);
}

int rc_unescape_c(const char *s, struct rc_buf *b)
{
    int r = rc_buf_grow(b, 0);
    while (r >= 0 && *s) {
        if (*s != '\\') {
            r = rc_buf_add(b, s++, 1);
        } else if (s[1] == '\\') {
            r = rc_buf_add(b, "\\", 1);
            s += 2;
        } else if (s[1] == 'x' && hexval(s[2]) >= 0 && hexval(s[3]) >= 0) {
            char c = (char)(hexval(s[2]) << 4 | hexval(s[3]));
            if (c == 0)
                return -EINVAL;
            r = rc_buf_add(b, &c, 1);
            s += 4;
        } else {
            return -EINVAL;
        }
    }
    return r;
}

char *rc_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p)
        return NULL;
    if (la == 0) {
        memcpy(p, b, lb + 1);
        return p;
    }
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

bool rc_path_is_safe(const char *p)
{
    if (!*p || *p == '/')
        return false;
    for (;;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (!e)
            return true;
        p = e + 1;
    }
}
