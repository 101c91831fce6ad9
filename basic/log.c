// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.h"

#include <errno.h>
#include <stdio.h>

/* Process-wide by nature: the sink is chosen once by main(), and logging must work from any
 * stage and from the failure path, before and after the boot context exists. */
static struct {
    log_sink_fn sink;
    const char *program;
    bool debug;
} logging;

void log_set_sink(log_sink_fn sink)
{
    logging.sink = sink;
}

void log_set_program(const char *name)
{
    logging.program = name;
}

void log_set_debug(bool on)
{
    logging.debug = on;
}

bool log_get_debug(void)
{
    return logging.debug;
}

static void stderr_sink(int prio, const char *msg)
{
    int p = prio & LOG_PRIMASK;
    if (logging.program) {
        fprintf(stderr, "%s: %s%s\n", logging.program, p == LOG_WARNING ? "warning: " : "", msg);
        return;
    }
    const char *lvl = p <= LOG_ERR ? "ERROR: " : p == LOG_WARNING ? "WARNING: " : "";
    fprintf(stderr, "sharedroot: %s%s\n", lvl, msg);
}

int log_full_errno(int prio, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = log_full_errnov(prio, err, fmt, ap);
    va_end(ap);
    return r;
}

int log_full_errnov(int prio, int err, const char *fmt, va_list ap)
{
    int saved = errno;
    char msg[4096];

    if (err < 0)
        err = -err;
    if ((prio & LOG_PRIMASK) >= LOG_DEBUG && !logging.debug)
        return -err;

    /* "%m" expands from err, not from whatever errno happens to be now. */
    errno = err;
    vsnprintf(msg, sizeof msg, fmt, ap);
    errno = saved;

    /* One line per message: a kmsg record ends at the newline. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || (unsigned char)*p < 0x20)
            *p = ' ';

    (logging.sink ? logging.sink : stderr_sink)(prio & (LOG_PRIMASK | LOG_CONSOLE), msg);
    errno = saved;
    return -err;
}
