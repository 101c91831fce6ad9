// SPDX-License-Identifier: GPL-2.0-or-later
#include "fsck.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int fsck_find_in(const char *search, const char *fstype, char *path, size_t n)
{
    char dirs[1024];
    char *save = NULL;
    bool ext =
        strcmp(fstype, "ext2") == 0 || strcmp(fstype, "ext3") == 0 || strcmp(fstype, "ext4") == 0;

    if (strchr(fstype, '/') || !*fstype)
        return -EINVAL;
    if ((size_t)snprintf(dirs, sizeof dirs, "%s", search) >= sizeof dirs)
        return -ENAMETOOLONG;
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

int fsck_verdict(int status, const char *prog, const char *dev, char *why, size_t n)
{
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
