// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-init: the PID-1 helper that assembles a shared, read-only root plus the
 * per-instance layer and hands off to the real init. main() reads like the boot.
 */
#include <getopt.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "context.h"
#include "dhcp.h"
#include "early.h"
#include "emergency.h"
#include "kmsg.h"
#include "shutdown.h"
#include "stage-devices.h"
#include "stage-instance.h"
#include "stage-overlay.h"
#include "stage-reconcile.h"
#include "stage-root.h"
#include "stage-tmpswap.h"
#include "stage.h"
#include "switchroot.h"
#include "time-util.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: sharedroot-init [OPTIONS]\n"
               "As PID 1 (the initramfs's /init) it takes no options: everything comes from the\n"
               "kernel command line (see sharedroot-init(8)). Run as an ordinary process it is a\n"
               "test run that never switches roots:\n"
               "  --cmdline FILE   read the command line from FILE instead of /proc/cmdline\n"
               "  --sysroot DIR    mount the root at DIR instead of /sysroot\n"
               "  --until STAGE    stop after STAGE (early, devices, root, switch)\n"
               "  --moddir DIR     kernel module directory (default: the running kernel's)\n"
               "  --coldplug       load modules for present devices (always done as PID 1)\n"
               "  --in-root        the root at --sysroot is already mounted (in-root mode)\n"
               "  --debug          log debug messages\n"
               "  --shutdown VERB  run the shutdown program (/run/initramfs/shutdown) on the\n"
               "                   mounts below --oldroot DIR (default /oldroot); never reboots\n"
               "  --resume         inside the emergency or break-point shell: end that shell so\n"
               "                   PID 1 retries the failed stage (or goes on after the break)\n"
               "  -h, --help       show this help\n"
               "  -V, --version    show the version\n");
}

/* Exit codes of a test run: 0 success, 1 a stage failed, 2 usage error. */
static void parse_test_args(struct boot_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"cmdline", required_argument, NULL, 'c'},
        {"sysroot", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'},
        {"moddir", required_argument, NULL, 'm'},
        {"coldplug", no_argument, NULL, 'C'},
        {"debug", no_argument, NULL, 'd'},
        {"in-root", no_argument, NULL, 'R'},
        {"resume", no_argument, NULL, 'r'},
        {"shutdown", required_argument, NULL, 'S'},
        {"oldroot", required_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            ctx->cmdline_path = optarg;
            break;
        case 's':
            ctx->sysroot = optarg;
            break;
        case 'm':
            ctx->moddir = optarg;
            break;
        case 'C':
            ctx->coldplug = true;
            break;
        case 'R':
            ctx->in_root = true;
            break;
        case 'd':
            log_set_debug(true);
            break;
        case 'S':
            ctx->shutdown_verb = optarg;
            break;
        case 'O':
            ctx->shutdown_oldroot = optarg;
            break;
        case 'r': {
            /* $SHAREDROOT_RUN_DIR: for tests only */
            const char *run = getenv("SHAREDROOT_RUN_DIR");
            exit(emergency_resume(run && *run ? run : EMERGENCY_RUN_DIR) < 0 ? 1 : 0);
        }
        case 'u':
            if (stage_from_name(optarg, &ctx->until) < 0) {
                fprintf(stderr,
                        "sharedroot-init: --until %s: unknown stage; use one of early, "
                        "devices, root, switch\n",
                        optarg);
                exit(2);
            }
            ctx->has_until = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("sharedroot-init %s\n", SHAREDROOT_VERSION);
            exit(0);
        default:
            usage(stderr);
            exit(2);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sharedroot-init: unexpected argument '%s'\n", argv[optind]);
        exit(2);
    }
}

static bool root_is_initramfs(void)
{
    struct statfs sfs;
    return statfs("/", &sfs) == 0 && (sfs.f_type == RAMFS_MAGIC || sfs.f_type == TMPFS_MAGIC);
}

static void boot_ctx_init(struct boot_ctx *ctx, int argc, char **argv)
{
    memset(ctx, 0, sizeof *ctx);
    /* The init's log sink from the first line on: the console (stderr) until the early stage
     * opens /dev/kmsg, with the lines kept for the emergency shell. */
    log_set_console_fd(2);
    ctx->t_start = now_ms();
    ctx->pid1 = getpid() == 1;
    ctx->cmdline_path = "/proc/cmdline";
    ctx->sysroot = "/sysroot";
    /* As PID 1, argv holds what the kernel passes to init, not our options. */
    if (ctx->pid1) {
        ctx->coldplug = true;
        /* Started by the kernel on a real root instead of the initramfs: in-root mode. */
        if (!root_is_initramfs()) {
            ctx->in_root = true;
            ctx->sysroot = "/";
        }
    } else {
        parse_test_args(ctx, argc, argv);
    }
}

/* udhcpc runs the init under the script's name to hand over a lease (net/dhcp.h). */
static bool is_dhcp_script(const char *argv0)
{
    const char *base = strrchr(argv0, '/');
    return strcmp(base ? base + 1 : argv0, DHCP_SCRIPT_NAME) == 0;
}

int main(int argc, char **argv)
{
    struct boot_ctx ctx;

    if (argc > 0 && is_dhcp_script(argv[0]))
        return dhcp_script_main(argc, argv);

    /* systemd's return to the initramfs at shutdown: /run/initramfs/shutdown VERB [OPTIONS] */
    if (shutdown_invoked(argv[0]))
        return shutdown_main(argc > 1 ? argv[1] : NULL, SHUTDOWN_OLDROOT);
    boot_ctx_init(&ctx, argc, argv);
    if (ctx.shutdown_verb)
        return shutdown_main(ctx.shutdown_verb,
                             ctx.shutdown_oldroot ? ctx.shutdown_oldroot : SHUTDOWN_OLDROOT);
    stage_run(&ctx, STAGE_EARLY, stage_early);
    stage_run(&ctx, STAGE_DEVICES, stage_devices);
    stage_run(&ctx, STAGE_ROOT, stage_root);
    stage_run(&ctx, STAGE_INSTANCE, stage_instance);
    stage_run(&ctx, STAGE_RECONCILE, stage_reconcile);
    stage_run(&ctx, STAGE_OVERLAY, stage_overlay);
    stage_run(&ctx, STAGE_TMP_SWAP, stage_tmp_swap);
    stage_run(&ctx, STAGE_SWITCH, stage_switch);
    /* Only a test run gets here: a real switch execs the init or stays in stage_run. */
    boot_ctx_free(&ctx);
    return 0;
}
