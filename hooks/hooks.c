// SPDX-License-Identifier: GPL-2.0-or-later
#include "hooks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "io-util.h"
#include "log.h"
#include "time-util.h"

static const char *file_kind(mode_t m)
{
    return S_ISDIR(m)    ? "directory"
           : S_ISLNK(m)  ? "symlink"
           : S_ISCHR(m)  ? "character device"
           : S_ISBLK(m)  ? "block device"
           : S_ISFIFO(m) ? "fifo"
           : S_ISSOCK(m) ? "socket"
                         : "regular file";
}

/* The ownership and mode rules shared by directories and files. */
static int check_owner_mode(const char *what, const char *path, const struct stat *st, uid_t owner,
                            char *why, size_t whylen)
{
    if (st->st_uid != owner) {
        snprintf(why, whylen,
                 "refusing %s %s: it is owned by uid %u, not %u, so someone else could "
                 "have changed it; fix: chown %u %s (and rebuild the initramfs)",
                 what, path, (unsigned)st->st_uid, (unsigned)owner, (unsigned)owner, path);
        return -EPERM;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, whylen,
                 "refusing %s %s: it is writable by group or others (mode %04o), so "
                 "anyone could have changed it; fix: chmod go-w %s (and rebuild the "
                 "initramfs)",
                 what, path, (unsigned)(st->st_mode & 07777), path);
        return -EPERM;
    }
    return 0;
}

int hooks_check_dir(const char *dirpath, uid_t owner, char *why, size_t whylen)
{
    struct stat st;

    if (lstat(dirpath, &st) < 0) {
        int r = -errno;
        snprintf(why, whylen, "cannot read hook directory %s: %s", dirpath, strerror(-r));
        return r;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, whylen,
                 "refusing hook directory %s: it is a %s, not a directory; replace "
                 "it by a real directory",
                 dirpath, file_kind(st.st_mode));
        return -EPERM;
    }
    return check_owner_mode("hook directory", dirpath, &st, owner, why, whylen);
}

/* A symlink is accepted only when it resolves to a file inside the hook base dir (e.g. a hook
 * shared by two stages); anything else would run a program nobody reviewed as a hook. */
static int check_symlink(const struct hooks_config *cfg, const char *path, char *why, size_t whylen,
                         struct stat *st)
{
    char base[PATH_MAX], target[PATH_MAX];
    size_t bl;
    char *slash;

    if (!realpath(cfg->base, base) || !realpath(path, target)) {
        snprintf(why, whylen,
                 "refusing hook %s: it is a symlink that does not resolve (%s); put "
                 "the file itself in the hook directory",
                 path, strerror(errno));
        return -EPERM;
    }
    bl = strlen(base);
    if (strncmp(target, base, bl) != 0 || target[bl] != '/') {
        snprintf(why, whylen,
                 "refusing hook %s: it is a symlink to %s, outside %s; put the file "
                 "itself in the hook directory",
                 path, target, cfg->base);
        return -EPERM;
    }
    if (lstat(target, st) < 0) {
        snprintf(why, whylen, "refusing hook %s: cannot read its target %s: %s", path, target,
                 strerror(errno));
        return -EPERM;
    }
    /* the target's directory must be as safe as a stage dir */
    slash = strrchr(target, '/');
    *slash = '\0';
    if (hooks_check_dir(target[0] ? target : "/", cfg->owner, why, whylen) < 0)
        return -EPERM;
    return 0;
}

int hooks_check_file(const struct hooks_config *cfg, const char *path, char *why, size_t whylen)
{
    struct stat st;
    int r;

    why[0] = '\0';
    if (lstat(path, &st) < 0) {
        r = -errno;
        snprintf(why, whylen, "cannot read hook %s: %s", path, strerror(-r));
        return r;
    }
    if (S_ISLNK(st.st_mode) && (r = check_symlink(cfg, path, why, whylen, &st)) < 0)
        return r;
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, whylen,
                 "refusing hook %s: it is a %s, not a regular file; hooks are "
                 "executable files",
                 path, file_kind(st.st_mode));
        return -EPERM;
    }
    r = check_owner_mode("hook", path, &st, cfg->owner, why, whylen);
    if (r < 0)
        return r;
    if (!(st.st_mode & S_IXUSR)) {
        snprintf(why, whylen, "skipping hook %s: not executable (chmod +x to enable it)", path);
        return 0;
    }
    return 1;
}

void hook_list_free(struct hook_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].path);
    }
    free(l->v);
    *l = (struct hook_list){0};
}

static int hook_cmp(const void *a, const void *b)
{
    return strcmp(((const struct hook *)a)->name, ((const struct hook *)b)->name);
}

static int list_add(struct hook_list *l, const char *dir, const char *name)
{
    _cleanup_free_ char *copy = strdup(name), *path = NULL;

    if (!copy || asprintf(&path, "%s/%s", dir, name) < 0 ||
        array_grow(&l->v, l->n, 1, &l->cap, sizeof *l->v) < 0)
        return -ENOMEM;
    l->v[l->n++] = (struct hook){
        .name = TAKE_PTR(copy), .path = TAKE_PTR(path), .optional = hooks_name_is_optional(name)};
    return 0;
}

