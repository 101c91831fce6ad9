// SPDX-License-Identifier: GPL-2.0-or-later
#include "fsck.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

int fsck_find(const char *fstype, char *path, size_t n)
{
    char dirs[] = FSCK_SEARCH_DIRS;
    char *save = NULL;
    bool ext =
        strcmp(fstype, "ext2") == 0 || strcmp(fstype, "ext3") == 0 || strcmp(fstype, "ext4") == 0;

    if (strchr(fstype, '/') || !*fstype)
        return -EINVAL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(path, n, "%s/fsck.%s", d, fstype);
        if (access(path, X_OK) == 0)
            return 0;
        if (ext) {
            snprintf(path, n, "%s/e2fsck", d);
            if (access(path, X_OK) == 0)
                return 0;
        }
    }
    return -ENOENT;
}

int fsck_run(const char *dev, const char *fstype, int timeout_s, char *why, size_t n)
{
    char prog[256];
    int status, r = fsck_find(fstype, prog, sizeof prog);
    pid_t pid;

    if (r < 0)
        return r;
    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        execl(prog, prog, "-p", dev, (char *)NULL);
        _exit(127);
    }
    r = child_wait_bounded(pid, timeout_s * 1000, &status);
    if (r == -ETIMEDOUT) {
        snprintf(why, n,
                 "%s -p %s did not finish within %d s and was stopped; check the "
                 "filesystem by hand: %s -f %s",
                 prog, dev, timeout_s, prog, dev);
        return -EUCLEAN;
    }
    if (r < 0)
        return r;
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
        snprintf(why, n, "%s could not run on %s", prog, dev);
        return -EIO;
    }
    /* fsck exit codes: 1 errors corrected, 2 corrected and a reboot wanted (only for a
     * mounted root; ours is not mounted yet), 4 and up: left uncorrected or failed. */
    if (WEXITSTATUS(status) >= 4) {
        snprintf(why, n,
                 "%s -p %s exited with status %d: the filesystem has errors that need "
                 "a human; run '%s -f %s' from the emergency shell, then leave the "
                 "shell to retry",
                 prog, dev, WEXITSTATUS(status), prog, dev);
        return -EUCLEAN;
    }
    return 0;
}
