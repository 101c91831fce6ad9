// SPDX-License-Identifier: GPL-2.0-or-later
/* The check before an instance filesystem is mounted read-write (mounts/instcheck.h): what
 * fsck's exit status means, that nothing runs after a refusal, a checker that hangs stopped
 * at the bound, a missing checker. The read-only look itself needs a real filesystem and root:
 * tests/priv/instance.sh and the inst-* QEMU scenarios. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsck.h"
#include "instcheck.h"
#include "testlib.h"

static char tmp[] = "/tmp/test-instcheck.XXXXXX";

/* A checker for c's type, fsck.TYPE in tmp (the only place c looks), that records its
 * arguments in tmp/args and runs body. */
static void fake_checker(struct instcheck *c, const char *body)
{
    char path[256];
    FILE *f;

    snprintf(c->fsck_dirs, sizeof c->fsck_dirs, "%s", tmp);
    snprintf(path, sizeof path, "%s/fsck.%s", tmp, c->type);
    f = fopen(path, "w");
    if (!f)
        abort();
    fprintf(f, "#!/bin/sh\necho \"$@\" >%s/args\n%s\n", tmp, body);
    fclose(f);
    chmod(path, 0755);
}

static bool args_are(const char *want)
{
    char path[256], got[256] = "";
    FILE *f;

    snprintf(path, sizeof path, "%s/args", tmp);
    f = fopen(path, "r");
    if (!f)
        return false;
    if (!fgets(got, sizeof got, f))
        got[0] = 0;
    fclose(f);
    unlink(path);
    got[strcspn(got, "\n")] = 0;
    return strcmp(got, want) == 0;
}

static bool checker_ran(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/args", tmp);
    return access(path, F_OK) == 0;
}

/* no checker and no trace of an earlier test's */
static void fresh(void)
{
    static const char *const names[] = {"args", "fsck.fake", "fsck.ext4"};
    char path[256];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, names[i]);
        unlink(path);
    }
}

/* a /tmp partition's check (no look): only fsck */
static void check_no_look(struct instcheck *c, int passno)
{
    fresh();
    instcheck_init(c, "/dev/fake0", "fake", "/nonexistent/target", passno, INSPECT_NONE);
}

TEST(fsck_status_0_1_2_are_clean)
{
    char why[256] = "";
    CHECK_INT(fsck_verdict(0 << 8, "e2fsck", "/dev/vdb", why, sizeof why), 0);
    CHECK_INT(fsck_verdict(1 << 8, "e2fsck", "/dev/vdb", why, sizeof why), 0);
    CHECK_INT(fsck_verdict(2 << 8, "e2fsck", "/dev/vdb", why, sizeof why), 0);
}

TEST(fsck_status_4_and_up_need_a_human)
{
    char why[512] = "";
    CHECK_INT(fsck_verdict(4 << 8, "e2fsck", "/dev/vdb", why, sizeof why), -EUCLEAN);
    CHECK(strstr(why, "e2fsck -p /dev/vdb exited with status 4") != NULL);
    CHECK(strstr(why, "run 'e2fsck -f /dev/vdb' from the emergency shell") != NULL);
    CHECK_INT(fsck_verdict(8 << 8, "e2fsck", "/dev/vdb", why, sizeof why), -EUCLEAN);
}

TEST(fsck_that_did_not_run_or_was_killed_is_not_clean)
{
    char why[256] = "";
    CHECK_INT(fsck_verdict(127 << 8, "e2fsck", "/dev/vdb", why, sizeof why), -EIO);
    CHECK(strstr(why, "e2fsck could not run on /dev/vdb") != NULL);
    CHECK_INT(fsck_verdict(SIGKILL, "e2fsck", "/dev/vdb", why, sizeof why), -EIO);
    CHECK_INT(fsck_verdict(SIGSEGV | 0x80, "e2fsck", "/dev/vdb", why, sizeof why), -EIO);
}

TEST(finish_without_start_is_an_error)
{
    struct instcheck c;
    check_no_look(&c, 2);
    CHECK(!instcheck_running(&c));
    CHECK_INT(instcheck_finish(&c, 5), -ECHILD);
}

TEST(checker_runs_with_p_and_the_device_and_clean_is_clean)
{
    struct instcheck c;
    check_no_look(&c, 2);
    fake_checker(&c, "exit 0");
    CHECK_INT(instcheck_start(&c), 0);
    CHECK(instcheck_running(&c));
    CHECK_INT(instcheck_finish(&c, 60), 0);
    CHECK(!instcheck_running(&c));
    CHECK_INT(c.look, LOOK_SKIPPED);
    CHECK_INT(c.fsck, 0);
    CHECK(args_are("-p /dev/fake0"));
    CHECK(strstr(c.prog, "/fsck.fake") != NULL);
    CHECK_STR(c.type, "fake");
}

