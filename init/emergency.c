// SPDX-License-Identifier: GPL-2.0-or-later
#include "emergency.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "hooks.h"
#include "kmsg.h"
#include "stage.h"

int emergency_panic_delay(const struct cmdline *c)
{
    if (!c->panic_set || c->panic == 0)
        return -1;
    if (c->panic < 0)
        return 0;
    return c->panic;
}

static void print_cmdline(const struct boot_ctx *ctx)
{
    _cleanup_free_ char *text = NULL;

    if (ctx->cmdline_path && cmdline_read_file(ctx->cmdline_path, &text) == 0) {
        text[strcspn(text, "\n")] = '\0';
        fprintf(stderr, "sharedroot: command line (%s): %s\n", ctx->cmdline_path, text);
    } else {
        fprintf(stderr, "sharedroot: command line: root=%s%s\n",
                ctx->cmd.root ? ctx->cmd.root : "(none)", ctx->cmd.off ? " sharedroot=off" : "");
    }
}

static void console_banner(struct boot_ctx *ctx, enum stage s, int error)
{
    fprintf(stderr, "\nsharedroot: boot failed in stage '%s': %s\n", stage_name(s),
            strerror(error < 0 ? -error : error));
    if (ctx->failed_hook[0])
        fprintf(stderr, "sharedroot: the stage itself succeeded; its hook %s/%s.d/%s failed\n",
                HOOKS_DIR, stage_name(s), ctx->failed_hook);
    fprintf(stderr, "sharedroot: last log lines:\n");
    fflush(stderr);
    log_ring_dump(2);
    print_cmdline(ctx);
}

/* mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
static void print_mounts(void)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];

    fprintf(stderr, "sharedroot: mounts (/proc/self/mountinfo):\n");
    if (!f) {
        fprintf(stderr, "  (cannot read /proc/self/mountinfo: %s)\n", strerror(errno));
        return;
    }
    while (fgets(line, sizeof line, f)) {
        char *field[6], *sep = strstr(line, " - "), *save = NULL, fstype[64] = "?", src[512] = "?";
        int n = 0;

        if (!sep)
            continue;
        *sep = '\0';
        for (char *t = strtok_r(line, " ", &save); t && n < 6; t = strtok_r(NULL, " ", &save))
            field[n++] = t;
        if (n < 6)
            continue;
        if (sscanf(sep + 3, "%63s %511s", fstype, src) < 1)
            continue;
        fprintf(stderr, "  %-24s %-10s %s (%s)\n", field[4], fstype, src, field[5]);
    }
}

/* The first line of a small file into buf ("" when it has none); buf is left as it was when
 * the file cannot be opened. */
static void read_line(const char *path, char *buf, size_t n)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (f && !fgets(buf, (int)n, f))
        buf[0] = '\0';
}

/* What the kernel sees, whether or not the boot found what it looks for. */
static void print_block_devices(void)
{
    _cleanup_closedir_ DIR *d = opendir("/sys/class/block");
    struct dirent *de;
    int n = 0;

    fprintf(stderr, "sharedroot: block devices (/sys/class/block):");
    while (d && (de = readdir(d))) {
        char path[512], size[32] = "?", ro[8] = "?";

        if (de->d_name[0] == '.' || strncmp(de->d_name, "loop", 4) == 0 ||
            strncmp(de->d_name, "ram", 3) == 0)
            continue;
        snprintf(path, sizeof path, "/sys/class/block/%s/size", de->d_name);
        read_line(path, size, sizeof size);
        snprintf(path, sizeof path, "/sys/class/block/%s/ro", de->d_name);
        read_line(path, ro, sizeof ro);
        fprintf(stderr, " %s(%llu MiB%s)", de->d_name, strtoull(size, NULL, 10) / 2048,
                ro[0] == '1' ? ", ro" : "");
        n++;
    }
    fprintf(stderr, "%s\n", n ? "" : " none");
}

static void print_state(const struct boot_ctx *ctx)
{
    print_mounts();
    print_block_devices();
    fprintf(stderr,
            "sharedroot: root=%s -> device %s, filesystem %s, mounted at %s\n"
            "sharedroot: instance: %s%s%s\n",
            ctx->cmd.root ? ctx->cmd.root : "(none)",
            ctx->root_device[0] ? ctx->root_device : "(not yet found)",
            ctx->root_fstype[0] ? ctx->root_fstype : "(not yet probed)", ctx->sysroot,
            ctx->cmd.instance ? ctx->cmd.instance : "(none: volatile)",
            ctx->layout_path[0] ? ", layout " : "", ctx->layout_path);
    print_cmdline(ctx);
}

/* /dev/console cannot be a controlling terminal; the device behind it can. The kernel
 * names it in /sys/class/tty/console/active (the last word is the primary console). */
