// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "testlib.h"

static struct cmdline parse(const char *text)
{
    struct cmdline c;
    int r = cmdline_parse(text, &c);
    CHECK_INT(r, 0);
    return c;
}

TEST(split_handles_quotes_like_the_kernel)
{
    char **w;
    int n = cmdline_split("  a \"b c\" d=\"e f\" x\"y\"z  \n", &w);
    CHECK_INT(n, 4);
    CHECK_STR(w[0], "a");
    CHECK_STR(w[1], "b c");
    CHECK_STR(w[2], "d=e f");
    CHECK_STR(w[3], "x\"y\"z"); /* only a quote opening the word or its value is removed */
    CHECK(w[4] == NULL);
    strv_free(w);
}

/* Each line: the command line, then the words the kernel's next_arg() makes of it, as
 * init/main.c hands them on (param, or param=value), "|"-separated. */
TEST(split_matches_kernel_next_arg_quote_rules)
{
    static const char *const cases[][2] = {
        {"a\"b c\"d", "a\"b c\"d"},   /* quotes inside a word group and stay */
        {"root=\"x\"y", "root=x\"y"}, /* an opening value quote goes, the inner one stays */
        {"root=\"x y\"", "root=x y"}, /* a quoted value */
        {"\"k=v w\"", "k=v w"},       /* a quoted word */
        {"\"a\"=b", "a\"=b"},         /* the word's quote is removed only at its end */
        {"a=\"", "a="},               /* a lone value quote */
        {"\"a=\"", "a="},             /* ... in a quoted word */
        {"\"", ""},                   /* a lone quote is an empty word */
        {"k=\"v w", "k=v w"},         /* an open quote runs to the end */
        {"=x", "=x"},                 /* '=' at 0 does not split */
        {"=a=b", "=a=b"},
        {"a\xa0"
         "b\x0b"
         "c",
         "a|b|c"}, /* the kernel's white space includes 0xa0 and \v */
        {"x=\"\"", "x="},
        {"\"\"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char **w, joined[256] = "";
        int n = cmdline_split(cases[i][0], &w);
        CHECK(n > 0);
        for (int k = 0; k < n; k++)
            snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s", k ? "|" : "",
                     w[k]);
        if (strcmp(joined, cases[i][1]) != 0)
            fprintf(stderr, "  input [%s]\n", cases[i][0]);
        CHECK_STR(joined, cases[i][1]);
        strv_free(w);
    }
}

TEST(word_starting_with_equals_is_an_init_argument)
{
    struct cmdline c = parse("=x");
    CHECK_INT(c.n_init_args, 1);
    CHECK_STR(c.n_init_args ? c.init_args[0] : NULL, "=x");
    CHECK_INT(c.n_init_env, 0);
    cmdline_free(&c);
}

TEST(bad_number_names_the_value_that_is_used)
{
    struct cmdline c = parse("rootdelay=5 rootdelay=abc sharedroot.timeout=-1 "
                             "sharedroot.hook_timeout=9 sharedroot.hook_timeout=99999999 "
                             "panic=x panic=3 panic=y");
    CHECK_INT(c.rootdelay, 5);
    CHECK_INT(c.timeout, CMDLINE_DEFAULT_TIMEOUT);
    CHECK_INT(c.hook_timeout, 9);
    CHECK_INT(c.panic, 3);
    CHECK_INT(c.n_problems, 5);
    if (c.n_problems == 5) {
        CHECK(strstr(c.problems[0], "rootdelay=5 is used") != NULL);
        CHECK(strstr(c.problems[1], "sharedroot.timeout=30 is used") != NULL);
        CHECK(strstr(c.problems[2], "sharedroot.hook_timeout=9 is used") != NULL);
        CHECK(strstr(c.problems[3], "as if no panic= were given") != NULL);
        CHECK(strstr(c.problems[4], "panic=3 is used") != NULL);
        for (size_t i = 0; i < c.n_problems; i++)
            CHECK(strstr(c.problems[i], "default") == NULL);
    }
    cmdline_free(&c);
}

TEST(split_empty_gives_no_words)
{
    char **w;
    CHECK_INT(cmdline_split("", &w), 0);
    CHECK(w && w[0] == NULL);
    strv_free(w);
    CHECK_INT(cmdline_split(" \t\n ", &w), 0);
    strv_free(w);
}

TEST(split_unterminated_quote_takes_the_rest)
{
    char **w;
    CHECK_INT(cmdline_split("a \"b c", &w), 2);
    CHECK_STR(w[1], "b c");
    strv_free(w);
}

