// SPDX-License-Identifier: GPL-2.0-or-later
/* child_wait_bounded: the status of a child that ends, a child killed at the bound (and
 * reaped), and a pid that is not a child. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "testlib.h"

TEST(child_that_ends_gives_its_status)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(3);
    int status = -1;
    CHECK_INT(child_wait_bounded(pid, 60000, &status), 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    CHECK_INT(waitpid(pid, NULL, WNOHANG), -1); /* reaped */
}

TEST(child_that_ends_later_is_waited_for)
{
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50 * 1000);
        _exit(0);
    }
    int status = -1;
    CHECK_INT(child_wait_bounded(pid, 60000, &status), 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(child_past_the_bound_is_killed_and_reaped)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    int status = -1;
    CHECK_INT(child_wait_bounded(pid, 100, &status), -ETIMEDOUT);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(kill(pid, 0) < 0 && errno == ESRCH); /* gone, not a zombie */
}

TEST(zero_bound_still_sees_a_child_that_ended)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    int status = -1;
    /* wait until it has ended, without reaping it */
    siginfo_t si;
    CHECK_INT(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    CHECK_INT(child_wait_bounded(pid, 0, &status), 0);
    CHECK(WIFEXITED(status));
}

TEST(not_a_child_is_an_error)
{
    int status;
    CHECK_INT(child_wait_bounded(getppid(), 1000, &status), -ECHILD);
}

int main(void)
{
    return test_main();
}
