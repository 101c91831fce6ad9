// SPDX-License-Identifier: GPL-2.0-or-later
#include "instcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blockdev.h"
#include "child.h"
#include "fsck.h"
#include "instance.h"
#include "rootfs.h"
#include "time-util.h"

/* What the child tells the parent when the look is done: one write, smaller than PIPE_BUF,
 * so it arrives whole or not at all. */
struct look_report {
    int look, err, find_err;
    char type[64];
    char prog[256];
    char why[1024];
};

void instcheck_init(struct instcheck *c, const char *dev, const char *type, const char *target,
                    int passno, enum instance_inspect inspect)
{
    memset(c, 0, sizeof *c);
    snprintf(c->dev, sizeof c->dev, "%s", dev);
    snprintf(c->type, sizeof c->type, "%s", type ? type : "");
    snprintf(c->target, sizeof c->target, "%s", target);
    c->passno = passno;
    c->inspect = inspect;
    snprintf(c->fsck_dirs, sizeof c->fsck_dirs, "%s", FSCK_SEARCH_DIRS);
    c->fd = -1;
    c->look = LOOK_NOT_TRIED;
    c->fsck = INSTCHECK_FSCK_NOT_RUN;
}

bool instcheck_running(const struct instcheck *c)
{
    return c->pid > 0;
}

/* Before fsck or a read-write mount writes anything (a read-write mount alone updates an
 * ext4 superblock, sets the vfat dirty bit, writes an xfs log record), look at the filesystem
 * through a read-only mount (ext4 noload, xfs norecovery: no journal replay) and refuse a
 * foreign or unfit one untouched. When it cannot be mounted read-only (damaged), fsck and the
 * read-write mount decide, and the claim after the mount still checks. */
static void look(const struct instcheck *c, struct look_report *rep)
{
    unsigned long flags = MS_RDONLY;
    char data[256] = "";
    int r = 0;

    if (c->inspect == INSPECT_NONE) {
        rep->look = LOOK_SKIPPED;
        return;
    }
    if (rootfs_options(rep->type, NULL, false, false, &flags, data, sizeof data, NULL, 0) < 0) {
        flags = MS_RDONLY;
        data[0] = 0;
    }
    if (mkdir(c->target, 0700) < 0 && errno != EEXIST) {
        rep->look = LOOK_NO_TARGET;
        rep->err = errno;
        return;
    }
    if (mount(c->dev, c->target, rep->type, flags | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              data[0] ? data : NULL) < 0) {
        rep->look = LOOK_UNMOUNTABLE;
        rep->err = errno;
        return;
    }
    if (c->inspect == INSPECT_UPPER)
        r = instance_check_upper_fs(c->target, rep->why, sizeof rep->why);
    if (r == 0)
        r = instance_inspect(c->target, rep->why, sizeof rep->why);
    umount2(c->target, MNT_DETACH);
    rep->look = r < 0 ? LOOK_REFUSED : LOOK_FINE;
    rep->err = r < 0 ? -r : 0;
}

/* Whether the running kernel has a driver for type now (/proc/filesystems). */
static bool kernel_has_fs(const char *type)
{
    char line[128];
    bool found = false;
    FILE *f = fopen("/proc/filesystems", "re");

    if (!f)
        return true; /* cannot tell: the mount will */
    while (!found && fgets(line, sizeof line, f)) {
        char *name = strchr(line, '\t');
        name = name ? name + 1 : line;
        name[strcspn(name, "\n")] = 0;
        found = strcmp(name, type) == 0;
    }
    fclose(f);
    return found;
}

/* The type to check as: the caller's, or probed here. Only a probed type is checked against
 * the kernel's drivers: its module (if any) is the caller's to load, in its own process. */
static bool know_type(const struct instcheck *c, struct look_report *rep)
{
    int r;

    if (c->type[0]) {
        snprintf(rep->type, sizeof rep->type, "%s", c->type);
        return true;
    }
    r = blockdev_probe_fstype(c->dev, rep->type, sizeof rep->type);
    if (r == 0 && !kernel_has_fs(rep->type))
        r = -ENODEV;
    rep->err = r < 0 ? -r : 0;
    return r == 0;
}

/* The child: the type, the look, its report, then fsck in its place (fsck's exit status is
 * the child's). Nothing after a refusal: the filesystem stays untouched. */
