// SPDX-License-Identifier: GPL-2.0-or-later
#include "why.h"

#include <stdarg.h>
#include <stdio.h>

int why_fail(char *why, size_t n, int r, const char *fmt, ...)
{
    if (why && n > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, n, fmt, ap);
        va_end(ap);
    }
    return r;
}