int hooks_discover(const struct hooks_config *cfg, const char *stage, struct hook_list *out)
{
    char dir[PATH_MAX], why[PATH_MAX + 256];
    struct dirent *de;
    _cleanup_closedir_ DIR *d = NULL;
    int r = 0;

    *out = (struct hook_list){0};
    if ((size_t)snprintf(dir, sizeof dir, "%s/%s.d", cfg->base, stage) >= sizeof dir)
        return log_error_errno(ENAMETOOLONG, "hook directory %s/%s.d: %m", cfg->base, stage);
    if (access(dir, F_OK) < 0 && errno == ENOENT)
        return 0;
    if ((r = hooks_check_dir(cfg->base, cfg->owner, why, sizeof why)) < 0 ||
        (r = hooks_check_dir(dir, cfg->owner, why, sizeof why)) < 0)
        return log_error_errno(r, "%s", why);
    d = opendir(dir);
    if (!d)
        return log_error_errno(errno, "Failed to open hook directory %s: %m", dir);
    while ((errno = 0, de = readdir(d))) {
        if (!hooks_name_is_candidate(de->d_name)) {
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                log_debug("ignoring %s/%s (not a hook name)", dir, de->d_name);
            continue;
        }
        if ((r = list_add(out, dir, de->d_name)) < 0)
            break;
    }
    if (r == 0 && errno)
        r = log_error_errno(errno, "Failed to read hook directory %s: %m", dir);
    if (r < 0) {
        hook_list_free(out);
        return r;
    }
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, hook_cmp);
    return 0;
}

/* ---- running one hook ---- */

struct hook_env_block {
    char *v[12];
    size_t n;
};

static int env_add(struct hook_env_block *e, const char *key, const char *value)
{
    if (asprintf(&e->v[e->n], "%s=%s", key, value ? value : "") < 0)
        return -ENOMEM;
    e->n++;
    return 0;
}

static void env_free(struct hook_env_block *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i]);
    e->n = 0;
}

/* Built before fork: the child of PID 1 only execs. The environment is the documented one
 * and nothing else, so a hook behaves the same whatever the kernel passed to init. */
static int env_build(struct hook_env_block *e, const struct hooks_env *env, const struct hook *h)
{
    int r = 0;

    e->n = 0;
    if ((r = env_add(e, "PATH", HOOKS_PATH)) < 0 || (r = env_add(e, "HOME", "/")) < 0 ||
        (r = env_add(e, "SHAREDROOT_HOOK", h->name)) < 0 ||
        (r = env_add(e, "SHAREDROOT_STAGE", env->stage)) < 0 ||
        (r = env_add(e, "SHAREDROOT_SYSROOT", env->sysroot)) < 0 ||
        (r = env_add(e, "SHAREDROOT_INSTANCE", env->instance)) < 0 ||
        (r = env_add(e, "SHAREDROOT_ROOT_DEVICE", env->root_device)) < 0 ||
        (r = env_add(e, "SHAREDROOT_ROOT_FSTYPE", env->root_fstype)) < 0 ||
        (r = env_add(e, "SHAREDROOT_MODE", env->mode)) < 0 ||
        (r = env_add(e, "SHAREDROOT_HOSTNAME", env->hostname)) < 0 ||
        (r = env_add(e, "SHAREDROOT_DEBUG", env->debug ? "1" : "0")) < 0) {
        env_free(e);
        return r;
    }
    e->v[e->n] = NULL;
    return 0;
}

struct line_buf {
    const struct hooks_config *cfg;
    const char *name;
    char buf[900];
    size_t len;
};

static void line_emit(struct line_buf *lb)
{
    char out[1024];
    int n;

    lb->buf[lb->len] = '\0';
    for (char *p = lb->buf; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            *p = ' ';
    log_info("hook %s: %s", lb->name, lb->buf);
    if (lb->cfg->console_fd >= 0) {
        n = snprintf(out, sizeof out, "sharedroot: hook %s: %s\n", lb->name, lb->buf);
        if (n > 0)
            (void)write_all(lb->cfg->console_fd, out,
                            (size_t)n < sizeof out ? (size_t)n : sizeof out - 1);
    }
    lb->len = 0;
}

static void line_feed(struct line_buf *lb, const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (data[i] == '\r')
            continue;
        if (data[i] == '\n') {
            line_emit(lb);
            continue;
        }
        lb->buf[lb->len++] = data[i];
        if (lb->len == sizeof lb->buf - 1)
            line_emit(lb);
    }
}

