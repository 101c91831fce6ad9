// SPDX-License-Identifier: GPL-2.0-or-later
#include "qcow2raw.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "qcow2.h"
#include "time-util.h"
#include "why.h"

#define MIB (1024ULL * 1024)

/* What the signal handler sees (a handler can reach nothing else): the copy to remove and the
 * qemu-img to kill. Set only with the signals blocked. */
static char sig_tmp[PATH_MAX];
static volatile pid_t sig_child;

static const int caught[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction saved[3];
static bool handling;

static void on_signal(int sig)
{
    int e = errno;
    if (sig_child > 0)
        kill(sig_child, SIGKILL);
    if (sig_tmp[0])
        unlink(sig_tmp);
    /* die of the signal, as without the handler */
    signal(sig, SIG_DFL);
    raise(sig);
    errno = e;
}

static void block_signals(bool block, sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaddset(&set, caught[i]);
    if (block)
        sigprocmask(SIG_BLOCK, &set, old);
    else
        sigprocmask(SIG_SETMASK, old, NULL);
}

/* Catch the signals (one ignored, as under nohup, stays ignored), or give them back what
 * they had. */
static void handle_signals(bool on)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    if (on == handling)
        return;
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++) {
        if (!on) {
            sigaction(caught[i], &saved[i], NULL);
            continue;
        }
        sigaction(caught[i], NULL, &saved[i]);
        if (saved[i].sa_handler != SIG_IGN)
            sigaction(caught[i], &sa, NULL);
    }
    handling = on;
}

int qcow2raw_space(uint64_t need, uint64_t size, uint64_t avail, bool *tight)
{
    *tight = avail < size;
    return avail < need ? -ENOSPC : 0;
}

char *qcow2raw_source_opts(const char *abs)
{
    _cleanup_free_ char *e = qemu_escape(abs);
    char *out = NULL;

    if (!e || asprintf(&out,
                       "driver=qcow2,read-only=on,force-share=on,file.driver=file,"
                       "file.filename=%s",
                       e) < 0)
        return NULL;
    return out;
}

/* qemu-img in a child that dies with this process, stdin /dev/null, stdout and stderr to the
 * pipes. The pid, or -errno. */
static pid_t spawn_qemu_img(char **argv, int out_fd, int err_fd)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid < 0 ? -errno : pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaction(caught[i], &saved[i], NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
        _exit(127);
    execv(argv[0], argv);
    _exit(127);
}

