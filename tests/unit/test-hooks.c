// SPDX-License-Identifier: GPL-2.0-or-later
/* hooks/: discovery, order, the permission check, and running hooks (exit status, -optional,
 * environment, output prefixing, timeout). Hook files are made in a temporary directory owned
 * by the user running the test, which is the owner the checks demand here. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "kmsg.h"
#include "testlib.h"

static char base[PATH_MAX];
static int kmsg[2];

static struct hooks_config cfg(void)
{
    return (struct hooks_config){
        .base = base, .owner = getuid(), .timeout_s = 10, .kill_grace_ms = 300, .console_fd = -1};
}

static void put(const char *rel, const char *body, mode_t mode)
{
    char path[PATH_MAX + 64], dir[PATH_MAX + 64];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", base, rel);
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    mkdir(dir, 0755);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(body, f);
    fclose(f);
    CHECK(chmod(path, mode) == 0);
}

static void setup(void)
{
    snprintf(base, sizeof base, "%s/test-hooks.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    CHECK(mkdtemp(base) != NULL);
    chmod(base, 0755);
    CHECK(pipe2(kmsg, O_NONBLOCK | O_CLOEXEC) == 0);
    fcntl(kmsg[1], F_SETPIPE_SZ, 1 << 20);
    log_set_kmsg_fd(kmsg[1]);
    log_set_console_fd(-1);
}

/* everything logged since setup */
static char *logged(void)
{
    static char buf[1 << 16];
    ssize_t n = read(kmsg[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];
    log_set_kmsg_fd(-1);
    log_set_console_fd(2);
    close(kmsg[0]);
    close(kmsg[1]);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    CHECK(system(cmd) == 0);
}

TEST(candidate_names_skip_hidden_backup_and_package_leftovers)
{
    CHECK(hooks_name_is_candidate("10-fsck"));
    CHECK(hooks_name_is_candidate("50-hostname.sh"));
    CHECK(!hooks_name_is_candidate(".10-hidden"));
    CHECK(!hooks_name_is_candidate("10-fsck~"));
    CHECK(!hooks_name_is_candidate("10-fsck.dpkg-old"));
    CHECK(!hooks_name_is_candidate("10-fsck.dpkg-dist"));
    CHECK(!hooks_name_is_candidate("10-fsck.rpmnew"));
    CHECK(!hooks_name_is_candidate("10-fsck.ucf-dist"));
    CHECK(!hooks_name_is_candidate(""));
}

TEST(optional_suffix_is_recognised_only_at_the_end)
{
    CHECK(hooks_name_is_optional("20-net-optional"));
    CHECK(!hooks_name_is_optional("20-optional-net"));
    CHECK(!hooks_name_is_optional("-optional"));
    CHECK(!hooks_name_is_optional("20-net"));
}

TEST(discovery_of_a_missing_stage_dir_is_empty)
{
    struct hooks_config c;
    struct hook_list l;
    setup();
    c = cfg();
    CHECK_INT(hooks_discover(&c, "root", &l), 0);
    CHECK_INT(l.n, 0);
    hook_list_free(&l);
    c.base = "/nonexistent/sharedroot-hooks";
    CHECK_INT(hooks_discover(&c, "root", &l), 0);
    CHECK_INT(l.n, 0);
    teardown();
}

TEST(discovery_is_in_byte_order_and_skips_leftovers)
{
    struct hooks_config c;
    struct hook_list l;
    setup();
    c = cfg();
    put("root.d/50-b", "#!/bin/sh\n", 0755);
    put("root.d/10-a", "#!/bin/sh\n", 0755);
    put("root.d/9-c", "#!/bin/sh\n", 0755);
    put("root.d/Z-upper", "#!/bin/sh\n", 0755);
    put("root.d/10-a~", "#!/bin/sh\n", 0755);
    put("root.d/.hidden", "#!/bin/sh\n", 0755);
    put("root.d/30-x-optional", "#!/bin/sh\n", 0755);
    put("devices.d/10-other-stage", "#!/bin/sh\n", 0755);
    CHECK_INT(hooks_discover(&c, "root", &l), 0);
    CHECK_INT(l.n, 5);
    if (l.n == 5) {
        /* strcmp order, like LC_ALL=C ls: digits before upper case, "9" after "50" */
        CHECK_STR(l.v[0].name, "10-a");
        CHECK_STR(l.v[1].name, "30-x-optional");
        CHECK_STR(l.v[2].name, "50-b");
        CHECK_STR(l.v[3].name, "9-c");
        CHECK_STR(l.v[4].name, "Z-upper");
        CHECK(l.v[1].optional);
        CHECK(!l.v[0].optional);
        CHECK(strstr(l.v[0].path, "/root.d/10-a") != NULL);
    }
    hook_list_free(&l);
    teardown();
}

TEST(world_writable_hook_is_refused_with_the_fix)
{
    struct hooks_config c;
    char why[1024], path[PATH_MAX + 32];
    setup();
    c = cfg();
    put("root.d/10-bad", "#!/bin/sh\n", 0777);
    snprintf(path, sizeof path, "%s/root.d/10-bad", base);
    chmod(path, 0777);
    CHECK_INT(hooks_check_file(&c, path, why, sizeof why), -EPERM);
    CHECK(strstr(why, path) != NULL);
    CHECK(strstr(why, "writable by group or others") != NULL);
    CHECK(strstr(why, "chmod go-w") != NULL);
    teardown();
}

TEST(group_writable_hook_is_refused)
{
    struct hooks_config c;
    char why[1024], path[PATH_MAX + 32];
    setup();
    c = cfg();
    put("root.d/10-bad", "#!/bin/sh\n", 0775);
    snprintf(path, sizeof path, "%s/root.d/10-bad", base);
    chmod(path, 0775);
    CHECK_INT(hooks_check_file(&c, path, why, sizeof why), -EPERM);
    teardown();
}

TEST(hook_of_another_owner_is_refused)
{
    struct hooks_config c;
    char why[1024], path[PATH_MAX + 32];
    setup();
    c = cfg();
    put("root.d/10-foreign", "#!/bin/sh\n", 0755);
    snprintf(path, sizeof path, "%s/root.d/10-foreign", base);
    c.owner = getuid() + 1; /* as if the file belonged to someone else */
    CHECK_INT(hooks_check_file(&c, path, why, sizeof why), -EPERM);
    CHECK(strstr(why, "owned by uid") != NULL);
    CHECK(strstr(why, "chown") != NULL);
    teardown();
}

TEST(writable_stage_dir_is_refused)
{
    struct hooks_config c;
    struct hook_list l;
    char dir[PATH_MAX + 32];
    setup();
    c = cfg();
    put("root.d/10-a", "#!/bin/sh\n", 0755);
    snprintf(dir, sizeof dir, "%s/root.d", base);
    chmod(dir, 0777);
    CHECK_INT(hooks_discover(&c, "root", &l), -EPERM);
    CHECK(strstr(logged(), "root.d: it is writable by group or others") != NULL);
    teardown();
}

TEST(writable_base_dir_is_refused)
{
    struct hooks_config c;
    struct hook_list l;
    setup();
    c = cfg();
    put("root.d/10-a", "#!/bin/sh\n", 0755);
    chmod(base, 0757);
    CHECK_INT(hooks_discover(&c, "root", &l), -EPERM);
    teardown();
}

TEST(non_executable_hook_is_skipped_not_refused)
{
    struct hooks_config c;
    char why[1024], path[PATH_MAX + 32];
    setup();
    c = cfg();
    put("root.d/10-off", "#!/bin/sh\nexit 1\n", 0644);
    snprintf(path, sizeof path, "%s/root.d/10-off", base);
    CHECK_INT(hooks_check_file(&c, path, why, sizeof why), 0);
    CHECK(strstr(why, "not executable") != NULL);
    teardown();
}

TEST(fifo_and_directory_hooks_are_refused)
{
    struct hooks_config c;
    char why[1024], path[PATH_MAX + 32];
    setup();
    c = cfg();
    put("root.d/keep", "", 0644);
    snprintf(path, sizeof path, "%s/root.d/10-fifo", base);
    CHECK(mkfifo(path, 0755) == 0);
    CHECK_INT(hooks_check_file(&c, path, why, sizeof why), -EPERM);
    CHECK(strstr(why, "fifo") != NULL);
    snprintf(path, sizeof path, "%s/root.d/20-dir", base);
    CHECK(mkdir(path, 0755) == 0);
    CHECK_INT(hooks_check_file(&c, path, why, sizeof why), -EPERM);
    teardown();
}

TEST(symlink_escaping_the_hook_dir_is_refused)
{
    struct hooks_config c;
    char why[1024], path[PATH_MAX + 32];
    setup();
    c = cfg();
    put("root.d/keep", "", 0644);
    snprintf(path, sizeof path, "%s/root.d/10-sh", base);
    CHECK(symlink("/bin/sh", path) == 0);
    CHECK_INT(hooks_check_file(&c, path, why, sizeof why), -EPERM);
    CHECK(strstr(why, "outside") != NULL);
    snprintf(path, sizeof path, "%s/root.d/20-dangling", base);
    CHECK(symlink("nonexistent", path) == 0);
    CHECK_INT(hooks_check_file(&c, path, why, sizeof why), -EPERM);
    snprintf(path, sizeof path, "%s/root.d/30-dotdot", base);
    CHECK(symlink("../../../../../../bin/sh", path) == 0);
    CHECK_INT(hooks_check_file(&c, path, why, sizeof why), -EPERM);
    teardown();
}

TEST(symlink_to_a_hook_inside_the_base_is_accepted)
{
    struct hooks_config c;
    char why[1024], path[PATH_MAX + 32];
    setup();
    c = cfg();
    put("shared/common", "#!/bin/sh\n", 0755);
    put("root.d/keep", "", 0644);
    snprintf(path, sizeof path, "%s/root.d/10-common", base);
    CHECK(symlink("../shared/common", path) == 0);
    CHECK_INT(hooks_check_file(&c, path, why, sizeof why), 1);
    /* but not when its target is unsafe */
    snprintf(path, sizeof path, "%s/shared/common", base);
    chmod(path, 0777);
    snprintf(path, sizeof path, "%s/root.d/10-common", base);
    CHECK_INT(hooks_check_file(&c, path, why, sizeof why), -EPERM);
    teardown();
}

TEST(hooks_run_in_order_with_the_documented_environment)
{
    struct hooks_config c;
    struct hooks_env env = {.stage = "root",
                            .sysroot = "/sysroot",
                            .instance = "LABEL=inst",
                            .root_device = "/dev/vda",
                            .root_fstype = "ext4",
                            .mode = "instance",
                            .hostname = NULL};
    char out[PATH_MAX + 32], script[PATH_MAX * 2], line[512], failed[64];
    FILE *f;
    setup();
    c = cfg();
    snprintf(out, sizeof out, "%s/out", base);
    snprintf(script, sizeof script,
             "#!/bin/sh\necho \"$SHAREDROOT_HOOK $SHAREDROOT_STAGE $SHAREDROOT_SYSROOT "
             "$SHAREDROOT_INSTANCE $SHAREDROOT_ROOT_DEVICE $SHAREDROOT_ROOT_FSTYPE "
             "$SHAREDROOT_MODE [$SHAREDROOT_HOSTNAME] $PATH ${FOO:-nofoo}\" >>%s\n",
             out);
    put("root.d/20-second", script, 0755);
    put("root.d/10-first", script, 0755);
    setenv("FOO", "leaked", 1);
    CHECK_INT(hooks_run_stage(&c, &env, failed, sizeof failed), 0);
    unsetenv("FOO");
    f = fopen(out, "r");
    CHECK(f != NULL);
    if (f) {
        CHECK(fgets(line, sizeof line, f) != NULL);
        CHECK_STR(line, "10-first root /sysroot LABEL=inst /dev/vda ext4 instance [] " HOOKS_PATH
                        " nofoo\n");
        CHECK(fgets(line, sizeof line, f) != NULL);
        CHECK(strncmp(line, "20-second ", 10) == 0);
        fclose(f);
    }
    teardown();
}

TEST(hook_output_is_logged_line_by_line_with_the_hook_name)
{
    struct hooks_config c;
    struct hooks_env env = {.stage = "root"};
    char failed[64];
    int con[2];
    char buf[4096];
    ssize_t n;
    setup();
    c = cfg();
    CHECK(pipe2(con, O_NONBLOCK) == 0);
    c.console_fd = con[1];
    put("root.d/10-talk", "#!/bin/sh\necho hello\necho oops >&2\nprintf 'no newline'\n", 0755);
    CHECK_INT(hooks_run_stage(&c, &env, failed, sizeof failed), 0);
    const char *l = logged();
    CHECK(strstr(l, "<6>sharedroot: hook 10-talk: hello\n") != NULL);
    CHECK(strstr(l, "<6>sharedroot: hook 10-talk: oops\n") != NULL);
    CHECK(strstr(l, "<6>sharedroot: hook 10-talk: no newline\n") != NULL);
    n = read(con[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    CHECK(strstr(buf, "sharedroot: hook 10-talk: hello\nsharedroot: hook 10-talk: oops\n") != NULL);
    close(con[0]);
    close(con[1]);
    teardown();
}

TEST(failing_hook_fails_the_stage_and_stops_later_hooks)
{
    struct hooks_config c;
    struct hooks_env env = {.stage = "root"};
    char failed[64], marker[PATH_MAX + 32], body[PATH_MAX * 2];
    setup();
    c = cfg();
    snprintf(marker, sizeof marker, "%s/ran-later", base);
    snprintf(body, sizeof body, "#!/bin/sh\ntouch %s\n", marker);
    put("root.d/10-fail", "#!/bin/sh\nexit 3\n", 0755);
    put("root.d/20-later", body, 0755);
    CHECK_INT(hooks_run_stage(&c, &env, failed, sizeof failed), -EIO);
    CHECK_STR(failed, "10-fail");
    CHECK(access(marker, F_OK) != 0);
    const char *l = logged();
    CHECK(strstr(l, "10-fail exited with status 3") != NULL);
    CHECK(strstr(l, "-optional") != NULL);
    teardown();
}

TEST(failing_optional_hook_logs_and_goes_on)
{
    struct hooks_config c;
    struct hooks_env env = {.stage = "root"};
    char failed[64], marker[PATH_MAX + 32], body[PATH_MAX * 2];
    setup();
    c = cfg();
    snprintf(marker, sizeof marker, "%s/ran-later", base);
    snprintf(body, sizeof body, "#!/bin/sh\ntouch %s\n", marker);
    put("root.d/10-fail-optional", "#!/bin/sh\nexit 3\n", 0755);
    put("root.d/20-later", body, 0755);
    CHECK_INT(hooks_run_stage(&c, &env, failed, sizeof failed), 0);
    CHECK_STR(failed, "");
    CHECK(access(marker, F_OK) == 0);
    CHECK(strstr(logged(), "<4>sharedroot: WARNING: hook") != NULL);
    teardown();
}

TEST(refused_hook_fails_the_stage_unless_optional)
{
    struct hooks_config c;
    struct hooks_env env = {.stage = "root"};
    char failed[64], path[PATH_MAX + 32];
    setup();
    c = cfg();
    put("root.d/10-open", "#!/bin/sh\n", 0755);
    snprintf(path, sizeof path, "%s/root.d/10-open", base);
    chmod(path, 0757);
    CHECK_INT(hooks_run_stage(&c, &env, failed, sizeof failed), -EPERM);
    CHECK_STR(failed, "10-open");
    CHECK(strstr(logged(), "refusing hook") != NULL);
    /* the same file with an -optional name: refused, logged, and the boot goes on */
    put("devices.d/10-open-optional", "#!/bin/sh\n", 0755);
    snprintf(path, sizeof path, "%s/devices.d/10-open-optional", base);
    chmod(path, 0757);
    env.stage = "devices";
    CHECK_INT(hooks_run_stage(&c, &env, failed, sizeof failed), 0);
    teardown();
}

TEST(hook_that_hangs_is_killed_after_the_timeout)
{
    struct hooks_config c;
    struct hooks_env env = {.stage = "root"};
    char failed[64];
    struct timespec a, b;
    setup();
    c = cfg();
    c.timeout_s = 1;
    /* ignores SIGTERM: only SIGKILL after the grace ends it */
    put("root.d/10-hang", "#!/bin/sh\ntrap '' TERM\necho waiting\nwhile :; do sleep 1; done\n",
        0755);
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK_INT(hooks_run_stage(&c, &env, failed, sizeof failed), -ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &b);
    CHECK(b.tv_sec - a.tv_sec < 5);
    CHECK_STR(failed, "10-hang");
    const char *l = logged();
    CHECK(strstr(l, "did not finish within 1 s") != NULL);
    CHECK(strstr(l, "SIGKILL") != NULL);
    teardown();
}

TEST(background_child_holding_the_pipe_does_not_block_the_boot)
{
    struct hooks_config c;
    struct hooks_env env = {.stage = "root"};
    char failed[64];
    struct timespec a, b;
    setup();
    c = cfg();
    put("root.d/10-daemon", "#!/bin/sh\nsleep 3 &\necho started\n", 0755);
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK_INT(hooks_run_stage(&c, &env, failed, sizeof failed), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    CHECK(b.tv_sec - a.tv_sec < 2);
    teardown();
}

TEST(hook_that_cannot_be_executed_fails_with_a_message)
{
    struct hooks_config c;
    struct hooks_env env = {.stage = "root"};
    char failed[64];
    setup();
    c = cfg();
    put("root.d/10-badinterp", "#!/nonexistent/interpreter\n", 0755);
    CHECK_INT(hooks_run_stage(&c, &env, failed, sizeof failed), -EIO);
    const char *l = logged();
    CHECK(strstr(l, "cannot execute") != NULL);
    CHECK(strstr(l, "exited with status 127") != NULL);
    teardown();
}

int main(void)
{
    return test_main();
}
