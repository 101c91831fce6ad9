// SPDX-License-Identifier: GPL-2.0-or-later
#include "early.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

struct early_mount {
    const char *what, *where, *type;
    unsigned long flags;
    const char *data;
    bool required;
};

static const struct early_mount early_mounts[] = {
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true},
    {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true},
    {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", true},
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=000", false},
    {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", true},
};

static int mount_one(const struct early_mount *m)
{
    if (mkdir(m->where, 0755) < 0 && errno != EEXIST)
        return log_error_errno(errno, "Failed to create %s: %m", m->where);
    if (mount(m->what, m->where, m->type, m->flags, m->data) < 0) {
        if (errno == EBUSY)
            return 0; /* the kernel mounted it already (CONFIG_DEVTMPFS_MOUNT) */
        if (!m->required)
            return log_warning_errno(errno, "Failed to mount %s on %s: %m", m->type, m->where), 0;
        return log_error_errno(errno, "Failed to mount %s on %s: %m; is the kernel built with %s?",
                               m->type, m->where, m->type);
    }
    return 0;
}

/* Userspace writes to /dev/kmsg are rate-limited (10 lines per 5 s per open file) unless
 * printk.devkmsg=on; a debug boot logs more than that. Raise it for the init's lifetime and
 * put the kernel default back before the switch (see switchroot.c). */
static void kmsg_unlimit(void)
{
    int fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (write(fd, "on\n", 3) < 0) {
        /* locked by printk.devkmsg= on the command line: the user's choice */
    }
    close(fd);
}

static int load_cmdline(struct boot_ctx *ctx)
{
    char *text = NULL;
    int r = cmdline_read_file(ctx->cmdline_path, &text);

    if (r < 0)
        return log_error_errno(r, "Failed to read the command line from %s: %m",
                               ctx->cmdline_path);
    r = cmdline_parse(text, &ctx->cmd);
    if (r < 0) {
        free(text);
        return log_error_errno(r, "Failed to parse the command line from %s: %m",
                               ctx->cmdline_path);
    }
    log_set_debug(ctx->cmd.debug || log_get_debug());
    log_debug("command line: %s", text);
    free(text);
    /* Not fatal: a typo must not stop a fleet from booting, but it must be seen. */
    for (size_t i = 0; i < ctx->cmd.n_problems; i++)
        log_warning("command line: %s", ctx->cmd.problems[i]);
    return 0;
}

int stage_early(struct boot_ctx *ctx)
{
    int r;

    if (!ctx->pid1) {
        log_info("not PID 1: using the existing /proc, /sys, /dev and /run");
        return load_cmdline(ctx);
    }
    for (size_t i = 0; i < sizeof early_mounts / sizeof early_mounts[0]; i++) {
        if (strcmp(early_mounts[i].where, "/dev/pts") == 0 && mkdir("/dev/pts", 0755) < 0 &&
            errno != EEXIST)
            continue;
        r = mount_one(&early_mounts[i]);
        if (r < 0)
            return r;
        if (strcmp(early_mounts[i].where, "/dev") == 0) {
            log_open("/dev/kmsg", "/dev/console");
        }
    }
    kmsg_unlimit();
    log_info("sharedroot-init %s starting", SHAREDROOT_VERSION);
    return load_cmdline(ctx);
}
