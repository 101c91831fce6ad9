// SPDX-License-Identifier: GPL-2.0-or-later
#include "stage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices.h"
#include "emergency.h"
#include "log.h"

static const char *const stage_names[_STAGE_MAX] = {
    [STAGE_EARLY] = "early",       [STAGE_DEVICES] = "devices",   [STAGE_ROOT] = "root",
    [STAGE_INSTANCE] = "instance", [STAGE_RECONCILE] = "reconcile", [STAGE_OVERLAY] = "overlay",
    [STAGE_TMP_SWAP] = "tmp-swap", [STAGE_SWITCH] = "switch",
};

uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void boot_ctx_free(struct boot_ctx *ctx)
{
    ctx->devices = devices_free(ctx->devices);
    cmdline_free(&ctx->cmd);
}

const char *stage_name(enum stage s)
{
    return s < _STAGE_MAX ? stage_names[s] : "?";
}

int stage_from_name(const char *name, enum stage *out)
{
    for (int i = 0; i < _STAGE_MAX; i++)
        if (strcmp(stage_names[i], name) == 0) {
            *out = (enum stage)i;
            return 0;
        }
    return -EINVAL;
}

void stage_run(struct boot_ctx *ctx, enum stage s, stage_fn fn)
{
    for (;;) {
        uint64_t t0 = now_ms();
        int r;

        log_debug("stage %s starting", stage_name(s));
        r = fn(ctx);
        ctx->stage_ms[s] = now_ms() - t0;
        if (r >= 0) {
            log_info("stage %s done in %llu ms", stage_name(s),
                     (unsigned long long)ctx->stage_ms[s]);
            break;
        }
        ctx->failed_stage = s;
        ctx->failed_error = r;
        /* Returns only when the user asked to retry the stage from the emergency shell. */
        emergency(ctx, s, r);
    }
    if (ctx->has_until && ctx->until == s) {
        log_info("stopping after stage %s as asked (--until)", stage_name(s));
        boot_ctx_free(ctx);
        exit(0);
    }
}
