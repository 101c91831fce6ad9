// SPDX-License-Identifier: GPL-2.0-or-later
/* nbd: specs as dracut documents them (root=nbd:SERVER:PORT|EXPORT[:FSTYPE[:MOUNTOPTS
 * [:NBDOPTS]]]) and as NBD URIs, and every way one can be malformed. */
#include <errno.h>
#include <string.h>

#include "nbd-spec.h"
#include "testlib.h"

static struct nbd_spec ok(const char *s)
{
    struct nbd_spec spec;
    const char *why = NULL;
    int r = nbd_spec_parse(s, &spec, &why);
    if (r != 0)
        fprintf(stderr, "  '%s': %s\n", s, why ? why : "?");
    CHECK_INT(r, 0);
    return spec;
}

static void bad(const char *s)
{
    struct nbd_spec spec;
    const char *why = NULL;
    int r = nbd_spec_parse(s, &spec, &why);
    if (r != -EINVAL)
        fprintf(stderr, "  '%s' was accepted\n", s);
    CHECK_INT(r, -EINVAL);
    CHECK(why && *why);
}

TEST(spec_is_recognised_by_prefix)
{
    CHECK(nbd_spec_is("nbd:1.2.3.4:base"));
    CHECK(nbd_spec_is("nbd://srv/base"));
    CHECK(nbd_spec_is("nbds://srv/base"));
    CHECK(nbd_spec_is("nbd+unix:///x?socket=/s"));
    CHECK(!nbd_spec_is("/dev/nbd0"));
    CHECK(!nbd_spec_is("LABEL=nbd:x"));
    CHECK(!nbd_spec_is("NBD:srv:x"));
    CHECK(!nbd_spec_is(""));
    CHECK(!nbd_spec_is(NULL));
}

TEST(dracut_server_and_export_name)
{
    struct nbd_spec s = ok("nbd:192.168.50.1:raw");
    CHECK_STR(s.server, "192.168.50.1");
    CHECK_STR(s.export_name, "raw");
    CHECK_INT(s.port, NBD_DEFAULT_PORT);
    CHECK_STR(s.fstype, "");
    CHECK_STR(s.mount_options, "");
    CHECK_INT(s.connections, 0);
}

TEST(dracut_digits_are_a_port)
{
    struct nbd_spec s = ok("nbd:srv.example.org:2000");
    CHECK_STR(s.server, "srv.example.org");
    CHECK_INT(s.port, 2000);
    CHECK_STR(s.export_name, "");
}

TEST(dracut_fstype_options_and_nbdopts)
{
    struct nbd_spec s = ok("nbd:10.0.2.100:base:ext4:errors=panic,noatime:bs=4096,timeout=60,"
                           "connections=4,persist");
    CHECK_STR(s.export_name, "base");
    CHECK_STR(s.fstype, "ext4");
    CHECK_STR(s.mount_options, "errors=panic,noatime");
    CHECK_INT(s.block_size, 4096);
    CHECK_INT(s.timeout_s, 60);
    CHECK_INT(s.connections, 4);
}

TEST(dracut_empty_fstype_keeps_options)
{
    struct nbd_spec s = ok("nbd:192.168.50.1:raw::errors=panic");
    CHECK_STR(s.fstype, "");
    CHECK_STR(s.mount_options, "errors=panic");
}

TEST(server_alone_is_the_default_export)
{
    struct nbd_spec s = ok("nbd:srv");
    CHECK_STR(s.server, "srv");
    CHECK_STR(s.export_name, "");
    CHECK_INT(s.port, NBD_DEFAULT_PORT);
}

TEST(ipv6_server_in_brackets)
{
    struct nbd_spec s = ok("nbd:[2001:db8::1]:base:erofs");
    CHECK_STR(s.server, "2001:db8::1");
    CHECK_STR(s.export_name, "base");
    CHECK_STR(s.fstype, "erofs");
    s = ok("nbd:[fe80::1%eth0]");
    CHECK_STR(s.server, "fe80::1%eth0");
}