/* Append what fd has to err (kept to its size, NUL-terminated); 0 at its end, 1 read. */
static int drain(int fd, char *err, size_t size, size_t *len)
{
    char chunk[512];
    ssize_t got = read(fd, chunk, sizeof chunk);
    if (got < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (got == 0)
        return 0;
    if (err) {
        size_t take = (size_t)got < size - 1 - *len ? (size_t)got : size - 1 - *len;
        memcpy(err + *len, chunk, take);
        *len += take;
        err[*len] = '\0';
    }
    return 1;
}

int qcow2raw_run(char **argv, int stall_ms, char *err, size_t size)
{
    int out[2], ep[2], status = 0;
    size_t elen = 0;
    bool timed_out = false;

    err[0] = '\0';
    if (pipe2(out, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(ep, O_CLOEXEC) < 0) {
        int e = -errno;
        close(out[0]);
        close(out[1]);
        return e;
    }
    sigset_t old;
    block_signals(true, &old);
    pid_t pid = spawn_qemu_img(argv, out[1], ep[1]);
    if (pid > 0)
        sig_child = pid;
    block_signals(false, &old);
    close(out[1]);
    close(ep[1]);
    if (pid < 0) {
        close(out[0]);
        close(ep[0]);
        return (int)pid;
    }
    struct pollfd pfd[2] = {{.fd = out[0], .events = POLLIN}, {.fd = ep[0], .events = POLLIN}};
    uint64_t deadline = now_ms() + (uint64_t)stall_ms;
    while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
        uint64_t now = now_ms();
        if (now >= deadline) {
            timed_out = true;
            break;
        }
        int k = poll(pfd, 2, (int)(deadline - now));
        if (k <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (pfd[i].fd < 0 || !pfd[i].revents)
                continue;
            if (i == 0) /* progress: a step moves the deadline */
                deadline = now_ms() + (uint64_t)stall_ms;
            if (drain(pfd[i].fd, i == 1 ? err : NULL, size, &elen) == 0) {
                close(pfd[i].fd);
                pfd[i].fd = -1;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (pfd[i].fd >= 0)
            close(pfd[i].fd);
    if (timed_out)
        kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    sig_child = 0;
    if (timed_out)
        return -ETIMEDOUT;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    bool nospc = strstr(err, strerror(ENOSPC)) != NULL;
    err[strcspn(err, "\n")] = '\0';
    for (unsigned char *p = (unsigned char *)err; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            *p = '?';
    if (!err[0])
        snprintf(err, size, "%s %d, no message", WIFEXITED(status) ? "exit status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return nospc ? -ENOSPC : -EIO;
}

/* The empty sparse file of the disk's size in dir, its path in q->tmp and in sig_tmp. */
static int make_tmp(struct qcow2raw *q, const char *path, const char *dir)
{
    char *tmp = NULL;
    if (asprintf(&tmp, "%s/sharedroot-check-base-qcow2.XXXXXX", dir) < 0)
        return log_error_errno(ENOMEM, "Out of memory");
    sigset_t old;
    block_signals(true, &old);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd >= 0)
        snprintf(sig_tmp, sizeof sig_tmp, "%s", tmp);
    block_signals(false, &old);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return log_error_errno(e, "%s: cannot make its raw copy in %s (TMPDIR): %m", path, dir);
    }
    q->tmp = tmp;
    int r = ftruncate(fd, (off_t)q->size) < 0 ? -errno : 0;
    close(fd);
    if (r < 0)
        return log_error_errno(r,
                               "%s: cannot make a sparse file of its virtual size (%llu MiB) "
                               "in %s (TMPDIR): %m",
                               path, (unsigned long long)(q->size / MIB), dir);
    return 0;
}

static int check_space(const struct qcow2raw *q, const char *path, const char *dir,
                       struct notes *notes)
{
    struct statvfs sv;
    bool tight;
    if (statvfs(dir, &sv) < 0)
        return log_error_errno(errno, "%s: cannot read the free space of %s (TMPDIR): %m", path,
                               dir);
    uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    if (qcow2raw_space(q->need, q->size, avail, &tight) < 0)
        return log_error_errno(ENOSPC,
                               "%s: its raw copy needs about %llu MiB (the data of its qcow2 "
                               "files) and %s (TMPDIR) has %llu MiB free; set TMPDIR to a "
                               "directory with room (up to its virtual size, %llu MiB)",
                               path, (unsigned long long)(q->need / MIB), dir,
                               (unsigned long long)(avail / MIB),
                               (unsigned long long)(q->size / MIB));
    if (tight)
        notes_add(notes,
                  "%s (TMPDIR) had %llu MiB free, less than the image's virtual size (%llu "
                  "MiB); its raw copy fitted",
                  dir, (unsigned long long)(avail / MIB), (unsigned long long)(q->size / MIB));
    return 0;
}

static int convert(struct qcow2raw *q, const char *path, const char *abs, const char *dir)
{
    _cleanup_free_ char *qimg = qemu_img_find(), *src = qcow2raw_source_opts(abs),
                        *etmp = qemu_escape(q->tmp), *dst = NULL;
    char err[1024];

    if (!qimg)
        return log_error_errno(ENOPKG,
                               "%s is a qcow2 image, read through qemu-img, which is not "
                               "installed (package qemu-utils); install it, or convert the "
                               "image yourself and check the raw copy: qemu-img convert -O raw "
                               "%s IMAGE.raw",
                               path, path);
    if (!src || !etmp || asprintf(&dst, "driver=raw,file.driver=file,file.filename=%s", etmp) < 0)
        return log_error_errno(ENOMEM, "Out of memory");
    /* -n --target-is-zero: into the sparse file made here, whose name (in TMPDIR) is given
     * with driver=file too; zeroes are not written, so the copy stays sparse */
    char *argv[] = {
        qimg, "convert", "-p", "-n", "--target-is-zero", "--image-opts", src, "--target-image-opts",
        dst,  NULL};
    int r = qcow2raw_run(argv, QCOW2RAW_STALL_MS, err, sizeof err);
    if (r == -ETIMEDOUT)
        return log_error_errno(
            r,
            "%s: qemu-img printed no progress for %d s converting it to raw "
            "(a hung file system?); killed, its partial copy removed, nothing checked",
            path, QCOW2RAW_STALL_MS / 1000);
    if (r == -ENOSPC)
        return log_error_errno(r,
                               "%s: its raw copy (virtual size %llu MiB) does not fit in %s "
                               "(TMPDIR): no space left on device; set TMPDIR to a directory "
                               "with room",
                               path, (unsigned long long)(q->size / MIB), dir);
    if (r == -EIO)
        return log_error_errno(r, "%s: qemu-img could not convert it to raw: %s", path, err);
    if (r < 0)
        return log_error_errno(r, "%s: cannot run qemu-img: %m", path);
    return 0;
}

int qcow2raw_make(struct qcow2raw *q, const char *path, struct notes *notes)
{
    const char *env = getenv("TMPDIR");
    const char *dir = env && *env ? env : "/tmp";
    _cleanup_free_ char *abs = qemu_path(path);
    struct qcow2_chain chain;
    char why[WHY_MAX] = "";

    *q = (struct qcow2raw){0};
    if (!abs)
        return log_error_errno(errno, "%s: cannot resolve its path: %m", path);
    int r = qcow2_chain_check(abs, &chain, why, sizeof why);
    if (r < 0)
        return log_error_errno(r,
                               "%s: a qcow2 image not read: %s; check a self-contained raw "
                               "copy made where the image and its backing files are trusted: "
                               "qemu-img convert -O raw %s IMAGE.raw",
                               path, why, path);
    q->size = chain.top.size;
    q->need = chain.allocated;
    r = check_space(q, path, dir, notes);
    if (r < 0)
        return r;
    handle_signals(true);
    r = make_tmp(q, path, dir);
    if (r >= 0)
        r = convert(q, path, abs, dir);
    if (r < 0) {
        qcow2raw_done(q);
        return r;
    }
    struct stat st;
    if (stat(q->tmp, &st) == 0)
        q->copied = (uint64_t)st.st_blocks * 512;
    return notes_add(notes,
                     "%s is a qcow2 image: read through a raw copy of its virtual disk (%llu "
                     "MiB, %llu MiB allocated) in %s (TMPDIR), removed when done",
                     path, (unsigned long long)(q->size / MIB),
                     (unsigned long long)(q->copied / MIB), dir);
}

void qcow2raw_done(struct qcow2raw *q)
{
    if (q->tmp) {
        sigset_t old;
        block_signals(true, &old);
        unlink(q->tmp);
        sig_tmp[0] = '\0';
        block_signals(false, &old);
        free(q->tmp);
        q->tmp = NULL;
    }
    handle_signals(false);
}