TEST(split_rejects_overlong_line)
{
    char *big = malloc(CMDLINE_MAX + 10);
    char **w = NULL;
    memset(big, 'a', CMDLINE_MAX + 9);
    big[CMDLINE_MAX + 9] = 0;
    CHECK_INT(cmdline_split(big, &w), -E2BIG);
    CHECK(w == NULL);
    free(big);
}

TEST(defaults_without_options)
{
    struct cmdline c = parse("console=ttyS0 quiet");
    CHECK(c.root == NULL);
    CHECK(c.init == NULL);
    CHECK_INT(c.timeout, CMDLINE_DEFAULT_TIMEOUT);
    CHECK(!c.rw);
    CHECK(!c.off);
    CHECK(!c.debug);
    CHECK(!c.panic_set);
    /* quiet is a plain word the kernel passes on to init; console=ttyS0 is environment */
    CHECK_INT(c.n_init_args, 1);
    CHECK_STR(c.init_args[0], "quiet");
    CHECK_INT(c.n_init_env, 1);
    CHECK_STR(c.init_env[0], "console=ttyS0");
    cmdline_free(&c);
}

TEST(parses_all_root_options)
{
    struct cmdline c = parse("root=UUID=1234-abcd rootfstype=ext4 rootflags=data=ordered,ro "
                             "rootwait rootdelay=5 init=/lib/systemd/systemd ro panic=-1");
    CHECK_STR(c.root, "UUID=1234-abcd");
    CHECK_STR(c.rootfstype, "ext4");
    CHECK_STR(c.rootflags, "data=ordered,ro");
    CHECK(c.rootwait);
    CHECK_INT(c.rootdelay, 5);
    CHECK_STR(c.init, "/lib/systemd/systemd");
    CHECK(!c.rw);
    CHECK(c.panic_set);
    CHECK_INT(c.panic, -1);
    CHECK_INT(c.n_problems, 0);
    CHECK_INT(c.n_init_args, 0);
    cmdline_free(&c);
}

TEST(root_spec_forms_are_kept_verbatim)
{
    const char *specs[] = {"/dev/vda", "LABEL=base", "PARTUUID=0a1b-02", "PARTLABEL=shared root"};
    for (size_t i = 0; i < 4; i++) {
        char line[128];
        snprintf(line, sizeof line, "root=\"%s\"", specs[i]);
        struct cmdline c = parse(line);
        CHECK_STR(c.root, specs[i]);
        cmdline_free(&c);
    }
}

TEST(last_of_ro_rw_wins)
{
    struct cmdline c = parse("ro rw");
    CHECK(c.rw);
    cmdline_free(&c);
    c = parse("rw ro");
    CHECK(!c.rw);
    cmdline_free(&c);
}

TEST(later_value_overrides_earlier)
{
    struct cmdline c = parse("root=/dev/vda root=/dev/vdb");
    CHECK_STR(c.root, "/dev/vdb");
    cmdline_free(&c);
}

TEST(sharedroot_off_and_debug_and_timeout)
{
    struct cmdline c = parse("sharedroot=off sharedroot.debug sharedroot.timeout=7");
    CHECK(c.off);
    CHECK(c.debug);
    CHECK_INT(c.timeout, 7);
    CHECK_INT(c.n_problems, 0);
    cmdline_free(&c);
}

TEST(unknown_sharedroot_key_is_reported)
{
    struct cmdline c = parse("sharedroot.tiemout=5 sharedroot.frobnicate");
    CHECK_INT(c.n_problems, 2);
    CHECK(strstr(c.problems[0], "sharedroot.tiemout=5") != NULL);
    CHECK(strstr(c.problems[1], "sharedroot.frobnicate") != NULL);
    CHECK_INT(c.timeout, CMDLINE_DEFAULT_TIMEOUT);
    /* and not passed to the real init */
    CHECK_INT(c.n_init_args, 0);
    CHECK_INT(c.n_init_env, 0);
    cmdline_free(&c);
}

TEST(bad_values_are_reported_and_defaults_kept)
{
    struct cmdline c = parse("sharedroot.timeout=abc rootdelay=-3 panic=x sharedroot=maybe "
                             "root= init rootwait=1 sharedroot.timeout=99999999999999");
    CHECK_INT(c.timeout, CMDLINE_DEFAULT_TIMEOUT);
    CHECK_INT(c.rootdelay, 0);
    CHECK(!c.panic_set);
    CHECK(!c.off);
    CHECK(c.root == NULL);
    CHECK(c.init == NULL);
    CHECK(!c.rootwait);
    CHECK_INT(c.n_problems, 8);
    cmdline_free(&c);
}

