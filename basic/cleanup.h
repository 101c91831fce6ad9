/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cleanup attributes (as systemd's and kmod's): a variable declared with one of them is freed
 * or closed when it goes out of scope, on every return path. Hand a value out of such a
 * variable with TAKE_PTR() or take_fd().
 *
 *     _cleanup_free_ char *p = strdup(s);
 *     _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
 *     ...
 *     *ret = TAKE_PTR(p);
 */
#pragma once

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void freep(void *p)
{
    free(*(void **)p);
}
static inline void closep(const int *fd)
{
    if (*fd >= 0)
        close(*fd);
}
static inline void fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
static inline void closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Hand an fd out of a _cleanup_close_ variable (which is left -1). */
static inline int take_fd(int *fd)
{
    int r = *fd;
    *fd = -1;
    return r;
}
/* Hand a pointer out of a _cleanup_ variable (which is left NULL). */
#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _take_ptr_ = (p);                                                            \
        (p) = NULL;                                                                                \
        _take_ptr_;                                                                                \
    })
