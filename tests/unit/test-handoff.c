// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>

#include "context.h"
#include "handoff.h"
#include "testlib.h"

static void ctx_with_times(struct boot_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->t_start = 1000;
    for (int s = 0; s < _STAGE_MAX; s++)
        ctx->stage_ms[s] = (uint64_t)(s + 1) * 10;
    ctx->stage_t0 = 1700;
    ctx->mode = MODE_INSTANCE;
}

TEST(handoff_line_has_version_times_every_stage_and_mode)
{
    struct boot_ctx ctx;
    char buf[512];

    ctx_with_times(&ctx);
    int n = handoff_format(&ctx, 2345, 1812, buf, sizeof buf);
    CHECK(n > 0);
    CHECK_INT(n, strlen(buf));
    CHECK_STR(buf, "sharedroot-handoff: v=1 uptime_ms=2345 init_ms=812 early=10 devices=20 "
                   "root=30 instance=40 reconcile=50 overlay=60 tmp-swap=70 switch=112 "
                   "mode=instance\n");
}

TEST(handoff_line_is_one_line_for_every_mode)
{
    static const enum boot_mode modes[] = {MODE_OFF, MODE_VOLATILE, MODE_INSTANCE, MODE_LAYOUT};
    static const char *const words[] = {"mode=off\n", "mode=volatile\n", "mode=instance\n",
                                        "mode=layout\n"};
    struct boot_ctx ctx;
    char buf[512];

    for (size_t i = 0; i < 4; i++) {
        ctx_with_times(&ctx);
        ctx.mode = modes[i];
        CHECK(handoff_format(&ctx, 1, 1812, buf, sizeof buf) > 0);
        CHECK(strchr(buf, '\n') == buf + strlen(buf) - 1);
        CHECK(strlen(buf) >= strlen(words[i]) &&
              strcmp(buf + strlen(buf) - strlen(words[i]), words[i]) == 0);
    }
}

TEST(handoff_line_refuses_a_short_buffer)
{
    struct boot_ctx ctx;
    char buf[40];

    ctx_with_times(&ctx);
    CHECK_INT(handoff_format(&ctx, 2345, 1812, buf, sizeof buf), -ENOSPC);
    CHECK_INT(handoff_format(&ctx, 2345, 1812, buf, 0), -ENOSPC);
    /* exactly the length without room for the NUL is too short as well */
    char big[512];
    int n = handoff_format(&ctx, 2345, 1812, big, sizeof big);
    CHECK_INT(handoff_format(&ctx, 2345, 1812, big, (size_t)n), -ENOSPC);
    CHECK_INT(handoff_format(&ctx, 2345, 1812, big, (size_t)n + 1), n);
}

int main(void)
{
    return test_main();
}
