// SPDX-License-Identifier: GPL-2.0-or-later
#include "nbd-spec.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return -EINVAL;
}

bool nbd_spec_is(const char *s)
{
    /* nbds:// (TLS) and nbd+unix:// count, so that they get a message saying why not */
    return s && (strncmp(s, "nbd:", 4) == 0 || strncmp(s, "nbds:", 5) == 0 ||
                 strncmp(s, "nbd+", 4) == 0 || strncmp(s, "nbds+", 5) == 0);
}

/* Printable, no space: what can appear on a command line word and in a message. */
static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] == 0x7f)
            return false;
    return true;
}

static bool server_char_ok(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '%';
}

static int set_server(struct nbd_spec *out, const char *s, size_t n, bool bracketed,
                      const char **why)
{
    if (n == 0)
        return fail(why, "no server name or address after 'nbd:'");
    if (n > NBD_SERVER_MAX)
        return fail(why, "server name longer than 255 bytes");
    for (size_t i = 0; i < n; i++)
        if (!server_char_ok(s[i]) || (s[i] == ':' && !bracketed))
            return fail(why, "the server must be a host name, an IPv4 address or an IPv6 "
                             "address in brackets ([2001:db8::1])");
    memcpy(out->server, s, n);
    out->server[n] = 0;
    return 0;
}

/* Parse a decimal in [lo, hi] from s[0..n). */
static int parse_num(const char *s, size_t n, unsigned long lo, unsigned long hi,
                     unsigned long *out)
{
    unsigned long v = 0;

    if (n == 0 || n > 10)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -EINVAL;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < lo || v > hi)
        return -EINVAL;
    *out = v;
    return 0;
}

static bool all_digits(const char *s, size_t n)
{
    return n > 0 && strspn(s, "0123456789") >= n;
}

static int set_port(struct nbd_spec *out, const char *s, size_t n, const char **why)
{
    unsigned long v;

    if (parse_num(s, n, 1, 65535, &v) < 0)
        return fail(why, "the port must be a number from 1 to 65535");
    out->port = (uint16_t)v;
    return 0;
}

static int set_export(struct nbd_spec *out, const char *s, size_t n, const char **why)
{
    if (n > NBD_EXPORT_NAME_MAX)
        return fail(why, "export name longer than 255 bytes");
    if (!printable(s, n))
        return fail(why, "control character or space in the export name");
    memcpy(out->export_name, s, n);
    out->export_name[n] = 0;
    return 0;
}

/* One NBDOPTS word: bs=, timeout=, connections=, and persist (always on here). */
static int set_nbdopt(struct nbd_spec *out, const char *s, size_t n, const char **why)
{
    static const struct {
        const char *name;
        unsigned long lo, hi;
        size_t offset;
    } opts[] = {
        {"bs=", 512, 4096, offsetof(struct nbd_spec, block_size)},
        {"timeout=", 1, NBD_MAX_DEAD_TIMEOUT, offsetof(struct nbd_spec, timeout_s)},
        {"connections=", 1, NBD_MAX_CONNECTIONS, offsetof(struct nbd_spec, connections)},
    };

    if ((n == 7 && memcmp(s, "persist", 7) == 0) || (n == 8 && memcmp(s, "-persist", 8) == 0))
        return 0;
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        size_t l = strlen(opts[i].name);
        unsigned long v;
        if (n < l || memcmp(s, opts[i].name, l) != 0)
            continue;
        if (parse_num(s + l, n - l, opts[i].lo, opts[i].hi, &v) < 0)
            return fail(why, "bad NBD option value: bs= takes 512, 1024, 2048 or 4096, "
                             "timeout= 1 to 86400 seconds, connections= 1 to 16");
        if (i == 0 && (v & (v - 1)))
            return fail(why, "bs= must be 512, 1024, 2048 or 4096");
        *(unsigned *)((char *)out + opts[i].offset) = (unsigned)v;
        return 0;
    }
    return fail(why, "unknown NBD option (known: bs=N, timeout=SECONDS, connections=N, "
                     "persist)");
}

static int set_nbdopts(struct nbd_spec *out, const char *s, const char **why)
{
    while (*s) {
        size_t n = strcspn(s, ",");
        int r = n ? set_nbdopt(out, s, n, why) : 0;
        if (r < 0)
            return r;
        s += n + (s[n] == ',');
    }
    return 0;
}

