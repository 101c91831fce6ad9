// SPDX-License-Identifier: GPL-2.0-or-later
/* The DHCP lease as udhcpc's script hands it over: what a DHCP server says is untrusted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp.h"
#include "testlib.h"

static struct dhcp_lease parse_ok(const char *text)
{
    struct dhcp_lease l;
    const char *why = NULL;
    CHECK_INT(dhcp_lease_parse(text, strlen(text), &l, &why), 0);
    return l;
}

static const char *fmt(const struct inet_addr *a)
{
    static char buf[4][64];
    static int i;
    i = (i + 1) % 4;
    inet_addr_format(a, buf[i], sizeof buf[i]);
    return buf[i];
}

TEST(full_lease)
{
    struct dhcp_lease l = parse_ok("interface=eth0\nip=10.0.2.15\nmask=24\nsubnet=255.255.255.0\n"
                                   "router=10.0.2.2 10.0.2.9\ndns=10.0.2.3 10.0.2.4\n"
                                   "domain=example.org\nhostname=guest-1\nlease=86400\n"
                                   "serverid=10.0.2.2\nmtu=1450\n");
    CHECK_STR(fmt(&l.addr), "10.0.2.15");
    CHECK_INT(l.prefix, 24);
    CHECK_STR(fmt(&l.router), "10.0.2.2");
    CHECK_INT(l.n_dns, 2);
    CHECK_STR(fmt(&l.dns[1]), "10.0.2.4");
    CHECK_STR(l.domain, "example.org");
    CHECK_STR(l.hostname, "guest-1");
    CHECK_INT(l.lease_s, 86400);
    CHECK_STR(fmt(&l.server), "10.0.2.2");
    CHECK_INT(l.mtu, 1450);
}

TEST(subnet_without_mask_and_minimal_lease)
{
    struct dhcp_lease l = parse_ok("ip=192.168.1.7\nsubnet=255.255.240.0\n");
    CHECK_INT(l.prefix, 20);
    l = parse_ok("ip=192.168.1.7");
    CHECK_INT(l.prefix, 32);
    CHECK_INT(l.router.family, 0);
    CHECK_INT(l.n_dns, 0);
    CHECK_STR(l.hostname, "");
}

TEST(bad_values_are_dropped_not_trusted)
{
    struct dhcp_lease l = parse_ok("ip=10.0.0.5\nmask=33\nsubnet=255.0.255.0\nrouter=evil\n"
                                   "dns=10.0.0.1 ::1 bogus 10.0.0.2 10.0.0.3 10.0.0.4\n"
                                   "hostname=$(reboot)\ndomain=a;b\nlease=-1\nmtu=67\n"
                                   "serverid=10.0.0.999\n");
    CHECK_INT(l.prefix, 32);
    CHECK_INT(l.router.family, 0);
    CHECK_INT(l.n_dns, NAMESERVERS_MAX); /* IPv4 only, at most three */
    CHECK_STR(fmt(&l.dns[2]), "10.0.0.3");
    CHECK_STR(l.hostname, "");
    CHECK_STR(l.domain, "");
    CHECK_INT(l.lease_s, 0);
    CHECK_INT(l.mtu, 0);
    CHECK_INT(l.server.family, 0);
}

/* Found by fuzz-dhcp-lease: an IPv6 word in a list left behind in the slot it was parsed into,
 * so a lease with no valid router had an IPv6 "router" (and the last DNS slot an IPv6 one). */
TEST(ipv6_words_leave_nothing_behind)
{
    struct dhcp_lease l = parse_ok("ip=10.0.0.5\nrouter=f:: 10::\ndns=10.0.0.1 ::1\n"
                                   "serverid=fe80::1\n");
    CHECK_INT(l.router.family, 0);
    CHECK_INT(l.n_dns, 1);
    CHECK_INT(l.dns[1].family, 0);
    CHECK_INT(l.server.family, 0);
    l = parse_ok("ip=10.0.0.5\nrouter=::1 10.0.0.1\n");
    CHECK_STR(fmt(&l.router), "10.0.0.1");
}

TEST(overlong_values)
{
    char big[DHCP_LEASE_MAX];
    size_t n = (size_t)snprintf(big, sizeof big, "ip=10.0.0.5\nhostname=");
    memset(big + n, 'h', 64);
    big[n + 64] = '\n';
    n += 65;
    n += (size_t)snprintf(big + n, sizeof big - n, "domain=");
    memset(big + n, 'd', 300);
    n += 300;
    big[n] = 0;
    struct dhcp_lease l = parse_ok(big);
    CHECK_STR(l.hostname, "");
    CHECK_STR(l.domain, "");
}

TEST(unusable_leases)
{
    const char *bad[] = {"",
                         "ip=\n",
                         "ip=::1\n",
                         "ip=10.0.0\n",
                         "mask=24\n",
                         "xip=10.0.0.1\n",
                         "ip=10.0.0.1\0garbage"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dhcp_lease l;
        const char *why = NULL;
        size_t len = i == 6 ? 20 : strlen(bad[i]);
        CHECK_INT(dhcp_lease_parse(bad[i], len, &l, &why), -EINVAL);
        CHECK(why && *why);
    }
    char *huge = calloc(1, DHCP_LEASE_MAX + 2);
    memcpy(huge, "ip=10.0.0.1\n", 12);
    memset(huge + 12, 'x', DHCP_LEASE_MAX - 11);
    struct dhcp_lease l;
    const char *why = NULL;
    CHECK_INT(dhcp_lease_parse(huge, DHCP_LEASE_MAX + 1, &l, &why), -EINVAL);
    free(huge);
}

TEST(the_last_line_of_a_key_counts)
{
    struct dhcp_lease l = parse_ok("ip=10.0.0.1\nip=10.0.0.2\n");
    CHECK_STR(fmt(&l.addr), "10.0.0.2");
}

TEST(script_writes_the_lease_atomically)
{
    char dir[] = "/tmp/test-dhcp.XXXXXX", path[256], buf[2048];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/eth0.lease", dir);
    setenv(DHCP_LEASE_ENV, path, 1);
    setenv("ip", "10.9.8.7", 1);
    setenv("mask", "16", 1);
    setenv("hostname", "line1\nline2", 1);
    setenv("unrelated", "x", 1);
    char *argv_deconfig[] = {"udhcpc-script", "deconfig", NULL};
    CHECK_INT(dhcp_script_main(2, argv_deconfig), 0);
    CHECK(access(path, F_OK) < 0);
    char *argv_bound[] = {"udhcpc-script", "bound", NULL};
    CHECK_INT(dhcp_script_main(2, argv_bound), 0);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
    CHECK(strstr(buf, "ip=10.9.8.7\n") != NULL);
    CHECK(strstr(buf, "hostname=line1 line2\n") != NULL);
    CHECK(strstr(buf, "unrelated") == NULL);
    struct dhcp_lease l = parse_ok(buf);
    CHECK_INT(l.prefix, 16);
    unlink(path);
    rmdir(dir);
    unsetenv(DHCP_LEASE_ENV);
    CHECK_INT(dhcp_script_main(2, argv_bound), 1);
    char *argv_none[] = {"udhcpc-script", NULL};
    CHECK_INT(dhcp_script_main(1, argv_none), 1);
}

int main(void)
{
    return test_main();
}