static _Noreturn void run_child(const struct instcheck *c, int report_fd)
{
    struct look_report rep;
    bool fsck = false;

    memset(&rep, 0, sizeof rep);
    rep.look = LOOK_NOT_TRIED;
    if (know_type(c, &rep)) {
        look(c, &rep);
        if (c->passno > 0)
            rep.find_err = fsck_find_in(c->fsck_dirs, rep.type, rep.prog, sizeof rep.prog);
        if (rep.find_err < 0)
            rep.prog[0] = 0;
        fsck = c->passno > 0 && rep.find_err == 0 && rep.look != LOOK_REFUSED &&
               rep.look != LOOK_NO_TARGET;
    }
    if (write(report_fd, &rep, sizeof rep) != (ssize_t)sizeof rep)
        _exit(126);
    if (!fsck)
        _exit(0);
    /* report_fd is close-on-exec: the parent's read ends with the report */
    execl(rep.prog, rep.prog, "-p", c->dev, (char *)NULL);
    _exit(127);
}

int instcheck_start(struct instcheck *c)
{
    int p[2];
    pid_t pid;

    if (c->pid > 0)
        return -EBUSY;
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return -e;
    }
    if (pid == 0) {
        close(p[0]);
        run_child(c, p[1]);
    }
    close(p[1]);
    c->pid = pid;
    c->fd = p[0];
    return 0;
}

/* The child's report, waiting at most timeout_ms for it: 0, -ETIMEDOUT, or -EIO when the
 * child ended without one. */
static int read_report(int fd, struct look_report *rep, int timeout_ms)
{
    uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    size_t got = 0;

    while (got < sizeof *rep) {
        uint64_t now = now_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (now >= deadline)
            return -ETIMEDOUT;
        int n = poll(&pfd, 1, (int)(deadline - now > 1000000 ? 1000000 : deadline - now));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            continue;
        ssize_t k = read(fd, (char *)rep + got, sizeof *rep - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -EIO;
        got += (size_t)k;
    }
    rep->why[sizeof rep->why - 1] = 0;
    return 0;
}

/* fsck's outcome from the child's end (after a look that let it run). */
static int fsck_outcome(struct instcheck *c, int waited, int status, int timeout_s)
{
    if (c->passno <= 0)
        return INSTCHECK_FSCK_NOT_RUN;
    if (c->find_err < 0)
        return c->find_err;
    if (waited == -ETIMEDOUT) {
        snprintf(c->why, sizeof c->why,
                 "%s -p %s did not finish within %d s and was stopped; check the "
                 "filesystem by hand: %s -f %s",
                 c->prog, c->dev, timeout_s, c->prog, c->dev);
        return -EUCLEAN;
    }
    if (waited < 0)
        return waited;
    return fsck_verdict(status, c->prog, c->dev, c->why, sizeof c->why);
}

int instcheck_finish(struct instcheck *c, int timeout_s)
{
    struct look_report rep;
    int r, status = 0, waited;

    if (c->pid <= 0)
        return -ECHILD;
    memset(&rep, 0, sizeof rep);
    r = read_report(c->fd, &rep, timeout_s * 1000);
    close(c->fd);
    c->fd = -1;
    if (r < 0) {
        /* stopped at the bound (or it ended without a report): reaped, or left to PID 1 */
        child_wait_bounded(c->pid, r == -ETIMEDOUT ? 0 : 1000, &status);
        c->pid = 0;
        if (r == -ETIMEDOUT)
            snprintf(c->why, sizeof c->why,
                     "the read-only look at %s did not finish within %d s and was stopped", c->dev,
                     timeout_s);
        else
            snprintf(c->why, sizeof c->why, "the check of %s ended without a report", c->dev);
        return r;
    }
    c->look = (enum instcheck_look)rep.look;
    c->look_err = rep.err;
    c->find_err = rep.find_err;
    snprintf(c->type, sizeof c->type, "%s", rep.type);
    snprintf(c->prog, sizeof c->prog, "%s", rep.prog);
    snprintf(c->why, sizeof c->why, "%s", rep.why);
    waited = child_wait_bounded(c->pid, timeout_s * 1000, &status);
    c->pid = 0;
    if (c->look == LOOK_NOT_TRIED || c->look == LOOK_REFUSED || c->look == LOOK_NO_TARGET)
        c->fsck = INSTCHECK_FSCK_NOT_RUN;
    else
        c->fsck = fsck_outcome(c, waited, status, timeout_s);
    return 0;
}
