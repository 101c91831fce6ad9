// SPDX-License-Identifier: GPL-2.0-or-later
#include "kmsg.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io-util.h"

/* The sink is the one piece of process-wide state: it must work from any stage and from the
 * failure path, before and after the boot context exists. */
static struct {
    int kmsg_fd;
    int console_fd;
    /* The kernel prints a kmsg record on its consoles when its level is below this (the console
     * log level, the first field of /proc/sys/kernel/printk: 7 by default, 4 with "quiet"; 16
     * with ignore_loglevel); 0 when unknown. Such a line is not written to the console again. */
    int echo_below;
    /* kmsg takes every line (printk_devkmsg is "on"): only then is the kernel's echo relied on */
    bool kmsg_unlimited;
    /* the last lines, each as whole as its kmsg record (1023 bytes), for the emergency shell */
    char ring[LOG_RING_LINES][LOG_LINE_MAX + 1];
    unsigned ring_next;
} logger = {.kmsg_fd = -1, .console_fd = 2};

static void kmsg_sink(int prio, const char *msg);

static int kernel_console_level(void)
{
    char buf[64];

    read_first_line_at(AT_FDCWD, "/sys/module/printk/parameters/ignore_loglevel", buf, sizeof buf);
    if (buf[0] == 'Y')
        return 16;
    read_first_line_at(AT_FDCWD, "/proc/sys/kernel/printk", buf, sizeof buf);
    return buf[0] >= '0' && buf[0] <= '9' ? atoi(buf) : 0;
}

void log_open(const char *kmsg_path, const char *console_path)
{
    log_set_sink(kmsg_sink);
    if (kmsg_path) {
        logger.kmsg_fd = open(kmsg_path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        logger.echo_below = logger.kmsg_fd >= 0 ? kernel_console_level() : 0;
    }
    if (console_path) {
        int fd = open(console_path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (fd >= 0)
            logger.console_fd = fd;
    }
}

void log_set_kmsg_fd(int fd)
{
    log_set_sink(kmsg_sink);
    logger.kmsg_fd = fd;
}

void log_set_console_fd(int fd)
{
    log_set_sink(kmsg_sink);
    logger.console_fd = fd;
}

void log_set_kernel_echo(int echo_below, bool kmsg_unlimited)
{
    logger.echo_below = echo_below;
    logger.kmsg_unlimited = kmsg_unlimited;
}

void log_kmsg_ratelimit(bool on)
{
    int fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);
    const char *v = on ? "ratelimit\n" : "on\n";

    char now[32];

    if (fd >= 0 && write(fd, v, strlen(v)) < 0) {
        /* locked by printk.devkmsg= on the command line: the user's choice */
    }
    if (fd >= 0)
        close(fd);
    read_first_line_at(AT_FDCWD, "/proc/sys/kernel/printk_devkmsg", now, sizeof now);
    logger.kmsg_unlimited = strcmp(now, "on") == 0;
}

void log_close(void)
{
    if (logger.kmsg_fd >= 0)
        close(logger.kmsg_fd);
    logger.kmsg_fd = -1;
    if (logger.console_fd > 2)
        close(logger.console_fd);
    logger.console_fd = 2;
}

void log_ring_dump(int fd)
{
    for (unsigned i = 0; i < LOG_RING_LINES; i++) {
        const char *l = logger.ring[(logger.ring_next + i) % LOG_RING_LINES];
        if (l[0]) {
            (void)write_all(fd, "  ", 2);
            (void)write_all(fd, l, strlen(l));
            (void)write_all(fd, "\n", 1);
        }
    }
}

static void kmsg_sink(int prio, const char *msg)
{
    bool to_console = prio & LOG_CONSOLE;

    prio &= LOG_PRIMASK;
    {
        size_t l = strnlen(msg, sizeof logger.ring[0] - 1);
        memcpy(logger.ring[logger.ring_next], msg, l);
        logger.ring[logger.ring_next][l] = 0;
    }
    logger.ring_next = (logger.ring_next + 1) % LOG_RING_LINES;

    const char *lvl = prio <= LOG_ERR ? "ERROR: " : prio == LOG_WARNING ? "WARNING: " : "";
    bool echoed = false;

    /* a record is at most LOG_LINE_MAX bytes of message, so that the line still ends in a
     * newline */
    if (logger.kmsg_fd >= 0) {
        char line[LOG_LINE_MAX + 80];
        int n =
            snprintf(line, sizeof line, "<%d>sharedroot: %s%.*s\n", prio, lvl, LOG_LINE_MAX, msg);
        if (n > 0 && write_all(logger.kmsg_fd, line,
                               (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) >= 0)
            /* the kernel prints it on its consoles (all of them, not only /dev/console's) */
            echoed = logger.kmsg_unlimited && prio < logger.echo_below;
    }
    if (logger.console_fd >= 0 && !echoed &&
        (prio <= LOG_WARNING || to_console || logger.kmsg_fd < 0)) {
        char line[LOG_LINE_MAX + 80];
        int n = snprintf(line, sizeof line, "sharedroot: %s%.*s\n", lvl, LOG_LINE_MAX, msg);
        if (n > 0)
            (void)write_all(logger.console_fd, line,
                            (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    }
}