TEST(words_after_dashes_go_to_init)
{
    struct cmdline c = parse("root=/dev/vda single -- --log-level=debug root=/dev/sdz x.y=1");
    CHECK_STR(c.root, "/dev/vda");
    CHECK_INT(c.n_init_args, 4);
    CHECK_STR(c.init_args[0], "single");
    CHECK_STR(c.init_args[1], "--log-level=debug");
    CHECK_STR(c.init_args[2], "root=/dev/sdz");
    CHECK_STR(c.init_args[3], "x.y=1");
    cmdline_free(&c);
}

TEST(module_parameters_are_not_passed_to_init)
{
    struct cmdline c =
        parse("virtio_blk.queue_depth=4 printk.devkmsg=on systemd.unit=rescue.target");
    CHECK_INT(c.n_init_args, 0);
    CHECK_INT(c.n_init_env, 0);
    CHECK_INT(c.n_problems, 0);
    cmdline_free(&c);
}

TEST(hostile_bytes_do_not_crash)
{
    char line[4096];
    for (int i = 0; i < (int)sizeof line - 1; i++)
        line[i] = (char)(1 + (i * 37) % 255);
    line[sizeof line - 1] = 0;
    struct cmdline c;
    CHECK_INT(cmdline_parse(line, &c), 0);
    cmdline_free(&c);
}