/* Copy field s[0..n) into a buffer of size cap, refusing what does not fit or is odd. */
static int set_field(char *dst, size_t cap, const char *s, size_t n, const char *too_long,
                     const char **why)
{
    if (n >= cap)
        return fail(why, too_long);
    if (!printable(s, n))
        return fail(why, "control character or space in the NBD spec");
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

/* nbd:SERVER[:PORT|:EXPORT[:FSTYPE[:MOUNTOPTS[:NBDOPTS]]]], as dracut's nbdroot.sh splits
 * it: the last field takes the rest of the line. */
static int parse_colon_form(const char *p, struct nbd_spec *out, const char **why)
{
    const char *end;
    size_t n;
    int r;

    if (*p == '[') {
        end = strchr(p, ']');
        if (!end)
            return fail(why, "'[' without ']' around the server's IPv6 address");
        r = set_server(out, p + 1, (size_t)(end - p - 1), true, why);
        p = end + 1;
        if (r < 0)
            return r;
        if (*p && *p != ':')
            return fail(why, "expected ':' after the server's ']'");
    } else {
        n = strcspn(p, ":");
        r = set_server(out, p, n, false, why);
        if (r < 0)
            return r;
        p += n;
    }
    if (!*p)
        return 0;
    p++;
    n = strcspn(p, ":");
    if (n > 0 && all_digits(p, n))
        r = set_port(out, p, n, why);
    else
        r = set_export(out, p, n, why);
    if (r < 0 || !p[n])
        return r;
    p += n + 1;
    n = strcspn(p, ":");
    r = set_field(out->fstype, sizeof out->fstype, p, n, "filesystem type too long", why);
    if (r < 0 || !p[n])
        return r;
    p += n + 1;
    n = strcspn(p, ":");
    r = set_field(out->mount_options, sizeof out->mount_options, p, n,
                  "mount options longer than 255 bytes", why);
    if (r < 0 || !p[n])
        return r;
    return set_nbdopts(out, p + n + 1, why);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The export of an NBD URI is the percent-encoded path after the first '/'. */
static int set_export_uri(struct nbd_spec *out, const char *s, const char **why)
{
    size_t o = 0;

    for (; *s; o++) {
        int hi, lo;
        if (o >= NBD_EXPORT_NAME_MAX)
            return fail(why, "export name longer than 255 bytes");
        if (*s == '%') {
            hi = hexval(s[1]);
            lo = hi < 0 ? -1 : hexval(s[2]);
            if (lo < 0)
                return fail(why, "bad %-escape in the export name of the NBD URI");
            out->export_name[o] = (char)(hi * 16 + lo);
            s += 3;
        } else {
            out->export_name[o] = *s++;
        }
        if ((unsigned char)out->export_name[o] < ' ' || out->export_name[o] == 0x7f)
            return fail(why, "control character in the export name");
    }
    out->export_name[o] = 0;
    return 0;
}

/* nbd://SERVER[:PORT][/EXPORT] (the NBD URI standard, without TLS and query parameters) */
static int parse_uri_form(const char *p, struct nbd_spec *out, const char **why)
{
    const char *slash = strchr(p, '/'), *hostend;
    size_t hostlen = slash ? (size_t)(slash - p) : strlen(p);
    const char *colon;
    int r;

    if (strpbrk(p, "?#"))
        return fail(why, "query parameters and fragments in an NBD URI are not supported");
    if (hostlen > 0 && p[0] == '[') {
        hostend = memchr(p, ']', hostlen);
        if (!hostend)
            return fail(why, "'[' without ']' around the server's IPv6 address");
        r = set_server(out, p + 1, (size_t)(hostend - p - 1), true, why);
        colon = hostend + 1 < p + hostlen ? hostend + 1 : NULL;
        if (colon && *colon != ':')
            return fail(why, "expected ':' after the server's ']'");
    } else {
        colon = memchr(p, ':', hostlen);
        r = set_server(out, p, colon ? (size_t)(colon - p) : hostlen, false, why);
    }
    if (r < 0)
        return r;
    if (colon && (r = set_port(out, colon + 1, (size_t)(p + hostlen - colon - 1), why)) < 0)
        return r;
    return slash ? set_export_uri(out, slash + 1, why) : 0;
}

int nbd_spec_parse(const char *s, struct nbd_spec *out, const char **why)
{
    size_t n;

    if (why)
        *why = NULL;
    memset(out, 0, sizeof *out);
    out->port = NBD_DEFAULT_PORT;
    if (!nbd_spec_is(s))
        return fail(why, "not an NBD spec (nbd:SERVER:EXPORT or nbd://SERVER/EXPORT)");
    n = strlen(s);
    if (n > NBD_SPEC_MAX)
        return fail(why, "NBD spec longer than 511 bytes");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] == 0x7f)
            return fail(why, "control character in the NBD spec");
    if (strncmp(s, "nbds", 4) == 0)
        return fail(why, "NBD over TLS (nbds://) is not supported");
    if (strncmp(s, "nbd+", 4) == 0)
        return fail(why, "only NBD over TCP is supported (nbd://SERVER/EXPORT)");
    if (strncmp(s, "nbd://", 6) == 0)
        return parse_uri_form(s + 6, out, why);
    return parse_colon_form(s + 4, out, why);
}

void nbd_spec_describe(const struct nbd_spec *spec, char *buf, size_t n)
{
    bool v6 = strchr(spec->server, ':') != NULL;

    if (spec->export_name[0])
        snprintf(buf, n, "NBD server %s%s%s port %u, export '%s'", v6 ? "[" : "", spec->server,
                 v6 ? "]" : "", spec->port, spec->export_name);
    else
        snprintf(buf, n, "NBD server %s%s%s port %u, default export", v6 ? "[" : "", spec->server,
                 v6 ? "]" : "", spec->port);
}
