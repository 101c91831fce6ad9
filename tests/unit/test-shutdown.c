// SPDX-License-Identifier: GPL-2.0-or-later
/* The pure parts of the shutdown program (init/shutdown.c): verbs, /proc/PID/maps lines,
 * "below the old root". */
#include <errno.h>
#include <string.h>
#include <sys/reboot.h>

#include "cmdline.h"
#include "netroot.h"
#include "shutdown.h"
#include "testlib.h"

TEST(shutdown_verbs_map_to_reboot_commands)
{
    int cmd = 0;

    CHECK_INT(shutdown_verb_command("poweroff", &cmd), 0);
    CHECK_INT(cmd, RB_POWER_OFF);
    CHECK_INT(shutdown_verb_command("reboot", &cmd), 0);
    CHECK_INT(cmd, RB_AUTOBOOT);
    CHECK_INT(shutdown_verb_command("halt", &cmd), 0);
    CHECK_INT(cmd, (int)RB_HALT_SYSTEM);
    CHECK_INT(shutdown_verb_command("kexec", &cmd), 0);
    CHECK_INT(cmd, RB_KEXEC);
    CHECK_INT(shutdown_verb_command("exit", &cmd), 0);
    CHECK_INT(cmd, RB_POWER_OFF);
}

TEST(shutdown_refuses_unknown_verbs)
{
    int cmd = 12345;

    CHECK_INT(shutdown_verb_command(NULL, &cmd), -EINVAL);
    CHECK_INT(shutdown_verb_command("", &cmd), -EINVAL);
    CHECK_INT(shutdown_verb_command("Poweroff", &cmd), -EINVAL);
    CHECK_INT(shutdown_verb_command("poweroff ", &cmd), -EINVAL);
    CHECK_INT(shutdown_verb_command("--log-level", &cmd), -EINVAL);
    CHECK_INT(cmd, 12345);
}

TEST(shutdown_maps_line_names_the_file)
{
    char p[256];

    CHECK_INT(shutdown_maps_path("7f12a0000000-7f12a0022000 r--p 00000000 00:02 1234       "
                                 "              /lib/x86_64-linux-gnu/libc.so.6\n",
                                 p, sizeof p),
              1);
    CHECK_STR(p, "/lib/x86_64-linux-gnu/libc.so.6");
    CHECK_INT(shutdown_maps_path("00400000-00401000 r-xp 00000000 00:02 7 /init", p, sizeof p), 1);
    CHECK_STR(p, "/init");
    /* a space in a name is part of the name */
    CHECK_INT(shutdown_maps_path("1-2 r--p 0 00:02 8 /lib/a b.so\n", p, sizeof p), 1);
    CHECK_STR(p, "/lib/a b.so");
}

TEST(shutdown_maps_line_without_a_file)
{
    char p[256];

    CHECK_INT(shutdown_maps_path("7ffd-7ffe rw-p 00000000 00:00 0                  [stack]\n", p,
                                 sizeof p),
              0);
    CHECK_INT(shutdown_maps_path("7ffd-7ffe r-xp 00000000 00:00 0  [vdso]", p, sizeof p), 0);
    CHECK_INT(shutdown_maps_path("55d0-55d1 rw-p 00000000 00:00 0 \n", p, sizeof p), 0);
    CHECK_INT(shutdown_maps_path("55d0-55d1 rw-p 00000000 00:00 0", p, sizeof p), 0);
    CHECK_INT(shutdown_maps_path("1-2 r--p 0 00:02 9 /lib/gone.so (deleted)\n", p, sizeof p), 0);
    CHECK_INT(shutdown_maps_path("", p, sizeof p), 0);
    CHECK_INT(shutdown_maps_path("garbage", p, sizeof p), 0);
}

TEST(shutdown_maps_line_too_long_for_the_buffer)
{
    char p[8];
    CHECK_INT(shutdown_maps_path("1-2 r--p 0 00:02 9 /lib/x86_64-linux-gnu/libc.so.6", p, sizeof p),
              -ENAMETOOLONG);
}

TEST(shutdown_path_below_respects_components)
{
    CHECK(shutdown_path_below("/oldroot", "/oldroot"));
    CHECK(shutdown_path_below("/oldroot/etc", "/oldroot"));
    CHECK(shutdown_path_below("/oldroot/run/sharedroot/instance", "/oldroot"));
    CHECK(!shutdown_path_below("/oldrootx", "/oldroot"));
    CHECK(!shutdown_path_below("/old", "/oldroot"));
    CHECK(!shutdown_path_below("/", "/oldroot"));
    CHECK(!shutdown_path_below("/run", "/oldroot"));
    CHECK(shutdown_path_below("/anything", "/"));
}

