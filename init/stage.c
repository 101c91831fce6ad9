// SPDX-License-Identifier: GPL-2.0-or-later
#include "stage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices.h"
#include "emergency.h"
#include "hooks.h"
#include "log.h"
#include "netroot.h"
#include "stage-instance.h"
#include "time-util.h"

static const char *const stage_names[_STAGE_MAX] = {
    [STAGE_EARLY] = "early",       [STAGE_DEVICES] = "devices",     [STAGE_ROOT] = "root",
    [STAGE_INSTANCE] = "instance", [STAGE_RECONCILE] = "reconcile", [STAGE_OVERLAY] = "overlay",
    [STAGE_TMP_SWAP] = "tmp-swap", [STAGE_SWITCH] = "switch",
};

void boot_ctx_free(struct boot_ctx *ctx)
{
    instance_check_early_end(ctx);
    ctx->devices = devices_free(ctx->devices);
    netroot_free(ctx);
    cmdline_free(&ctx->cmd);
    layout_free(&ctx->layout);
    for (size_t i = 0; i < ctx->n_reconciled; i++) {
        free(ctx->reconciled[i].dir);
        free(ctx->reconciled[i].applied);
    }
    free(ctx->reconciled);
    ctx->reconciled = NULL;
    ctx->n_reconciled = 0;
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

static const char *mode_name(const struct boot_ctx *ctx)
{
    switch (ctx->mode) {
    case MODE_OFF:
        return "off";
    case MODE_VOLATILE:
        return "volatile";
    case MODE_INSTANCE:
        return "instance";
    case MODE_LAYOUT:
        return "layout";
    }
    return "";
}

/* The hook directory: a test run takes it from $SHAREDROOT_HOOKS_DIR; PID 1 only ever runs
 * the initramfs's own. */
static const char *hooks_base(const struct boot_ctx *ctx)
{
    const char *base = ctx->pid1 ? NULL : getenv("SHAREDROOT_HOOKS_DIR");
    return base && *base ? base : HOOKS_DIR;
}

bool stage_has_hooks(const struct boot_ctx *ctx, enum stage s)
{
    char dir[PATH_MAX];
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *e;

    snprintf(dir, sizeof dir, "%s/%s.d", hooks_base(ctx), stage_name(s));
    d = opendir(dir);
    if (!d)
        return errno != ENOENT; /* unreadable: say yes, the hook runner will tell */
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            return true;
    return false;
}

/* The hooks of stage s (docs/sharedroot-hooks.7). */
static int stage_hooks(struct boot_ctx *ctx, enum stage s)
{
    struct hooks_config cfg = {
        .base = hooks_base(ctx),
        .owner = geteuid(),
        .timeout_s = (unsigned)ctx->cmd.hook_timeout,
        .console_fd = -1,
    };
    struct hooks_env env = {
        .stage = stage_name(s),
        .sysroot = ctx->sysroot,
        .instance = ctx->cmd.instance,
        .root_device = ctx->root_device,
        .root_fstype = ctx->root_fstype,
        /* decided by the instance stage (a layout file is read from the root); before it
         * only sharedroot=off is known: "" rather than a wrong "off" */
        .mode = s >= STAGE_INSTANCE || ctx->cmd.off ? mode_name(ctx) : "",
        .hostname = ctx->cmd.hostname,
        .debug = log_get_debug(),
    };
    int r;

    if (cfg.timeout_s == 0)
        cfg.timeout_s = 1; /* an unbounded wait is never an option in PID 1 */
    /* a hook may touch the instance disk: not while it is checked, nor after the verdict */
    if (ctx->early_check && stage_has_hooks(ctx, s))
        instance_check_early_end(ctx);
    /* the logger sends info lines to kmsg only; hook output belongs on the console too */
    if (ctx->pid1)
        cfg.console_fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    r = hooks_run_stage(&cfg, &env, ctx->failed_hook, sizeof ctx->failed_hook);
    if (cfg.console_fd >= 0)
        close(cfg.console_fd);
    return r;
}

/* Run fn (the stage, or its hooks) until it succeeds: a failure goes to the emergency path,
 * which returns only when the user asked for a retry. */
static void run_until_done(struct boot_ctx *ctx, enum stage s, stage_fn fn, bool hooks)
{
    for (;;) {
        uint64_t t0 = now_ms();
        int r;

        if (hooks) {
            r = stage_hooks(ctx, s);
        } else {
            log_debug("stage %s starting", stage_name(s));
            ctx->failed_hook[0] = '\0';
            ctx->stage_t0 = t0;
            r = fn(ctx);
            ctx->stage_ms[s] = now_ms() - t0;
        }
        if (r >= 0) {
            if (!hooks)
                log_info("stage %s done in %llu ms", stage_name(s),
                         (unsigned long long)ctx->stage_ms[s]);
            return;
        }
        /* nothing runs behind the shell's back, and what the user does there may change the
         * instance disk: the early check ends first, and its verdict is not used */
        instance_check_early_end(ctx);
        emergency(ctx, s, r);
    }
}

bool stage_break_wanted(const char *breaks, enum stage s)
{
    const char *name = stage_name(s);
    size_t len = strlen(name);

    for (const char *p = breaks; p && *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && memcmp(p, name, len) == 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

/* A typo in sharedroot.break= must be seen: the user wanted a shell and gets none. */
static void check_break_names(const struct boot_ctx *ctx)
{
    for (const char *p = ctx->cmd.breaks; p && *p;) {
        size_t n = strcspn(p, ",");
        char name[32];
        enum stage s;

        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p);
        if (stage_from_name(name, &s) < 0)
            log_warning("sharedroot.break=%s: no stage of that name; use early, devices, root, "
                        "instance, reconcile, overlay, tmp-swap or switch",
                        name);
        p += n + (p[n] == ',');
    }
}

void stage_run(struct boot_ctx *ctx, enum stage s, stage_fn fn)
{
    if (s == STAGE_SWITCH) {
        /* nothing runs after a switch: its hooks and break point come just before it */
        run_until_done(ctx, s, NULL, true);
        if (stage_break_wanted(ctx->cmd.breaks, s))
            emergency_break(ctx, s);
        run_until_done(ctx, s, fn, false);
    } else {
        run_until_done(ctx, s, fn, false);
        if (s == STAGE_EARLY)
            check_break_names(ctx);
        run_until_done(ctx, s, NULL, true);
        if (stage_break_wanted(ctx->cmd.breaks, s)) {
            instance_check_early_end(ctx); /* as before an emergency shell */
            emergency_break(ctx, s);
        }
    }
    if (ctx->has_until && ctx->until == s) {
        log_info("stopping after stage %s as asked (--until)", stage_name(s));
        boot_ctx_free(ctx);
        exit(0);
    }
}