TEST(checker_status_4_fails_the_check)
{
    struct instcheck c;
    check_no_look(&c, 2);
    fake_checker(&c, "exit 4");
    CHECK_INT(instcheck_start(&c), 0);
    CHECK_INT(instcheck_finish(&c, 60), 0);
    CHECK_INT(c.fsck, -EUCLEAN);
    CHECK(strstr(c.why, "-p /dev/fake0 exited with status 4") != NULL);
}

TEST(passno_0_runs_no_checker)
{
    struct instcheck c;
    check_no_look(&c, 0);
    fake_checker(&c, "exit 4");
    CHECK_INT(instcheck_start(&c), 0);
    CHECK_INT(instcheck_finish(&c, 60), 0);
    CHECK_INT(c.fsck, INSTCHECK_FSCK_NOT_RUN);
    CHECK(!checker_ran());
}

TEST(missing_checker_is_reported_not_run)
{
    struct instcheck c;
    check_no_look(&c, 2);
    snprintf(c.fsck_dirs, sizeof c.fsck_dirs, "%s", tmp); /* no fsck.fake there */
    CHECK_INT(instcheck_start(&c), 0);
    CHECK_INT(instcheck_finish(&c, 60), 0);
    CHECK_INT(c.fsck, -ENOENT);
    CHECK_INT(c.find_err, -ENOENT);
    CHECK_STR(c.prog, "");
}

TEST(checker_that_hangs_is_stopped_at_the_bound)
{
    struct instcheck c;
    check_no_look(&c, 2);
    fake_checker(&c, "exec sleep 600");
    CHECK_INT(instcheck_start(&c), 0);
    CHECK_INT(instcheck_finish(&c, 1), 0);
    CHECK_INT(c.fsck, -EUCLEAN);
    CHECK(strstr(c.why, "did not finish within 1 s and was stopped") != NULL);
    CHECK(!instcheck_running(&c));
}

TEST(no_mount_point_refuses_before_the_checker)
{
    struct instcheck c;
    fresh();
    instcheck_init(&c, "/dev/fake0", "fake", "/nonexistent-test-instcheck/target", 2,
                   INSPECT_CLAIM);
    fake_checker(&c, "exit 0");
    CHECK_INT(instcheck_start(&c), 0);
    CHECK_INT(instcheck_finish(&c, 60), 0);
    CHECK_INT(c.look, LOOK_NO_TARGET);
    CHECK_INT(c.look_err, ENOENT);
    CHECK_INT(c.fsck, INSTCHECK_FSCK_NOT_RUN);
    CHECK(!checker_ran());
}

TEST(unmountable_filesystem_lets_the_checker_decide)
{
    struct instcheck c;
    char target[256];

    fresh();
    snprintf(target, sizeof target, "%s/mnt", tmp);
    /* no such device: the read-only mount fails (ENOENT as root, EPERM otherwise) */
    instcheck_init(&c, "/dev/nonexistent-test-instcheck", "ext4", target, 2, INSPECT_UPPER);
    fake_checker(&c, "exit 1");
    CHECK_INT(instcheck_start(&c), 0);
    CHECK_INT(instcheck_finish(&c, 60), 0);
    CHECK_INT(c.look, LOOK_UNMOUNTABLE);
    CHECK(c.look_err != 0);
    CHECK_INT(c.fsck, 0);
    CHECK(args_are("-p /dev/nonexistent-test-instcheck"));
}

TEST(a_second_start_while_running_is_refused)
{
    struct instcheck c;
    check_no_look(&c, 2);
    fake_checker(&c, "exit 0");
    CHECK_INT(instcheck_start(&c), 0);
    CHECK_INT(instcheck_start(&c), -EBUSY);
    CHECK_INT(instcheck_finish(&c, 60), 0);
    CHECK_INT(c.fsck, 0);
}

TEST(untyped_check_of_a_device_without_a_filesystem_stops_before_the_look)
{
    struct instcheck c;
    char dev[256], target[256];
    FILE *f;

    fresh();
    snprintf(dev, sizeof dev, "%s/blank.img", tmp);
    snprintf(target, sizeof target, "%s/mnt2", tmp);
    f = fopen(dev, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    for (int i = 0; i < 64 * 1024; i++)
        fputc(0, f);
    fclose(f);
    instcheck_init(&c, dev, NULL, target, 2, INSPECT_UPPER);
    snprintf(c.fsck_dirs, sizeof c.fsck_dirs, "%s", tmp);
    CHECK_INT(instcheck_start(&c), 0);
    CHECK_INT(instcheck_finish(&c, 60), 0);
    CHECK_INT(c.look, LOOK_NOT_TRIED);
    CHECK_INT(c.look_err, ENOENT);
    CHECK_INT(c.fsck, INSTCHECK_FSCK_NOT_RUN);
    CHECK(access(target, F_OK) != 0); /* not even the mount point was made */
}

int main(void)
{
    if (!mkdtemp(tmp))
        return 1;
    int r = test_main();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0)
        r = 1;
    return r;
}
