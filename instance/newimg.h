/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A new image is never written in place: it is made as a hidden temporary file next to its
 * final name (".NAME.XXXXXX", same filesystem), synced, then renamed over it in one step. A
 * failure or a crash leaves the old image (or no image) and at most a temporary file.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

struct newimg {
    char path[PATH_MAX]; /* the final name */
    char tmp[PATH_MAX];  /* the temporary file */
    int fd;
};

/* Start a new image for path: a sparse file of size bytes (0: empty). With replace false an
 * existing path is refused (-EEXIST). */
int newimg_begin(struct newimg *ni, const char *path, uint64_t size, bool replace);
/* fsync, rename onto the final name (never over an existing one unless replace), fsync the
 * dir. */
int newimg_commit(struct newimg *ni, bool replace);
/* Remove the temporary file (a no-op after commit). */
void newimg_abort(struct newimg *ni);

/* What writes a new image: its temporary file ni->tmp (open as ni->fd). Logs its own failures
 * and returns 0 or a negative errno. */
typedef int (*newimg_fill_fn)(struct newimg *ni, void *ud);

/* The whole of making the new file path: newimg_begin, fill, newimg_commit; on any failure the
 * temporary file is removed and nothing else is left. The failures of begin and commit are
 * logged, prefixed with cmd ("clone a.img"): path exists already (without replace), a file
 * cannot be made next to it, the rename failed. */
int newimg_make(const char *path, uint64_t size, bool replace, const char *cmd, newimg_fill_fn fill,
                void *ud);
