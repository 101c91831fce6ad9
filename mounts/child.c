// SPDX-License-Identifier: GPL-2.0-or-later
#include "child.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "time-util.h"

#define POLL_STEP_MS 10

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A pidfd of pid (readable when it ends), or -1. */
static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

int child_wait_bounded(pid_t pid, int timeout_ms, int *status)
{
    uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    int pfd = pidfd_of(pid), r = -ETIMEDOUT;

    for (;;) {
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid) {
            r = 0;
            break;
        }
        if (w < 0 && errno != EINTR) {
            r = -errno;
            break;
        }
        uint64_t now = now_ms();
        if (now >= deadline)
            break;
        uint64_t left = deadline - now;
        if (pfd >= 0) {
            struct pollfd p = {.fd = pfd, .events = POLLIN};
            (void)poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left); /* EINTR: look again */
        } else {
            sleep_ms(left < POLL_STEP_MS ? (int)left : POLL_STEP_MS);
        }
    }
    if (pfd >= 0)
        close(pfd);
    if (r != -ETIMEDOUT)
        return r;
    kill(pid, SIGKILL);
    /* A child stuck in uninterruptible I/O may not die at once: reap it if it does, else
     * leave the zombie to PID 1's reaper rather than wait without bound. */
    for (int i = 0; i < 100 && waitpid(pid, status, WNOHANG) == 0; i++)
        sleep_ms(POLL_STEP_MS);
    return -ETIMEDOUT;
}
