/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The DHCP lease as udhcpc's script hands it over (net/dhcp.c, dhcp_lease_parse): KEY=VALUE
 * lines whose values come from whoever answers DHCP on the guest's network. A success must be
 * a usable IPv4 address with a prefix, at most NAMESERVERS_MAX DNS servers, and a host name
 * and domain that are short, NUL-terminated and hold only letters, digits, '-' and '.'. */
#include <ctype.h>
#include <sys/socket.h>

#include "dhcp.h"
#include "fuzz.h"

static int plain(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dhcp_lease l;
    const char *why = NULL;
    char *buf;

    if (size > DHCP_LEASE_MAX + 16)
        return 0;
    /* exactly size bytes, not NUL-terminated: the parser is given a length */
    buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    if (dhcp_lease_parse(buf, size, &l, &why) == 0) {
        if (l.addr.family != AF_INET || l.prefix < 0 || l.prefix > 32 ||
            l.n_dns > NAMESERVERS_MAX || (l.router.family && l.router.family != AF_INET) ||
            (l.mtu && (l.mtu < 68 || l.mtu > 65535)))
            abort();
        if (l.server.family && l.server.family != AF_INET)
            abort();
        for (size_t i = 0; i < NAMESERVERS_MAX; i++)
            if ((i < l.n_dns) != (l.dns[i].family == AF_INET))
                abort(); /* the first n_dns are IPv4, nothing is left behind the rest */
        if ((l.hostname[0] && !plain(l.hostname, sizeof l.hostname)) ||
            (l.domain[0] && !plain(l.domain, sizeof l.domain)))
            abort();
    } else if (!why || !*why) {
        abort();
    }
    free(buf);
    return 0;
}
