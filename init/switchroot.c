// SPDX-License-Identifier: GPL-2.0-or-later
#include "switchroot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emergency.h"
#include "handoff.h"
#include "kmsg.h"
#include "netroot.h"
#include "publish.h"
#include "rmtree.h"
#include "shutdown.h"
#include "time-util.h"

const char *const switch_default_inits[] = {"/sbin/init", "/etc/init", "/bin/init", "/bin/sh",
                                            NULL};

/* Mounts carried over into the new root, in this order. */
static const char *const moved_mounts[] = {"/dev", "/proc", "/sys", "/run", NULL};

/* Kernels before 5.6 (and valgrind) have no openat2: look from a child chrooted into the
 * root, which resolves exactly as the real init will after the switch. */
int switch_stat_in_root_chroot(int root_fd, const char *path, struct stat *st)
{
    int p[2], status, r = -EIO;
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        r = -errno;
        close(p[0]);
        close(p[1]);
        return r;
    }
    if (pid == 0) {
        struct stat cst;
        int e = 0;
        if (fchdir(root_fd) < 0 || chroot(".") < 0 || stat(path, &cst) < 0)
            e = errno;
        if (write(p[1], &e, sizeof e) != sizeof e ||
            (e == 0 && write(p[1], &cst, sizeof cst) != sizeof cst))
            _exit(1);
        _exit(0);
    }
    close(p[1]);
    int e;
    if (read(p[0], &e, sizeof e) == sizeof e)
        r = e ? -e : (read(p[0], st, sizeof *st) == sizeof *st ? 0 : -EIO);
    close(p[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return r;
}

/* stat() path as seen from inside the root at root_fd: symlinks (absolute ones too) resolve
 * inside that root, never on the initramfs. */
static int stat_in_root(int root_fd, const char *path, struct stat *st)
{
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
    int r = 0;

    if (fd < 0 && errno == ENOSYS)
        return switch_stat_in_root_chroot(root_fd, path, st);
    if (fd < 0)
        return -errno;
    if (fstat(fd, st) < 0)
        r = -errno;
    close(fd);
    return r;
}

/* What is looked for, and what is not wanted (in-root mode: ourselves). */
struct init_search {
    int root_fd;
    bool exclude_self;
    struct stat self;
};

/* 0 when path is an executable regular file inside the root, else a negative errno. */
static int check_init(const struct init_search *q, const char *path)
{
    struct stat st;
    int r;

    if (path[0] != '/')
        return -EINVAL;
    r = stat_in_root(q->root_fd, path, &st);
    if (r < 0)
        return r;
    if (!S_ISREG(st.st_mode))
        return S_ISDIR(st.st_mode) ? -EISDIR : -EACCES;
    if (!(st.st_mode & 0111))
        return -EACCES;
    if (q->exclude_self && st.st_dev == q->self.st_dev && st.st_ino == q->self.st_ino)
        return -ELOOP;
    return 0;
}

static int find_init(const struct init_search *q, const char *wanted, char *out, size_t n)
{
    int r;

    if (wanted) {
        r = check_init(q, wanted);
        if (r == 0) {
            snprintf(out, n, "%s", wanted);
            return 0;
        }
        log_warning_errno(r,
                          "init=%s not found or not executable in the new root (%m); "
                          "falling back to %s, %s, %s, %s",
                          wanted, switch_default_inits[0], switch_default_inits[1],
                          switch_default_inits[2], switch_default_inits[3]);
    }
    for (const char *const *p = switch_default_inits; *p; p++) {
        r = check_init(q, *p);
        if (r == 0) {
            snprintf(out, n, "%s", *p);
            return 0;
        }
        log_debug("init candidate %s: %s", *p, strerror(-r));
    }
    return -ENOENT;
}

/* Is init (found in the root) systemd? Compared by inode with systemd's paths, so that any
 * symlink to it (/sbin/init -> /lib/systemd/systemd) counts. */
static bool is_systemd(int root_fd, const char *init)
{
    static const char *const paths[] = {"/usr/lib/systemd/systemd", "/lib/systemd/systemd", NULL};
    struct stat a, b;

    if (stat_in_root(root_fd, init, &a) < 0)
        return false;
    for (const char *const *p = paths; *p; p++)
        if (stat_in_root(root_fd, *p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return true;
    return false;
}

int switch_find_init(int sysroot_fd, const char *wanted, char *out, size_t n)
{
    struct init_search q = {.root_fd = sysroot_fd};
    return find_init(&q, wanted, out, n);
}

/* The checks busybox switch_root makes before deleting anything: a mistake here deletes
 * a real filesystem. */
static int check_preconditions(const char *sysroot, dev_t *root_dev)
{
    struct statfs sfs;
    struct stat root_st, new_st;

    if (getpid() != 1)
        return log_error_errno(EPERM, "switch: not PID 1; refusing to delete the root");
    if (statfs("/", &sfs) < 0 || stat("/", &root_st) < 0)
        return log_error_errno(errno, "switch: cannot stat /: %m");
    if (sfs.f_type != RAMFS_MAGIC && sfs.f_type != TMPFS_MAGIC)
        return log_error_errno(EINVAL, "switch: / is not the initramfs (ramfs/tmpfs); "
                                       "refusing to delete it");
    if (stat(sysroot, &new_st) < 0)
        return log_error_errno(errno, "switch: cannot stat %s: %m", sysroot);
    if (new_st.st_dev == root_st.st_dev)
        return log_error_errno(EINVAL,
                               "switch: %s is not a mount point; the root was not "
                               "mounted",
                               sysroot);
    *root_dev = root_st.st_dev;
    return 0;
}

static void move_mounts(const char *sysroot)
{
    for (const char *const *m = moved_mounts; *m; m++) {
        char target[PATH_MAX];
        struct stat st;

        snprintf(target, sizeof target, "%s%s", sysroot, *m);
        if (stat(target, &st) < 0 || !S_ISDIR(st.st_mode)) {
            /* The base is read-only: we cannot create it. Drop the mount instead of
             * leaving it pinned in the freed initramfs. */
            log_warning("switch: the new root has no %s directory; %s is unmounted, the real "
                        "init must mount it itself",
                        *m, *m);
            umount2(*m, MNT_DETACH);
            continue;
        }
        if (mount(*m, target, "none", MS_MOVE, NULL) < 0) {
            log_warning_errno(errno, "switch: failed to move %s to %s: %m; unmounting it", *m,
                              target);
            umount2(*m, MNT_DETACH);
        }
    }
}

static char **init_argv(struct boot_ctx *ctx)
{
    size_t n = ctx->cmd.n_init_args;
    char **argv = calloc(n + 2, sizeof(char *));

    if (!argv)
        return NULL;
    argv[0] = ctx->init_path;
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = ctx->cmd.init_args[i];
    return argv;
}

static int test_run_switch(struct boot_ctx *ctx)
{
    printf("test run: would switch to %s and run %s", ctx->sysroot, ctx->init_path);
    for (size_t i = 0; i < ctx->cmd.n_init_args; i++)
        printf(" %s", ctx->cmd.init_args[i]);
    printf("\n");
    fflush(stdout);
    handoff_announce(ctx, STDOUT_FILENO);
    return 0;
}

/* The handoff line goes to the console itself, not through kmsg: a "quiet" command line
 * hides kmsg's info lines from the console, and a harness must see this one. */
static void announce_on_console(const struct boot_ctx *ctx)
{
    int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);

    handoff_announce(ctx, fd);
    if (fd >= 0)
        close(fd);
}

/* In-root mode: the instance layer is in place on the real root; just run the real init. */
static int exec_in_root(struct boot_ctx *ctx)
{
    char **argv = init_argv(ctx);

    if (!argv)
        return log_error_errno(ENOMEM, "switch: out of memory");
    shutdown_mark_mounts(ctx);
    log_info("switch: in-root mode: %llu ms; running %s",
             (unsigned long long)(now_ms() - ctx->t_start), ctx->init_path);
    log_kmsg_ratelimit(true);
    announce_on_console(ctx);
    log_close();
    execv(argv[0], argv);
    log_open("/dev/kmsg", "/dev/console");
    free(argv);
    return log_error_errno(errno, "switch: exec %s failed: %m", ctx->init_path);
}

int stage_switch(struct boot_ctx *ctx)
{
    const char *wanted = ctx->in_root ? ctx->cmd.real_init : ctx->cmd.init;
    int root_fd, r, failures;
    dev_t initramfs_dev = 0;
    char **argv;

    struct init_search q = {0};

    q.exclude_self = ctx->in_root && stat("/proc/self/exe", &q.self) == 0;
    root_fd = open(ctx->sysroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        return log_error_errno(errno, "switch: cannot open the new root %s: %m", ctx->sysroot);
    q.root_fd = root_fd;
    r = find_init(&q, wanted, ctx->init_path, sizeof ctx->init_path);
    ctx->init_is_systemd = r == 0 && is_systemd(root_fd, ctx->init_path);
    close(root_fd);
    if (r < 0)
        return log_error_errno(r,
                               "switch: no init found in the new root %s (tried %s=%s and "
                               "the defaults); boot with %s=PATH naming an executable",
                               ctx->sysroot, ctx->in_root ? "sharedroot.init" : "init",
                               wanted ? wanted : "(unset)",
                               ctx->in_root ? "sharedroot.init" : "init");
    log_info("switch: real init is %s", ctx->init_path);
    if (ctx->mode != MODE_OFF && !ctx->has_until)
        publish_state(ctx, STATE_FILE);
    if (!ctx->pid1)
        return test_run_switch(ctx);
    netroot_write_links(ctx);
    if (ctx->in_root)
        return exec_in_root(ctx);

    r = check_preconditions(ctx->sysroot, &initramfs_dev);
    if (r < 0)
        return r;
    argv = init_argv(ctx);
    if (!argv)
        return log_error_errno(ENOMEM, "switch: out of memory");
    shutdown_keep(ctx);
    shutdown_mark_mounts(ctx);
    log_info("switch: total %llu ms in the initramfs; handing over",
             (unsigned long long)(now_ms() - ctx->t_start));
    log_kmsg_ratelimit(true);
    move_mounts(ctx->sysroot);

    /* From here on there is no way back into the initramfs. */
    if (chdir(ctx->sysroot) < 0)
        return free(argv), log_error_errno(errno, "switch: chdir %s: %m", ctx->sysroot);
    root_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd >= 0) {
        /* Frees the initramfs' memory; the new root (a mount) is never entered. */
        failures = rmtree_contents(root_fd, initramfs_dev, ctx->sysroot + 1);
        if (failures < 0)
            log_warning_errno(failures, "switch: freeing the initramfs failed: %m");
        else if (failures > 0)
            log_warning("switch: %d initramfs entries could not be freed", failures);
        close(root_fd);
    }
    /* after the initramfs is freed: the kept files are below a mount of their own until now */
    shutdown_publish(ctx);
    if (mount(".", "/", "none", MS_MOVE, NULL) < 0)
        return free(argv), log_error_errno(errno, "switch: moving %s to /: %m", ctx->sysroot);
    if (chroot(".") < 0 || chdir("/") < 0)
        return free(argv), log_error_errno(errno, "switch: chroot into the new root: %m");
    announce_on_console(ctx);
    log_close();
    execv(argv[0], argv);
    /* The logger's fds were closed; reopen on the new root's /dev. */
    log_open("/dev/kmsg", "/dev/console");
    r = log_error_errno(errno, "switch: exec %s failed: %m", argv[0]);
    free(argv);
    return r;
}
