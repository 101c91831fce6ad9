// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static bool verbose;

void log_set_verbose(bool on)
{
    verbose = on;
}

int log_error_errno(int err, const char *fmt, ...)
{
    int e = err < 0 ? -err : err;
    va_list ap;

    va_start(ap, fmt);
    errno = e;
    fputs(PROGRAM_NAME ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return e ? -e : -EINVAL;
}

void log_warning(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs(PROGRAM_NAME ": warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;

    if (!verbose)
        return;
    va_start(ap, fmt);
    fputs(PROGRAM_NAME ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int why_fail(char *why, size_t n, int err, const char *fmt, ...)
{
    int e = err < 0 ? -err : err;
    va_list ap;

    va_start(ap, fmt);
    if (n)
        vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return e ? -e : -EINVAL;
}
