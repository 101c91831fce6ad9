// SPDX-License-Identifier: GPL-2.0-or-later
/* When the root stage may start the instance disk's check early
 * (instance_check_may_start_early): only for sharedroot.instance= on a local disk, and never
 * when a layout file, a break point after the root stage, its hooks, maintenance, in-root
 * mode or a /dev without devtmpfs could come between the check and its use. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stage-instance.h"
#include "testlib.h"

static char hooks[] = "/tmp/test-instance-early.XXXXXX";

static void ctx_for(struct boot_ctx *ctx, const char *instance)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->cmd.instance = (char *)instance;
    ctx->sysroot = "/sysroot";
}

TEST(instance_disk_on_the_command_line_starts_early)
{
    struct boot_ctx ctx;
    ctx_for(&ctx, "/dev/vdb");
    CHECK(instance_check_may_start_early(&ctx));
    ctx_for(&ctx, "LABEL=instance");
    CHECK(instance_check_may_start_early(&ctx));
}

TEST(no_instance_or_a_layout_file_does_not)
{
    struct boot_ctx ctx;
    ctx_for(&ctx, NULL);
    CHECK(!instance_check_may_start_early(&ctx));
    ctx_for(&ctx, "/dev/vdb");
    ctx.cmd.layout = (char *)"/etc/sharedroot/layout";
    CHECK(!instance_check_may_start_early(&ctx));
}

TEST(maintenance_in_root_and_tmpfs_dev_do_not)
{
    struct boot_ctx ctx;
    ctx_for(&ctx, "/dev/vdb");
    ctx.cmd.off = true;
    CHECK(!instance_check_may_start_early(&ctx));
    ctx_for(&ctx, "/dev/vdb");
    ctx.in_root = true;
    CHECK(!instance_check_may_start_early(&ctx));
    ctx_for(&ctx, "/dev/vdb");
    ctx.dev_is_tmpfs = true;
    CHECK(!instance_check_may_start_early(&ctx));
}

TEST(network_instance_disk_does_not)
{
    struct boot_ctx ctx;
    ctx_for(&ctx, "nbd:10.0.2.2:instance");
    CHECK(!instance_check_may_start_early(&ctx));
}

TEST(break_after_root_does_not_other_breaks_do)
{
    struct boot_ctx ctx;
    ctx_for(&ctx, "/dev/vdb");
    ctx.cmd.breaks = (char *)"devices,root";
    CHECK(!instance_check_may_start_early(&ctx));
    ctx.cmd.breaks = (char *)"root";
    CHECK(!instance_check_may_start_early(&ctx));
    ctx.cmd.breaks = (char *)"devices,instance,overlay";
    CHECK(instance_check_may_start_early(&ctx));
}

TEST(hooks_after_root_do_not_other_stages_hooks_do)
{
    struct boot_ctx ctx;
    char dir[256], hook[300];

    ctx_for(&ctx, "/dev/vdb");
    snprintf(dir, sizeof dir, "%s/instance.d", hooks);
    CHECK_INT(mkdir(dir, 0755), 0);
    snprintf(hook, sizeof hook, "%s/10-x", dir);
    CHECK_INT(symlink("/bin/true", hook), 0);
    CHECK(instance_check_may_start_early(&ctx));
    snprintf(dir, sizeof dir, "%s/root.d", hooks);
    CHECK_INT(mkdir(dir, 0755), 0);
    CHECK(instance_check_may_start_early(&ctx)); /* empty: nothing runs */
    snprintf(hook, sizeof hook, "%s/10-y", dir);
    CHECK_INT(symlink("/bin/true", hook), 0);
    CHECK(!instance_check_may_start_early(&ctx));
}

TEST(a_check_already_running_is_not_started_twice)
{
    struct boot_ctx ctx;
    ctx_for(&ctx, "/dev/vdb");
    ctx.early_check = (struct instcheck *)&ctx; /* any non-NULL */
    CHECK(!instance_check_may_start_early(&ctx));
}

int main(void)
{
    if (!mkdtemp(hooks))
        return 1;
    setenv("SHAREDROOT_HOOKS_DIR", hooks, 1); /* a test run (not PID 1) reads it */
    int r = test_main();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", hooks);
    if (system(cmd) != 0)
        r = 1;
    return r;
}
