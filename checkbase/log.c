// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