static void console_ctty(void)
{
    char buf[256] = "", dev[300];
    char *last;
    int fd;

    read_line("/sys/class/tty/console/active", buf, sizeof buf);
    if (!buf[0])
        return;
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

static void shell_file_path(const char *run_dir, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", run_dir, EMERGENCY_SHELL_FILE);
}

/* Record the shell for sharedroot-init --resume (best effort: "exit" works without it). */
static void shell_file_write(pid_t pid, enum stage s)
{
    char path[256];

    if (mkdir(EMERGENCY_RUN_DIR, 0755) < 0 && errno != EEXIST)
        return;
    shell_file_path(EMERGENCY_RUN_DIR, path, sizeof path);
    _cleanup_fclose_ FILE *f = fopen(path, "we");
    if (f)
        fprintf(f, "%d %s\n", (int)pid, stage_name(s));
}

/* Run the shell in the foreground with the console as its terminal. */
static int run_shell(enum stage s)
{
    char prompt[64], path[256];
    pid_t pid = fork();
    int status;

    if (pid < 0)
        return -errno;
    if (pid == 0) {
        setsid();
        /* A controlling terminal makes Ctrl-C work in the shell. */
        console_ctty();
        snprintf(prompt, sizeof prompt, "(sharedroot %s) # ", stage_name(s));
        setenv("PS1", prompt, 1);
        setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
        setenv("HOME", "/root", 1);
        execl(EMERGENCY_SHELL, "sh", "-i", (char *)NULL);
        _exit(127);
    }
    shell_file_write(pid, s);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    shell_file_path(EMERGENCY_RUN_DIR, path, sizeof path);
    unlink(path);
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
    const char *what = ctx->failed_hook[0] ? "the hooks of stage" : "stage";

    console_banner(ctx, s, error);
    if (!ctx->pid1) {
        fprintf(stderr, "sharedroot: not PID 1: exiting with status 1 instead of a shell\n");
        exit(1);
    }
    if (access(EMERGENCY_SHELL, X_OK) != 0)
        follow_panic(ctx);
    fprintf(stderr,
            "sharedroot: starting the emergency shell. Fix the problem (e.g. e2fsck -f DEVICE), "
            "then:\n"
            "sharedroot:   exit                       retry %s '%s' and go on with the boot\n"
            "sharedroot:   sharedroot-init --resume   the same, from any shell started inside it\n"
            "sharedroot:   reboot -f | poweroff -f    give up\n",
            what, stage_name(s));
    if (run_shell(s) < 0)
        follow_panic(ctx);
    log_notice("emergency shell left: retrying %s %s", what, stage_name(s));
}

void emergency_break(struct boot_ctx *ctx, enum stage s)
{
    bool before = s == STAGE_SWITCH;

    log_notice("break point %s stage %s (sharedroot.break=)", before ? "before" : "after",
               stage_name(s));
    fprintf(stderr, "\nsharedroot: break point %s stage '%s' (sharedroot.break=%s)\n",
            before ? "before" : "after", stage_name(s), ctx->cmd.breaks);
    print_state(ctx);
    if (!ctx->pid1) {
        fprintf(stderr, "sharedroot: not PID 1: no shell; going on\n");
        return;
    }
    if (access(EMERGENCY_SHELL, X_OK) != 0) {
        log_warning("sharedroot.break=%s: no shell in the initramfs (built with --no-shell); "
                    "going on with the boot",
                    stage_name(s));
        return;
    }
    fprintf(stderr,
            "sharedroot: starting a shell. Leave it with 'exit' (or sharedroot-init --resume) "
            "to go on with the boot.\n");
    if (run_shell(s) < 0)
        log_warning("could not start %s: going on with the boot", EMERGENCY_SHELL);
    log_notice("break point shell left: going on after stage %s", stage_name(s));
}

/* Field 22 of /proc/PID/stat: when the process started; tells a reused PID apart. */
static unsigned long long start_time(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long long t = 0;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')))
        if (sscanf(p + 2,
                   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
                   "%*d %*d %llu",
                   &t) != 1)
            t = 0;
    return t;
}

int emergency_resume(const char *run_dir)
{
    char path[256], stage[32] = "?";
    unsigned long long t;
    int pid = 0;

    shell_file_path(run_dir, path, sizeof path);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (!f || fscanf(f, "%d %31s", &pid, stage) < 1 || pid <= 1) {
        int r = f ? -EINVAL : -errno;
        fprintf(stderr,
                "sharedroot-init: --resume: no shell of PID 1 is waiting (%s: %s); "
                "--resume works only inside the emergency or break-point shell\n",
                path, strerror(-r));
        return r;
    }
    t = start_time(pid);
    if (!t) {
        fprintf(stderr,
                "sharedroot-init: --resume: the shell (pid %d) recorded in %s is gone; "
                "PID 1 is not waiting for it\n",
                pid, path);
        return -ESRCH;
    }
    printf("sharedroot-init: ending the shell (pid %d): the boot goes on with stage %s\n", pid,
           stage);
    fflush(stdout);
    /* The shell leads its own session (setsid): SIGHUP ends it and its jobs, as a hang-up
     * would. This process is one of those jobs; it must live to check the result. */
    signal(SIGHUP, SIG_IGN);
    kill(-pid, SIGHUP);
    for (int i = 0; i < 20 && start_time(pid) == t; i++)
        usleep(50 * 1000);
    /* a shell that traps SIGHUP */
    if (start_time(pid) == t)
        kill(pid, SIGKILL);
    return 0;
}