TEST(many_words)
{
    size_t n = 20000;
    char *line = malloc(n * 3 + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(line + 3 * i, "ab ", 3);
    line[n * 3] = 0;
    struct cmdline c;
    CHECK_INT(cmdline_parse(line, &c), 0);
    CHECK_INT(c.n_init_args, n);
    cmdline_free(&c);
    free(line);
}

TEST(read_file_strips_nothing_and_rejects_nul)
{
    char path[] = "/tmp/test-cmdline-XXXXXX";
    int fd = mkstemp(path);
    char *text = NULL;
    CHECK(fd >= 0);
    CHECK(write(fd, "root=/dev/vda ro\n", 17) == 17);
    CHECK_INT(cmdline_read_file(path, &text), 0);
    CHECK_STR(text, "root=/dev/vda ro\n");
    free(text);
    CHECK(write(fd, "a\0b", 3) == 3);
    CHECK_INT(cmdline_read_file(path, &text), -EINVAL);
    close(fd);
    unlink(path);
    CHECK_INT(cmdline_read_file("/nonexistent/cmdline", &text), -ENOENT);
}

TEST(instance_layer_options)
{
    struct cmdline c = parse("sharedroot.instance=LABEL=inst1 sharedroot.overlay=/etc,/var,/srv "
                             "sharedroot.dev=tmpfs sharedroot.tmp=tmpfs sharedroot.swap=file:64M "
                             "sharedroot.mkswap sharedroot.layout=/etc/sharedroot/l.fstab "
                             "sharedroot.init=/lib/systemd/systemd");
    CHECK_STR(c.instance, "LABEL=inst1");
    CHECK_STR(c.overlays, "/etc,/var,/srv");
    CHECK_INT(c.dev, DEV_TMPFS);
    CHECK_STR(c.tmp, "tmpfs");
    CHECK_STR(c.swap, "file:64M");
    CHECK(c.mkswap);
    CHECK_STR(c.layout, "/etc/sharedroot/l.fstab");
    CHECK_STR(c.real_init, "/lib/systemd/systemd");
    CHECK_INT(c.n_problems, 0);
    cmdline_free(&c);
}

TEST(dax_mode_is_kept_for_the_root_stage)
{
    struct cmdline c = parse("root=/dev/pmem0 sharedroot.dax=always");
    CHECK_STR(c.dax, "always");
    CHECK_INT(c.n_problems, 0);
    cmdline_free(&c);
    c = parse("root=/dev/pmem0");
    CHECK(c.dax == NULL); /* auto */
    cmdline_free(&c);
    c = parse("sharedroot.dax"); /* needs a value */
    CHECK(c.dax == NULL);
    CHECK_INT(c.n_problems, 1);
    cmdline_free(&c);
}

TEST(bad_dev_mode_is_reported_and_auto_kept)
{
    struct cmdline c = parse("sharedroot.dev=ramfs sharedroot.dev");
    CHECK_INT(c.dev, DEV_AUTO);
    CHECK_INT(c.n_problems, 2);
    cmdline_free(&c);
}

TEST(network_root_options)
{
    struct cmdline c = parse("root=nbd:10.0.2.100:base ip=eth0:dhcp "
                             "ip=10.0.3.2::10.0.3.1:24::eth1:none nameserver=10.0.2.3 "
                             "nameserver=192.0.2.53 netroot=nbd:srv:data "
                             "sharedroot.nbd.connections=4 sharedroot.nbd.timeout=120");
    CHECK_STR(c.root, "nbd:10.0.2.100:base");
    CHECK_INT(c.n_ip, 2);
    CHECK_STR(c.ip[0], "eth0:dhcp");
    CHECK_STR(c.ip[1], "10.0.3.2::10.0.3.1:24::eth1:none");
    CHECK_INT(c.n_nameservers, 2);
    CHECK_STR(c.nameservers[1], "192.0.2.53");
    CHECK_STR(c.netroot, "nbd:srv:data");
    CHECK_INT(c.nbd_connections, 4);
    CHECK_INT(c.nbd_timeout, 120);
    CHECK_INT(c.n_problems, 0);
    /* ip= is ours now: not passed to the real init's environment */
    CHECK_INT(c.n_init_env, 0);
    cmdline_free(&c);
}

TEST(network_root_defaults_and_bad_values)
{
    struct cmdline c = parse("root=/dev/vda");
    CHECK_INT(c.n_ip, 0);
    CHECK(c.ip == NULL);
    CHECK_INT(c.nbd_connections, CMDLINE_DEFAULT_NBD_CONNECTIONS);
    CHECK_INT(c.nbd_timeout, CMDLINE_DEFAULT_NBD_TIMEOUT);
    cmdline_free(&c);
    c = parse("ip= nameserver= sharedroot.nbd.connections=17 sharedroot.nbd.timeout=-1 "
              "sharedroot.nbd.timeout=forever netroot= ip");
    CHECK_INT(c.n_ip, 0);
    CHECK_INT(c.n_nameservers, 0);
    CHECK_INT(c.nbd_connections, CMDLINE_DEFAULT_NBD_CONNECTIONS);
    CHECK_INT(c.nbd_timeout, CMDLINE_DEFAULT_NBD_TIMEOUT);
    CHECK_INT(c.n_problems, 7);
    cmdline_free(&c);
}

TEST(nbd_request_timeout)
{
    struct cmdline c = parse("root=nbd:srv:base");
    CHECK_INT(c.nbd_request_timeout, CMDLINE_DEFAULT_NBD_REQUEST_TIMEOUT);
    CHECK_INT(c.n_problems, 0);
    cmdline_free(&c);
    /* the bounds, and the last valid word wins */
    c = parse("sharedroot.nbd.request_timeout=1");
    CHECK_INT(c.nbd_request_timeout, 1);
    CHECK_INT(c.n_problems, 0);
    cmdline_free(&c);
    c = parse("sharedroot.nbd.request_timeout=3600");
    CHECK_INT(c.nbd_request_timeout, 3600);
    cmdline_free(&c);
    c = parse("sharedroot.nbd.request_timeout=3 sharedroot.nbd.request_timeout=07");
    CHECK_INT(c.nbd_request_timeout, 7);
    CHECK_INT(c.n_problems, 0);
    cmdline_free(&c);
    /* 0 would leave a request on a dead connection waiting for ever: refused, the value in
     * force stays and the message says which */
    c = parse("sharedroot.nbd.request_timeout=4 sharedroot.nbd.request_timeout=0");
    CHECK_INT(c.nbd_request_timeout, 4);
    CHECK_INT(c.n_problems, 1);
    CHECK_STR(c.problems[0], "'sharedroot.nbd.request_timeout=0' is not a whole number from 1 to "
                             "3600; sharedroot.nbd.request_timeout=4 is used");
    cmdline_free(&c);
    /* out of range, negative, not a number, empty, no value, overlong, trailing junk */
    c = parse("sharedroot.nbd.request_timeout=3601 sharedroot.nbd.request_timeout=-5 "
              "sharedroot.nbd.request_timeout=ten sharedroot.nbd.request_timeout= "
              "sharedroot.nbd.request_timeout sharedroot.nbd.request_timeout=99999999999999999999 "
              "sharedroot.nbd.request_timeout=5s sharedroot.nbd.request_timeout=+5");
    CHECK_INT(c.nbd_request_timeout, CMDLINE_DEFAULT_NBD_REQUEST_TIMEOUT);
    CHECK_INT(c.n_problems, 8);
    CHECK_STR(c.problems[0], "'sharedroot.nbd.request_timeout=3601' is not a whole number from 1 "
                             "to 3600; sharedroot.nbd.request_timeout=10 is used");
    cmdline_free(&c);
    /* the range of the other numeric keys still starts at 0 */
    c = parse("sharedroot.nbd.timeout=0 rootdelay=x");
    CHECK_INT(c.nbd_timeout, 0);
    CHECK_INT(c.n_problems, 1);
    CHECK_STR(c.problems[0],
              "'rootdelay=x' is not a whole number from 0 to 3600; rootdelay=0 is used");
    cmdline_free(&c);
}

int main(void)
{
    return test_main();
}