static const char *unit(const char *path)
{
    static char out[256];
    int r = shutdown_unit_name(path, out, sizeof out);
    return r < 0 ? "ERROR" : out;
}

TEST(shutdown_unit_names_as_systemd_escape_path)
{
    CHECK_STR(unit("/var"), "var.mount");
    CHECK_STR(unit("/etc"), "etc.mount");
    CHECK_STR(unit("/"), "-.mount");
    CHECK_STR(unit("/var/lib"), "var-lib.mount");
    CHECK_STR(unit("/run/sharedroot/instance"), "run-sharedroot-instance.mount");
    CHECK_STR(unit("/run/sharedroot/tmp-device"), "run-sharedroot-tmp\\x2ddevice.mount");
    CHECK_STR(unit("//var//lib/"), "var-lib.mount");
    CHECK_STR(unit("/a b"), "a\\x20b.mount");
    CHECK_STR(unit("/.hidden/x.y"), "\\x2ehidden-x.y.mount");
    CHECK_STR(unit("/a\\b:c_d"), "a\\x5cb:c_d.mount");
    CHECK_STR(unit("/caf\xc3\xa9"), "caf\\xc3\\xa9.mount");
}

TEST(shutdown_unit_name_refuses_bad_input)
{
    char small[8];

    CHECK_STR(unit("var"), "ERROR");
    CHECK_STR(unit(""), "ERROR");
    CHECK_INT(shutdown_unit_name("/a-very-long-name", small, sizeof small), -ENAMETOOLONG);
    CHECK_INT(shutdown_unit_name("/", small, 2), -ENAMETOOLONG);
    CHECK_INT(shutdown_unit_name("/ab", small, sizeof small), -ENAMETOOLONG); /* ab.mount + NUL */
    CHECK_INT(shutdown_unit_name("/a", small, sizeof small), 0);
    CHECK_STR(small, "a.mount");
}

TEST(shutdown_mode_values)
{
    CHECK_INT(shutdown_mode_parse(NULL), SHUTDOWN_AUTO);
    CHECK_INT(shutdown_mode_parse("auto"), SHUTDOWN_AUTO);
    CHECK_INT(shutdown_mode_parse("on"), SHUTDOWN_ON);
    CHECK_INT(shutdown_mode_parse("off"), SHUTDOWN_OFF);
    CHECK_INT(shutdown_mode_parse(""), -EINVAL);
    CHECK_INT(shutdown_mode_parse("yes"), -EINVAL);
    CHECK_INT(shutdown_mode_parse("OFF"), -EINVAL);
    CHECK_INT(shutdown_mode_parse("off "), -EINVAL);
}

TEST(shutdown_key_is_parsed_from_the_command_line)
{
    struct cmdline c;

    CHECK_INT(cmdline_parse("root=/dev/vda sharedroot.shutdown=off", &c), 0);
    CHECK_STR(c.shutdown, "off");
    CHECK_INT(c.n_problems, 0);
    cmdline_free(&c);
    CHECK_INT(cmdline_parse("sharedroot.shutdown", &c), 0);
    CHECK(c.shutdown == NULL);
    CHECK_INT(c.n_problems, 1);
    cmdline_free(&c);
}

/* The shutdown program tells, then stops, the network root's resident helpers by argv[0]
 * (the first string of /proc/PID/cmdline), never any other process. */
TEST(helper_is_found_by_argv0_only)
{
    static const char helper[] = "@sharedroot-nbd\0--device\0"
                                 "0";
    CHECK(netroot_is_helper_cmdline(helper, sizeof helper - 1));
    CHECK(netroot_is_helper_cmdline("@sharedroot-nbd", 16));  /* with its NUL */
    CHECK(!netroot_is_helper_cmdline("@sharedroot-nbd", 15)); /* cut short: no NUL */
    CHECK(!netroot_is_helper_cmdline("@sharedroot-nbdx\0", 17));
    CHECK(!netroot_is_helper_cmdline("sharedroot-nbd\0", 15));
    CHECK(!netroot_is_helper_cmdline("/bin/sh\0@sharedroot-nbd\0", 24));
    CHECK(!netroot_is_helper_cmdline("@sharedroot", 11));
    CHECK(!netroot_is_helper_cmdline("", 0));
}

int main(void)
{
    return test_main();
}
