// SPDX-License-Identifier: GPL-2.0-or-later
/* ip= in the forms dracut and the kernel document, nameserver addresses, and bad input. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ipconf.h"
#include "testlib.h"

static struct ipconf ok(const char *s)
{
    struct ipconf c;
    const char *why = NULL;
    int r = ipconf_parse(s, &c, &why);
    if (r != 0)
        fprintf(stderr, "  ip=%s: %s\n", s, why ? why : "?");
    CHECK_INT(r, 0);
    return c;
}

static void bad(const char *s)
{
    struct ipconf c;
    const char *why = NULL;
    int r = ipconf_parse(s, &c, &why);
    if (r != -EINVAL)
        fprintf(stderr, "  ip=%s was accepted\n", s ? s : "(null)");
    CHECK_INT(r, -EINVAL);
    CHECK(why && *why);
}

static const char *fmt(const struct inet_addr *a)
{
    static char buf[8][INET6_ADDRSTRLEN];
    static int i;
    i = (i + 1) % 8;
    inet_addr_format(a, buf[i], sizeof buf[i]);
    return buf[i];
}

TEST(dhcp_words)
{
    const char *w[] = {"dhcp", "on", "any", "single-dhcp"};
    for (size_t i = 0; i < 4; i++) {
        struct ipconf c = ok(w[i]);
        CHECK_INT(c.method, IPCONF_DHCP);
        CHECK_STR(c.ifname, "");
    }
    CHECK_INT(ok("off").method, IPCONF_OFF);
    CHECK_INT(ok("none").method, IPCONF_OFF);
}

TEST(interface_dhcp_with_mtu_and_mac)
{
    struct ipconf c = ok("eth0:dhcp");
    CHECK_INT(c.method, IPCONF_DHCP);
    CHECK_STR(c.ifname, "eth0");
    c = ok("ens3:on:9000");
    CHECK_INT(c.mtu, 9000);
    CHECK(!c.has_mac);
    c = ok("ens3:dhcp:1500:52:54:00:12:34:56");
    CHECK_INT(c.mtu, 1500);
    CHECK(c.has_mac);
    CHECK(c.mac[0] == 0x52 && c.mac[5] == 0x56);
    c = ok("ens3:dhcp::52-54-00-ab-cd-ef");
    CHECK_INT(c.mtu, 0);
    CHECK(c.has_mac && c.mac[3] == 0xab);
}

TEST(static_kernel_form)
{
    struct ipconf c = ok("10.0.2.15::10.0.2.2:255.255.255.0:guest1:eth0:none");
    CHECK_INT(c.method, IPCONF_STATIC);
    CHECK_STR(fmt(&c.client), "10.0.2.15");
    CHECK_STR(fmt(&c.gateway), "10.0.2.2");
    CHECK_INT(c.prefix, 24);
    CHECK_STR(c.hostname, "guest1");
    CHECK_STR(c.ifname, "eth0");
    CHECK_INT(c.dns[0].family, 0);
}

TEST(static_with_dns_servers)
{
    struct ipconf c = ok("10.0.2.15:10.0.2.4:10.0.2.2:24::eth0:off:10.0.2.3:192.0.2.53");
    CHECK_STR(fmt(&c.dns[0]), "10.0.2.3");
    CHECK_STR(fmt(&c.dns[1]), "192.0.2.53");
    CHECK_INT(c.prefix, 24);
    /* the kernel's tenth field (an NTP server) is accepted and not used */
    c = ok("10.0.2.15::10.0.2.2:24::eth0:off:10.0.2.3:10.0.2.4:10.0.2.5");
    CHECK_STR(fmt(&c.dns[1]), "10.0.2.4");
}

TEST(static_with_mtu_and_mac)
{
    struct ipconf c = ok("10.0.2.15::10.0.2.2:24::eth0:none:1400:02:00:00:00:00:01");
    CHECK_INT(c.mtu, 1400);
    CHECK(c.has_mac && c.mac[0] == 2 && c.mac[5] == 1);
    c = ok("10.0.2.15::10.0.2.2:24::eth0:none::02:00:00:00:00:02");
    CHECK_INT(c.mtu, 0);
    CHECK(c.has_mac && c.mac[5] == 2);
}

