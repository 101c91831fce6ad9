// SPDX-License-Identifier: GPL-2.0-or-later
#include "ipconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define FIELDS_MAX 16 /* the longest form has 14 (a MAC split at its colons) */
#define FIELD_MAX 64  /* an IPv6 address with a zone, a host name */

struct fields {
    char v[FIELDS_MAX][FIELD_MAX];
    size_t n;
};

static int fail(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return -EINVAL;
}

/* Split at ':' as dracut's ip_to_var does: "[...]" is one field (an IPv6 address). */
static int split(const char *s, struct fields *f, const char **why)
{
    f->n = 0;
    for (;;) {
        const char *end;
        size_t len;

        if (f->n == FIELDS_MAX)
            return fail(why, "too many ':'-separated fields in ip=");
        if (*s == '[') {
            end = strchr(s, ']');
            if (!end || (end[1] && end[1] != ':'))
                return fail(why, "an IPv6 address in ip= must be in brackets: [2001:db8::1]");
            s++;
            len = (size_t)(end - s);
            end++;
        } else {
            len = strcspn(s, ":");
            end = s + len;
        }
        if (len >= FIELD_MAX)
            return fail(why, "a field of ip= is longer than 63 bytes");
        memcpy(f->v[f->n], s, len);
        f->v[f->n++][len] = 0;
        if (!*end)
            return 0;
        s = end + 1;
    }
}

int inet_addr_parse(const char *s, struct inet_addr *out)
{
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, s, out->a) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, s, out->a) == 1)
        out->family = AF_INET6;
    else
        return -EINVAL;
    return 0;
}

void inet_addr_format(const struct inet_addr *a, char *buf, size_t n)
{
    if (!a->family || !inet_ntop(a->family, a->a, buf, (socklen_t)n))
        snprintf(buf, n, "%s", "");
}

