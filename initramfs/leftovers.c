/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "leftovers.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mkutil.h"

/* The one piece of mutable global state of the program: a signal handler cannot be given
 * arguments. Changed only with the handled signals blocked (see hold/release). */
static struct {
    pid_t owner; /* the process that installed the handler (not a forked child) */
    pid_t child;
    char file[PATH_MAX];
    char dir[PATH_MAX];
} left;

static const int handled[] = {SIGINT, SIGTERM, SIGHUP};

static void on_signal(int sig)
{
    static const char msg[] = PROGRAM_NAME ": interrupted; removing the unfinished image and "
                                           "the staging directory\n";
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    int saved = errno;

    /* A child between fork and exec runs this handler too: only the owner cleans up. */
    if (getpid() == left.owner && (left.child > 0 || left.file[0] || left.dir[0])) {
        (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
        if (left.child > 0) {
            kill(left.child, SIGKILL); /* depmod, writing into the staging directory */
            while (waitpid(left.child, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        if (left.file[0])
            unlink(left.file);
        if (left.dir[0])
            rm_rf(left.dir);
    }
    /* End as the signal would have ended us (the caller sees 128+N): delivered when the
     * handler returns, since the signal is blocked while it runs. */
    sigaction(sig, &dfl, NULL);
    raise(sig);
    errno = saved;
}

static void hold(sigset_t *old)
{
    sigset_t set;

    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
        sigaddset(&set, handled[i]);
    sigprocmask(SIG_BLOCK, &set, old);
}

static void release(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
}

int leftovers_install(void)
{
    struct sigaction sa = {.sa_handler = on_signal};

    left.owner = getpid();
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
        sigaddset(&sa.sa_mask, handled[i]); /* one cleanup at a time */
    for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
        struct sigaction cur;
        /* A signal ignored when we start stays ignored (nohup, a background job). */
        if (sigaction(handled[i], NULL, &cur) < 0)
            return -errno;
        if (cur.sa_handler != SIG_IGN && sigaction(handled[i], &sa, NULL) < 0)
            return -errno;
    }
    return 0;
}

static void set_path(char *dst, const char *path)
{
    sigset_t old;

    hold(&old);
    if (!path || strlen(path) >= PATH_MAX)
        dst[0] = '\0';
    else
        strcpy(dst, path);
    release(&old);
}

void leftovers_set_file(const char *path)
{
    set_path(left.file, path);
}

void leftovers_set_dir(const char *path)
{
    set_path(left.dir, path);
}

void leftovers_set_child(pid_t pid)
{
    sigset_t old;

    hold(&old);
    left.child = pid;
    release(&old);
}

pid_t leftovers_fork(void)
{
    sigset_t old;
    pid_t pid;

    hold(&old);
    pid = fork();
    if (pid > 0)
        left.child = pid;
    release(&old);
    return pid;
}

int leftovers_mkstemp(char *template)
{
    sigset_t old;
    int fd, r = 0;

    hold(&old); /* the name is recorded before a signal can leave the file behind */
    fd = mkostemp(template, O_CLOEXEC);
    if (fd < 0)
        r = -errno;
    else if (strlen(template) < PATH_MAX)
        strcpy(left.file, template);
    release(&old);
    if (r < 0)
        return r;
    (void)flock(fd, LOCK_EX | LOCK_NB); /* new and ours: cannot be held by another */
    return fd;
}

int leftovers_mkdtemp(char *template)
{
    sigset_t old;
    int fd, r = 0;

    hold(&old);
    if (!mkdtemp(template))
        r = -errno;
    else if (strlen(template) < PATH_MAX)
        strcpy(left.dir, template);
    release(&old);
    if (r < 0)
        return r;
    fd = open(template, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    (void)flock(fd, LOCK_EX | LOCK_NB);
    return fd;
}

bool leftovers_name_matches(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);

    if (strncmp(name, prefix, n) != 0 || strlen(name + n) != 6)
        return false;
    for (const char *c = name + n; *c; c++)
        if (!isascii((unsigned char)*c) || !isalnum((unsigned char)*c))
            return false;
    return true;
}

/* One candidate: ours by name, type, owner and age, reached without a symlink, and not
 * locked by a run at work. 1 when removed, 0 when left alone. */
static int clean_one(int dfd, const char *dir, const char *name, bool want_dirs, time_t now)
{
    struct stat st, fst;
    _cleanup_close_ int fd = -1;
    int r;

    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    if ((want_dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) || st.st_uid != geteuid() ||
        st.st_mtime > now - LEFTOVER_MIN_AGE)
        return 0;
    fd = openat(dfd, name,
                (want_dirs ? O_DIRECTORY : O_NONBLOCK | O_NOCTTY) | O_RDONLY | O_NOFOLLOW |
                    O_CLOEXEC);
    if (fd < 0 || fstat(fd, &fst) < 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino)
        return 0;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0)
        return 0; /* a run is still writing it */
    r = want_dirs ? rm_rf_at(dfd, name) : unlinkat(dfd, name, 0) < 0 ? -errno : 0;
    if (r < 0)
        return mk_note("note: cannot remove %s/%s, left by an earlier run: %s", dir, name,
                       strerror(-r));
    mk_note("note: removed %s/%s, left by an earlier run that was killed", dir, name);
    return 1;
}

int leftovers_clean_stale(const char *dir, const char *prefix, bool want_dirs)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    time_t now = time(NULL);
    struct dirent *e;
    int n = 0;
    DIR *d;

    if (fd < 0)
        return -errno;
    d = fdopendir(fd);
    if (!d) {
        int r = -errno;
        close(fd);
        return r;
    }
    while ((e = readdir(d)))
        if (leftovers_name_matches(e->d_name, prefix))
            n += clean_one(dirfd(d), dir, e->d_name, want_dirs, now);
    closedir(d);
    return n;
}