TEST(static_cidr_client_and_no_gateway)
{
    struct ipconf c = ok("192.168.7.2/28:::::eth1:none");
    CHECK_INT(c.prefix, 28);
    CHECK_INT(c.gateway.family, 0);
    CHECK_STR(c.ifname, "eth1");
    bad("192.168.7.2::::::none"); /* static needs a prefix */
}

TEST(static_ipv6_in_brackets)
{
    struct ipconf c = ok("[2001:db8::2]::[2001:db8::1]:64::eth0:none:[2001:db8::53]");
    CHECK_INT(c.client.family, AF_INET6);
    CHECK_STR(fmt(&c.client), "2001:db8::2");
    CHECK_STR(fmt(&c.gateway), "2001:db8::1");
    CHECK_INT(c.prefix, 64);
    CHECK_STR(fmt(&c.dns[0]), "2001:db8::53");
}

TEST(method_defaults_like_the_kernel)
{
    CHECK_INT(ok("10.0.0.2::10.0.0.1:255.0.0.0::eth0").method, IPCONF_STATIC);
    CHECK_INT(ok("::::guest:eth0").method, IPCONF_DHCP);
    CHECK_INT(ok(":::::eth0:dhcp").method, IPCONF_DHCP);
    CHECK_STR(ok("::::myhost:eth0:dhcp").hostname, "myhost");
}

TEST(netmask_forms)
{
    CHECK_INT(ok("10.0.0.2::10.0.0.1:255.255.255.252::eth0:none").prefix, 30);
    CHECK_INT(ok("10.0.0.2::10.0.0.1:0.0.0.0::eth0:none").prefix, 0);
    CHECK_INT(ok("10.0.0.2::10.0.0.1:255.255.255.255::eth0:none").prefix, 32);
    CHECK_INT(ok("10.0.0.2::10.0.0.1:32::eth0:none").prefix, 32);
    bad("10.0.0.2::10.0.0.1:255.0.255.0::eth0:none");
    bad("10.0.0.2::10.0.0.1:33::eth0:none");
    bad("10.0.0.2::10.0.0.1:1234::eth0:none");
    bad("10.0.0.2::10.0.0.1:ffff::eth0:none");
}

TEST(unsupported_methods_say_why)
{
    bad("dhcp6");
    bad("auto6");
    bad("either6");
    bad("link6");
    bad("eth0:auto6");
    bad("bootp");
    bad("rarp");
    bad("ibft");
    bad("10.0.0.2::10.0.0.1:24::eth0:ibft");
    bad("frobnicate");
    bad("10.0.0.2::10.0.0.1:24::eth0:frobnicate");
}

TEST(malformed_ip_words)
{
    bad("");
    bad(NULL);
    bad("static");
    bad("10.0.0.2");
    bad("10.0.0.2/24");
    bad("eth0:none");
    bad("::10.0.0.1:24::eth0:none");       /* static without a client */
    bad("10.0.0.2::10.0.0.1:::eth0:none"); /* static without a netmask */
    bad("10.0.0.300::10.0.0.1:24::eth0:none");
    bad("10.0.0.2/33:::::eth0:none");
    bad("10.0.0.2/x:::::eth0:none");
    bad("10.0.0.2::gw:24::eth0:none");
    bad("10.0.0.2::[2001:db8::1]:24::eth0:none"); /* gateway of the other family */
    bad("[2001:db8::2::64::eth0:none");
    bad("[2001:db8::2]x::64::eth0:none");
    bad("10.0.0.2::10.0.0.1:24:bad_host:eth0:none");
    bad("10.0.0.2::10.0.0.1:24::eth/0:none");
    bad("10.0.0.2::10.0.0.1:24::averyveryverylongname:none");
    bad("10.0.0.2::10.0.0.1:24::..:none");
    bad("eth0:dhcp:67");
    bad("eth0:dhcp:65536");
    bad("eth0:dhcp:15x0");
    bad("eth0:dhcp:1500:52:54:00");
    bad("eth0:dhcp:1500:52:54:00:12:34:5g");
    bad("eth0:dhcp:1500:52-54-00-12-34");
    bad("10.0.0.2::10.0.0.1:24::eth0:none:10.0.0.53:dns2");
    bad("a:b:c:d:e:f:g:h:i:j:k:l:m:n:o:p:q");
}