TEST(uri_forms)
{
    struct nbd_spec s = ok("nbd://10.0.2.100/base");
    CHECK_STR(s.server, "10.0.2.100");
    CHECK_STR(s.export_name, "base");
    CHECK_INT(s.port, NBD_DEFAULT_PORT);
    s = ok("nbd://srv:2000/with%20space%2fslash");
    CHECK_INT(s.port, 2000);
    CHECK_STR(s.export_name, "with space/slash");
    s = ok("nbd://[2001:db8::2]:10810/x");
    CHECK_STR(s.server, "2001:db8::2");
    CHECK_INT(s.port, 10810);
    s = ok("nbd://srv");
    CHECK_STR(s.export_name, "");
    s = ok("nbd://srv/");
    CHECK_STR(s.export_name, "");
}

TEST(describe_names_server_port_and_export)
{
    char buf[256];
    struct nbd_spec s = ok("nbd:[2001:db8::1]:base");
    nbd_spec_describe(&s, buf, sizeof buf);
    CHECK_STR(buf, "NBD server [2001:db8::1] port 10809, export 'base'");
    s = ok("nbd:srv:99");
    nbd_spec_describe(&s, buf, sizeof buf);
    CHECK_STR(buf, "NBD server srv port 99, default export");
}

TEST(malformed_specs_are_refused)
{
    bad("nbd:");
    bad("nbd::base");
    bad("nbd:srv:0");
    bad("nbd:srv:65536");
    bad("nbd:srv:99999999999999999999");
    bad("nbd:[2001:db8::1");
    bad("nbd:[2001:db8::1]x:base");
    bad("nbd:[]:base");
    bad("nbd:2001:db8::1:base"); /* an IPv6 address needs brackets */
    bad("nbd:sr v:base");
    bad("nbd:srv:ba\tse");
    bad("nbd:srv:base\n");
    bad("nbd:srv:base:ext4:ro:bs=1000");
    bad("nbd:srv:base:ext4:ro:bs=8192");
    bad("nbd:srv:base:ext4:ro:timeout=0");
    bad("nbd:srv:base:ext4:ro:connections=17");
    bad("nbd:srv:base:ext4:ro:connections=");
    bad("nbd:srv:base:ext4:ro:-N");
    bad("nbd:srv:base:ext4:ro:frobnicate=1");
    bad("nbd:srv:base:averyveryveryveryverylongfstypename:ro");
    bad("nbds://srv/base");
    bad("nbd+unix:///base?socket=/run/nbd.sock");
    bad("nbd://srv:port/base");
    bad("nbd://srv/base?tls=1");
    bad("nbd://srv/bad%2");
    bad("nbd://srv/bad%zz");
    bad("nbd://srv/ctl%0a");
    bad("nbd://[::1/x");
    bad("nbd://[::1]x/y");
    bad("LABEL=base");
}

TEST(overlong_parts_are_refused)
{
    char s[1200];
    memset(s, 0, sizeof s);
    strcpy(s, "nbd:");
    memset(s + 4, 'a', 256);
    bad(s); /* server of 256 bytes */
    memset(s, 0, sizeof s);
    strcpy(s, "nbd:srv:");
    memset(s + 8, 'e', 256);
    bad(s); /* export of 256 bytes */
    memset(s, 0, sizeof s);
    strcpy(s, "nbd:srv:e:ext4:");
    memset(s + 15, 'o', 256);
    bad(s); /* mount options of 256 bytes */
    memset(s, 0, sizeof s);
    strcpy(s, "nbd://srv/");
    memset(s + 10, 'e', 256);
    bad(s);
    memset(s, 0, sizeof s);
    strcpy(s, "nbd:srv:e:ext4:ro:");
    for (size_t i = 18; i < 1100; i += 8)
        memcpy(s + i, "persist,", 8);
    bad(s); /* the whole spec over 511 bytes */
}

TEST(longest_accepted_parts)
{
    char s[600];
    struct nbd_spec spec;
    memset(s, 0, sizeof s);
    strcpy(s, "nbd:srv:");
    memset(s + 8, 'e', 255);
    spec = ok(s);
    CHECK_INT(strlen(spec.export_name), 255);
}

int main(void)
{
    return test_main();
}