static int parse_prefix(const char *s, int max, int *out)
{
    int v = 0;

    if (!*s || strlen(s) > 3)
        return -EINVAL;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return -EINVAL;
        v = v * 10 + (*s - '0');
    }
    if (v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

/* "255.255.255.0" (contiguous ones only) or "24" */
static int parse_netmask(const char *s, int family, int *prefix)
{
    struct inet_addr m;
    int bits = 0;
    bool zero_seen = false;

    if (parse_prefix(s, family == AF_INET6 ? 128 : 32, prefix) == 0)
        return 0;
    if (family != AF_INET || inet_addr_parse(s, &m) < 0 || m.family != AF_INET)
        return -EINVAL;
    for (int i = 0; i < 32; i++) {
        bool one = m.a[i / 8] & (0x80 >> (i % 8));
        if (one && zero_seen)
            return -EINVAL;
        if (one)
            bits++;
        else
            zero_seen = true;
    }
    *prefix = bits;
    return 0;
}

/* CLIENT or CLIENT/PREFIX */
static int parse_client(const char *s, struct ipconf *c, const char **why)
{
    char addr[FIELD_MAX];
    const char *slash = strchr(s, '/');

    snprintf(addr, sizeof addr, "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
    if (inet_addr_parse(addr, &c->client) < 0)
        return fail(why, "the client address in ip= is not an IPv4 or IPv6 address");
    if (slash && parse_prefix(slash + 1, c->client.family == AF_INET6 ? 128 : 32, &c->prefix) < 0)
        return fail(why, "the prefix length after '/' in ip= is out of range");
    return 0;
}

static int parse_mac(const struct fields *f, size_t first, unsigned char mac[6], const char **why)
{
    unsigned v[6];
    char tail;

    if (f->n - first == 1) {
        /* dracut also takes one field: 52-54-00-12-34-56 */
        if (sscanf(f->v[first], "%2x-%2x-%2x-%2x-%2x-%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &tail) != 6)
            return fail(why, "the MAC address in ip= must be six hex pairs");
    } else if (f->n - first == 6) {
        for (size_t i = 0; i < 6; i++) {
            const char *p = f->v[first + i];
            if (strlen(p) != 2 || !isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
                return fail(why, "the MAC address in ip= must be six hex pairs");
            sscanf(p, "%2x", &v[i]);
        }
    } else {
        return fail(why, "the MAC address in ip= must be six hex pairs");
    }
    for (size_t i = 0; i < 6; i++)
        mac[i] = (unsigned char)v[i];
    return 0;
}

static int parse_mtu(const char *s, unsigned *mtu, const char **why)
{
    int v = 0;

    if (strlen(s) > 5)
        return fail(why, "the MTU in ip= must be 68 to 65535");
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return fail(why, "the MTU in ip= must be 68 to 65535");
        v = v * 10 + (*p - '0');
    }
    if (v < 68 || v > 65535)
        return fail(why, "the MTU in ip= must be 68 to 65535");
    *mtu = (unsigned)v;
    return 0;
}

/* [:MTU[:MAC]] from field `at` on */
static int parse_mtu_mac(const struct fields *f, size_t at, struct ipconf *c, const char **why)
{
    int r;

    if (at >= f->n)
        return 0;
    if (f->v[at][0] && (r = parse_mtu(f->v[at], &c->mtu, why)) < 0)
        return r;
    if (at + 1 >= f->n)
        return 0;
    if (f->n == at + 2 && !f->v[at + 1][0])
        return 0;
    r = parse_mac(f, at + 1, c->mac, why);
    c->has_mac = r == 0;
    return r;
}

static int parse_ifname(const char *s, struct ipconf *c, const char **why)
{
    size_t n = strlen(s);

    if (n >= sizeof c->ifname)
        return fail(why, "the interface name in ip= is longer than 15 bytes");
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || (unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return fail(why, "the interface name in ip= has a '/', a space or a control byte");
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return fail(why, "'.' and '..' are not interface names");
    memcpy(c->ifname, s, n + 1);
    return 0;
}

static int parse_hostname(const char *s, struct ipconf *c, const char **why)
{
    size_t n = strlen(s);

    if (n > IPCONF_HOSTNAME_MAX)
        return fail(why, "the host name in ip= is longer than 63 bytes");
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
            return fail(why, "the host name in ip= may only hold letters, digits, '-' and '.'");
    memcpy(c->hostname, s, n + 1);
    return 0;
}

/* The method words of ip=, and why the unsupported ones are refused. */
static const struct {
    const char *word;
    enum ipconf_method method;
    const char *refused; /* non-NULL: not supported, and why */
} methods[] = {
    {"dhcp", IPCONF_DHCP, NULL},
    {"on", IPCONF_DHCP, NULL},
    {"any", IPCONF_DHCP, NULL},
    {"single-dhcp", IPCONF_DHCP, NULL},
    {"none", IPCONF_STATIC, NULL},
    {"off", IPCONF_STATIC, NULL},
    {"static", IPCONF_STATIC, NULL},
#define NO_V6                                                                                      \
    "IPv6 autoconfiguration and DHCPv6 are not supported in the initramfs; give a static "         \
    "address: ip=[ADDR]::[GATEWAY]:PREFIX::IFACE:none"
    {"dhcp6", IPCONF_OFF, NO_V6},
    {"auto6", IPCONF_OFF, NO_V6},
    {"either6", IPCONF_OFF, NO_V6},
    {"link6", IPCONF_OFF, NO_V6},
#undef NO_V6
    {"bootp", IPCONF_OFF, "BOOTP and RARP are not supported; use ip=dhcp"},
    {"rarp", IPCONF_OFF, "BOOTP and RARP are not supported; use ip=dhcp"},
    {"both", IPCONF_OFF, "BOOTP and RARP are not supported; use ip=dhcp"},
    {"ibft", IPCONF_OFF, "iBFT is not supported; use ip=dhcp or a static ip="},
};

/* The method word s: 0 and *m, -EINVAL for an unsupported or unknown one, -ENOENT for a word
 * that is no method at all. */
static int method_of(const char *s, enum ipconf_method *m, const char **why)
{
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        if (strcmp(s, methods[i].word) != 0)
            continue;
        if (methods[i].refused)
            return fail(why, methods[i].refused);
        *m = methods[i].method;
        return 0;
    }
    fail(why, "unknown method in ip= (use dhcp, on, any, none or off)");
    return -ENOENT;
}

static bool is_method_word(const char *s)
{
    enum ipconf_method m;
    const char *why;
    return method_of(s, &m, &why) != -ENOENT;
}

static bool looks_like_address(const char *s)
{
    struct inet_addr a;
    return inet_addr_parse(s, &a) == 0;
}

/* CLIENT:[PEER]:GATEWAY:NETMASK:HOSTNAME:IFACE:METHOD[:DNS1[:DNS2[:NTP]]] or [:MTU[:MAC]] */
static int parse_full(const struct fields *f, struct ipconf *c, const char **why)
{
    int r;

    if (f->v[0][0] && (r = parse_client(f->v[0], c, why)) < 0)
        return r;
    /* field 1 is the kernel's NFS server or dracut's point-to-point peer: not used here */
    if (f->n > 2 && f->v[2][0] && inet_addr_parse(f->v[2], &c->gateway) < 0)
        return fail(why, "the gateway in ip= is not an IPv4 or IPv6 address");
    if (f->n > 3 && f->v[3][0] &&
        parse_netmask(f->v[3], c->client.family ? c->client.family : AF_INET, &c->prefix) < 0)
        return fail(why, "the netmask in ip= must be dotted (255.255.255.0) or a prefix "
                         "length (24)");
    if (f->n > 4 && (r = parse_hostname(f->v[4], c, why)) < 0)
        return r;
    if (f->n > 5 && (r = parse_ifname(f->v[5], c, why)) < 0)
        return r;
    if (f->n > 6 && f->v[6][0]) {
        if ((r = method_of(f->v[6], &c->method, why)) < 0)
            return -EINVAL;
    } else {
        /* no method: the kernel's rule, static with a client address, else autoconfigure */
        c->method = c->client.family ? IPCONF_STATIC : IPCONF_DHCP;
    }
    if (f->n > 7 && looks_like_address(f->v[7])) {
        inet_addr_parse(f->v[7], &c->dns[0]);
        if (f->n > 8 && f->v[8][0] && inet_addr_parse(f->v[8], &c->dns[1]) < 0)
            return fail(why, "the second DNS server in ip= is not an address");
        /* the kernel's field 10 is an NTP server: not used here */
    } else if ((r = parse_mtu_mac(f, 7, c, why)) < 0) {
        return r;
    }
    if (c->method != IPCONF_STATIC)
        return 0;
    if (!c->client.family)
        return fail(why, "a static ip= (method none or off) needs the client address");
    if (c->prefix < 0)
        return fail(why, "a static ip= needs the netmask (255.255.255.0 or 24), or CLIENT/PREFIX");
    if (c->gateway.family && c->gateway.family != c->client.family)
        return fail(why, "the gateway in ip= is not of the client address's family");
    return 0;
}

int ipconf_parse(const char *value, struct ipconf *out, const char **why)
{
    struct fields f;
    int r;

    if (why)
        *why = NULL;
    memset(out, 0, sizeof *out);
    out->prefix = -1;
    if (!value || !*value)
        return fail(why, "empty ip=");
    if ((r = split(value, &f, why)) < 0)
        return r;
    if (f.n == 1) {
        if (strcmp(value, "off") == 0 || strcmp(value, "none") == 0)
            return out->method = IPCONF_OFF, 0;
        if (looks_like_address(value) || strchr(value, '/'))
            return fail(why, "ip=ADDRESS alone is not enough; write "
                             "ip=CLIENT::GATEWAY:NETMASK::IFACE:none");
        if (method_of(value, &out->method, why) < 0)
            return -EINVAL;
        if (out->method == IPCONF_STATIC)
            return fail(why, "a static ip= needs the full form: "
                             "ip=CLIENT::GATEWAY:NETMASK::IFACE:none");
        return 0;
    }
    if (is_method_word(f.v[1])) {
        /* IFACE:METHOD[:MTU[:MAC]] */
        if (method_of(f.v[1], &out->method, why) < 0)
            return -EINVAL;
        if (out->method == IPCONF_STATIC)
            return fail(why, "ip=IFACE:none needs the full form with an address");
        if ((r = parse_ifname(f.v[0], out, why)) < 0)
            return r;
        return parse_mtu_mac(&f, 2, out, why);
    }
    return parse_full(&f, out, why);
}

int ipconf_check_all(const struct ipconf *v, size_t n, const char **why)
{
    size_t unnamed = 0;

    for (size_t i = 0; i < n; i++) {
        if (v[i].method == IPCONF_OFF && n > 1)
            return fail(why, "ip=off together with other ip= words");
        if (!v[i].ifname[0] && v[i].method != IPCONF_OFF)
            unnamed++;
        for (size_t j = 0; j < i; j++)
            if (v[i].ifname[0] && strcmp(v[i].ifname, v[j].ifname) == 0)
                return fail(why, "two ip= words for the same interface");
    }
    if (unnamed > 1)
        return fail(why, "more than one ip= without an interface name; name the interface in "
                         "each (ip=eth0:dhcp ip=eth1:dhcp)");
    return 0;
}

int ipconf_link_file(const char *iface, char *buf, size_t n)
{
    size_t len = iface ? strlen(iface) : 0;
    int w;

    if (len == 0 || len >= IF_NAMESIZE || strcmp(iface, ".") == 0 || strcmp(iface, "..") == 0)
        return -EINVAL;
    for (const char *p = iface; *p; p++)
        if (*p == '/' || *p == ':' || !isgraph((unsigned char)*p))
            return -EINVAL;
    w = snprintf(buf, n,
                 "# Written by sharedroot-init at boot: %s carries the network root and stays up.\n"
                 "# The kernel does not rename an interface that is up; this keeps udev from\n"
                 "# marking it as being renamed (systemd-networkd would wait for that for ever).\n"
                 "# See sharedroot-init(8), THE NETWORK ROOT AND THE BOOTED SYSTEM.\n"
                 "[Match]\n"
                 "OriginalName=%s\n"
                 "\n"
                 "[Link]\n"
                 "NamePolicy=\n"
                 "Name=%s\n",
                 iface, iface, iface);
    if (w < 0 || (size_t)w >= n)
        return -ENAMETOOLONG;
    return w;
}