TEST(overlong_fields)
{
    char s[300];
    memset(s, 0, sizeof s);
    memcpy(s, "10.0.0.2::10.0.0.1:24:", 22);
    memset(s + 22, 'h', 64);
    strcat(s, ":eth0:none");
    bad(s);
    memset(s, 0, sizeof s);
    memcpy(s, "10.0.0.2::10.0.0.1:24:", 22);
    memset(s + 22, 'h', 63);
    strcat(s, ":eth0:none");
    CHECK_INT(strlen(ok(s).hostname), 63);
}

TEST(several_ip_words_together)
{
    struct ipconf v[3];
    const char *why = NULL;
    v[0] = ok("eth0:dhcp");
    v[1] = ok("10.0.0.2::10.0.0.1:24::eth1:none");
    CHECK_INT(ipconf_check_all(v, 2, &why), 0);
    v[2] = ok("dhcp");
    CHECK_INT(ipconf_check_all(v, 3, &why), 0);
    v[1] = ok("dhcp");
    CHECK_INT(ipconf_check_all(v, 3, &why), -EINVAL); /* two without an interface */
    v[1] = ok("eth0:on");
    CHECK_INT(ipconf_check_all(v, 2, &why), -EINVAL); /* eth0 twice */
    v[1] = ok("off");
    CHECK_INT(ipconf_check_all(v, 2, &why), -EINVAL);
    CHECK_INT(ipconf_check_all(v + 1, 1, &why), 0);
}

TEST(addresses)
{
    struct inet_addr a;
    char buf[INET6_ADDRSTRLEN];
    CHECK_INT(inet_addr_parse("10.0.2.3", &a), 0);
    CHECK_INT(a.family, AF_INET);
    CHECK_INT(inet_addr_parse("::1", &a), 0);
    CHECK_INT(a.family, AF_INET6);
    inet_addr_format(&a, buf, sizeof buf);
    CHECK_STR(buf, "::1");
    CHECK_INT(inet_addr_parse("", &a), -EINVAL);
    CHECK_INT(inet_addr_parse("[::1]", &a), -EINVAL);
    CHECK_INT(inet_addr_parse("1.2.3", &a), -EINVAL);
    CHECK_INT(inet_addr_parse("dns.example", &a), -EINVAL);
    memset(&a, 0, sizeof a);
    inet_addr_format(&a, buf, sizeof buf);
    CHECK_STR(buf, "");
}

TEST(link_file_keeps_the_name)
{
    char buf[1024];
    int r = ipconf_link_file("eth0", buf, sizeof buf);
    CHECK(r > 0);
    CHECK_INT((int)strlen(buf), r);
    CHECK(strstr(buf, "\n[Match]\nOriginalName=eth0\n") != NULL);
    CHECK(strstr(buf, "\n[Link]\nNamePolicy=\nName=eth0\n") != NULL);
    CHECK(ipconf_link_file("enp0s25.100", buf, sizeof buf) > 0);
    CHECK(strstr(buf, "Name=enp0s25.100\n") != NULL);
    CHECK(ipconf_link_file("abcdefghijklmno", buf, sizeof buf) > 0); /* 15: the longest */
}

TEST(link_file_refuses_what_is_not_an_interface_name)
{
    char buf[1024];
    const char *bad_names[] = {"",      "abcdefghijklmnop", ".",      "..",  "a/b", "eth0:1",
                               "eth 0", "eth0\nName=x",     "eth\t0", "\x7f"};
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++)
        CHECK_INT(ipconf_link_file(bad_names[i], buf, sizeof buf), -EINVAL);
    CHECK_INT(ipconf_link_file(NULL, buf, sizeof buf), -EINVAL);
    CHECK_INT(ipconf_link_file("eth0", buf, 16), -ENAMETOOLONG);
}

int main(void)
{
    return test_main();
}