/* Read what is there; returns false at end of file (or a read error). */
static bool pipe_pump(int fd, struct line_buf *lb)
{
    char data[4096];

    for (;;) {
        ssize_t n = read(fd, data, sizeof data);
        if (n > 0) {
            line_feed(lb, data, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && errno == EAGAIN;
    }
}

static pid_t spawn(const struct hook *h, char *const envp[], int out_fd)
{
    pid_t pid = fork();

    if (pid != 0)
        return pid;
    /* own process group: a timeout kills the hook with everything it started */
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0)
        dup2(null, 0);
    else
        close(0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    execve(h->path, (char *const[]){h->path, NULL}, envp);
    dprintf(2, "cannot execute %s: %s\n", h->path, strerror(errno));
    _exit(127);
}

static void describe_status(int status, char *buf, size_t n)
{
    if (WIFEXITED(status))
        snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, n, "ended with wait status %#x", (unsigned)status);
}

/* Pump the output until the hook ends; enforce the timeout. Returns the wait status, and
 * *timed_out when it had to be killed. */
static int supervise(const struct hooks_config *cfg, const struct hook *h, pid_t pid, int fd,
                     bool *timed_out)
{
    unsigned timeout_s = cfg->timeout_s ? cfg->timeout_s : HOOKS_DEFAULT_TIMEOUT;
    unsigned grace = cfg->kill_grace_ms ? cfg->kill_grace_ms : HOOKS_KILL_GRACE_MS;
    struct line_buf lb = {.cfg = cfg, .name = h->name};
    uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000, kill_at = 0;
    bool open_pipe = true, termed = false, killed = false;
    int status = 0;

    *timed_out = false;
    for (;;) {
        struct pollfd p = {.fd = open_pipe ? fd : -1, .events = POLLIN};
        pid_t w;

        if (poll(&p, 1, 100) > 0 && open_pipe)
            open_pipe = pipe_pump(fd, &lb);
        w = waitpid(pid, &status, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR))
            break;
        uint64_t now = now_ms();
        if (!termed && now >= deadline) {
            log_error("hook %s did not finish within %u s (sharedroot.hook_timeout=): "
                      "stopping it with SIGTERM",
                      h->path, timeout_s);
            kill(-pid, SIGTERM);
            termed = *timed_out = true;
            kill_at = now + grace;
        } else if (termed && !killed && now >= kill_at) {
            log_error("hook %s is still running %u ms after SIGTERM: SIGKILL", h->path, grace);
            kill(-pid, SIGKILL);
            killed = true;
        }
    }
    /* what the hook wrote just before it ended; a background child that keeps the pipe
     * open must not keep the boot waiting, so only what is already there is read */
    if (open_pipe)
        pipe_pump(fd, &lb);
    if (lb.len)
        line_emit(&lb);
    return status;
}

int hooks_run_one(const struct hooks_config *cfg, const struct hooks_env *env, const struct hook *h)
{
    _cleanup_(env_free) struct hook_env_block e = {0};
    _cleanup_close_ int rfd = -1;
    uint64_t t0 = now_ms();
    bool timed_out;
    char how[128];
    int pfd[2], status, r;
    pid_t pid;

    if ((r = env_build(&e, env, h)) < 0)
        return log_error_errno(r, "Failed to prepare the environment of hook %s: %m", h->path);
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return log_error_errno(errno, "Failed to create a pipe for hook %s: %m", h->path);
    rfd = pfd[0];
    log_info("running hook %s", h->path);
    pid = spawn(h, e.v, pfd[1]);
    close(pfd[1]); /* the hook's end: the pipe ends when the hook (and its children) do */
    if (pid < 0)
        return log_error_errno(errno, "Failed to start hook %s: %m", h->path);
    fcntl(rfd, F_SETFL, O_NONBLOCK);
    status = supervise(cfg, h, pid, rfd, &timed_out);
    if (timed_out)
        return -ETIMEDOUT;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        log_info("hook %s done in %llu ms", h->path, (unsigned long long)(now_ms() - t0));
        return 0;
    }
    describe_status(status, how, sizeof how);
    log_full_errno(h->optional ? LOG_WARNING : LOG_ERR, 0, "hook %s %s", h->path, how);
    return -EIO;
}

int hooks_run_stage(const struct hooks_config *cfg, const struct hooks_env *env, char *failed,
                    size_t failedlen)
{
    _cleanup_(hook_list_free) struct hook_list l = {0};
    char why[PATH_MAX + 256];
    int r;

    if (failed && failedlen)
        failed[0] = '\0';
    r = hooks_discover(cfg, env->stage, &l);
    if (r < 0) {
        if (failed)
            snprintf(failed, failedlen, "%s/%s.d", cfg->base, env->stage);
        return r;
    }
    for (size_t i = 0; i < l.n; i++) {
        const struct hook *h = &l.v[i];

        r = hooks_check_file(cfg, h->path, why, sizeof why);
        if (r == 0) {
            log_notice("%s", why);
            continue;
        }
        if (r > 0)
            r = hooks_run_one(cfg, env, h);
        else
            log_error("%s", why);
        if (r >= 0)
            continue;
        if (h->optional) {
            log_warning("hook %s is optional (its name ends in " HOOKS_OPTIONAL_SUFFIX
                        "): going on with the boot",
                        h->path);
            r = 0;
            continue;
        }
        log_error("hook %s failed: the boot stops after stage %s. Fix the cause (or rename the "
                  "hook to end in " HOOKS_OPTIONAL_SUFFIX " if the boot may go on without it)",
                  h->path, env->stage);
        if (failed)
            snprintf(failed, failedlen, "%s", h->name);
        break;
    }
    return r;
}
