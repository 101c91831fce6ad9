// SPDX-License-Identifier: GPL-2.0-or-later
#include "emergency.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "stage.h"

#define EMERGENCY_SHELL "/bin/sh"

int emergency_panic_delay(const struct cmdline *c)
{
    if (!c->panic_set || c->panic == 0)
        return -1;
    if (c->panic < 0)
        return 0;
    return c->panic;
}

static void console_banner(struct boot_ctx *ctx, enum stage s, int error)
{
    fprintf(stderr,
            "\n"
            "sharedroot: boot failed in stage '%s': %s\n"
            "sharedroot: last log lines:\n",
            stage_name(s), strerror(-error < 0 ? error : -error));
    fflush(stderr);
    log_ring_dump(2);
    fprintf(stderr, "sharedroot: command line: root=%s%s\n", ctx->cmd.root ? ctx->cmd.root : "(none)",
            ctx->cmd.off ? " sharedroot=off" : "");
}

/* /dev/console cannot be a controlling terminal; the device behind it can. The kernel
 * names it in /sys/class/tty/console/active (the last word is the primary console). */
static void console_ctty(void)
{
    char buf[256], dev[300];
    FILE *f = fopen("/sys/class/tty/console/active", "re");
    char *last;
    int fd;

    if (!f)
        return;
    if (!fgets(buf, sizeof buf, f)) {
        fclose(f);
        return;
    }
    fclose(f);
    buf[strcspn(buf, "\n")] = 0;
    last = strrchr(buf, ' ');
    snprintf(dev, sizeof dev, "/dev/%s", last ? last + 1 : buf);
    fd = open(dev, O_RDWR | O_NOCTTY);
    if (fd < 0)
        return;
    ioctl(fd, TIOCSCTTY, 1);
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2)
        close(fd);
}

/* Run the shell in the foreground with the console as its terminal. */
static int run_shell(void)
{
    pid_t pid = fork();
    int status;

    if (pid < 0)
        return -errno;
    if (pid == 0) {
        setsid();
        /* A controlling terminal makes Ctrl-C work in the shell. */
        console_ctty();
        execl(EMERGENCY_SHELL, "sh", "-i", (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return 0;
}

static void follow_panic(struct boot_ctx *ctx)
{
    int delay = emergency_panic_delay(&ctx->cmd);

    if (delay < 0) {
        log_error("no emergency shell in the initramfs and no panic= on the command line: "
                  "waiting forever; fix the command line and reset the machine");
        for (;;)
            pause();
    }
    log_error("no emergency shell in the initramfs: rebooting in %d s (panic=%d)", delay,
              ctx->cmd.panic);
    sleep((unsigned)delay);
    sync();
    reboot(RB_AUTOBOOT);
    for (;;)
        pause();
}

void emergency(struct boot_ctx *ctx, enum stage s, int error)
{
    console_banner(ctx, s, error);
    if (!ctx->pid1) {
        fprintf(stderr, "sharedroot: not PID 1: exiting with status 1 instead of a shell\n");
        exit(1);
    }
    if (access(EMERGENCY_SHELL, X_OK) != 0)
        follow_panic(ctx);
    fprintf(stderr, "sharedroot: starting the emergency shell. Fix the problem, then leave the "
                    "shell (exit) to retry stage '%s'.\n",
            stage_name(s));
    if (run_shell() < 0)
        follow_panic(ctx);
    log_notice("emergency shell left: retrying stage %s", stage_name(s));
}
