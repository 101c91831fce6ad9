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

#include "cleanup.h"
#include "devfs.h"
#include "kmsg.h"

struct early_mount {
    const char *what, *where, *type;
    unsigned long flags;
    const char *data;
    bool required;
};

/* The command line is read between the first two and /dev: sharedroot.dev= decides what /dev
 * is. */
static const struct early_mount mount_proc = {
    "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true};
static const struct early_mount mount_sys = {
    "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true};
static const struct early_mount mount_devtmpfs = {"devtmpfs", "/dev",      "devtmpfs",
                                                  MS_NOSUID,  "mode=0755", true};
static const struct early_mount mount_devpts = {
    "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=000", false};
static const struct early_mount mount_run = {"tmpfs",     "/run", "tmpfs", MS_NOSUID | MS_NODEV,
                                             "mode=0755", true};

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

/* Read and parse the command line. Nothing is logged yet: before /dev exists the console
 * may not be open; report_cmdline() says what it found once the log is. */
static int load_cmdline(struct boot_ctx *ctx, char **text)
{
    int r = cmdline_read_file(ctx->cmdline_path, text);

    if (r < 0)
        return r;
    r = cmdline_parse(*text, &ctx->cmd);
    if (r < 0)
        return r;
    log_set_debug(ctx->cmd.debug || log_get_debug());
    return 0;
}

static int report_cmdline(struct boot_ctx *ctx, int r, const char *text)
{
    if (r < 0)
        return log_error_errno(r, "Failed to %s the command line from %s: %m",
                               text ? "parse" : "read", ctx->cmdline_path);
    log_debug("command line: %s", text);
    /* Not fatal: a typo must not stop a fleet from booting, but it must be seen. */
    for (size_t i = 0; i < ctx->cmd.n_problems; i++)
        log_warning("command line: %s", ctx->cmd.problems[i]);
    return 0;
}

/* /dev as sharedroot.dev= asks: devtmpfs, or a tmpfs with the minimal nodes and one node per
 * device sysfs lists (stage devices adds nodes for devices that appear later). */
static int mount_dev(struct boot_ctx *ctx, const char **how)
{
    char why[512];
    int r;

    if (ctx->cmd.dev == DEV_DEVTMPFS || (ctx->cmd.dev == DEV_AUTO && devfs_have_devtmpfs())) {
        *how = ctx->cmd.dev == DEV_AUTO ? "devtmpfs (sharedroot.dev=auto)"
                                        : "devtmpfs (sharedroot.dev=devtmpfs)";
        return mount_one(&mount_devtmpfs);
    }
    *how = ctx->cmd.dev == DEV_TMPFS ? "tmpfs with nodes from sysfs (sharedroot.dev=tmpfs)"
                                     : "tmpfs with nodes from sysfs (the kernel has no devtmpfs)";
    if (mkdir("/dev", 0755) < 0 && errno != EEXIST)
        return log_error_errno(errno, "Failed to create /dev: %m");
    r = devfs_mount_tmpfs_full("/dev", why, sizeof why);
    if (r < 0)
        return log_error_errno(r, "Failed to make a tmpfs /dev: %s: %m", why);
    ctx->dev_is_tmpfs = true;
    r = devfs_sync("/dev", "/sys");
    if (r < 0)
        return log_error_errno(r, "Failed to create device nodes in /dev from /sys: %m");
    return 0;
}

int stage_early(struct boot_ctx *ctx)
{
    const char *dev_how = NULL;
    _cleanup_free_ char *text = NULL;
    int r, rc;

    if (!ctx->pid1) {
        log_info("not PID 1: using the existing /proc, /sys, /dev and /run");
        rc = load_cmdline(ctx, &text);
        return report_cmdline(ctx, rc, text);
    }
    r = mount_one(&mount_proc);
    if (r == 0)
        r = mount_one(&mount_sys);
    if (r < 0)
        return r;
    rc = load_cmdline(ctx, &text);
    /* Without a command line sharedroot.dev= is auto; /dev is needed for the shell anyway. */
    r = mount_dev(ctx, &dev_how);
    if (r < 0)
        return r;
    log_open("/dev/kmsg", "/dev/console");
    mount_one(&mount_devpts); /* not required: a failure is a warning */
    r = mount_one(&mount_run);
    if (r < 0)
        return r;
    /* Userspace writes to /dev/kmsg are rate-limited (10 lines per 5 s per open file) unless
     * printk.devkmsg=on; a debug boot logs more than that. Raised for the init's lifetime, put
     * back before the switch (see switchroot.c). */
    log_kmsg_ratelimit(false);
    log_info("sharedroot-init %s starting", SHAREDROOT_VERSION);
    log_info("/dev: %s", dev_how);
    return report_cmdline(ctx, rc, text);
}
