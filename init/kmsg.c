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
    char ring[LOG_RING_LINES][256];
    unsigned ring_next;
} logger = {.kmsg_fd = -1, .console_fd = 2};

static void kmsg_sink(int prio, const char *msg);

void log_open(const char *kmsg_path, const char *console_path)
{
    log_set_sink(kmsg_sink);
    if (kmsg_path)
        logger.kmsg_fd = open(kmsg_path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
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

void log_kmsg_ratelimit(bool on)
{
    int fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);
    const char *v = on ? "ratelimit\n" : "on\n";

    if (fd < 0)
        return;
    if (write(fd, v, strlen(v)) < 0) {
        /* locked by printk.devkmsg= on the command line: the user's choice */
    }
    close(fd);
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

    /* a record is at most 1023 bytes of message, so that the line still ends in a newline */
    if (logger.kmsg_fd >= 0) {
        char line[1100];
        int n = snprintf(line, sizeof line, "<%d>sharedroot: %.1023s\n", prio, msg);
        if (n > 0)
            (void)write_all(logger.kmsg_fd, line,
                            (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    }
    if (logger.console_fd >= 0 && (prio <= LOG_WARNING || to_console || logger.kmsg_fd < 0)) {
        char line[1100];
        const char *lvl = prio <= LOG_ERR ? "ERROR: " : prio == LOG_WARNING ? "WARNING: " : "";
        int n = snprintf(line, sizeof line, "sharedroot: %s%.1023s\n", lvl, msg);
        if (n > 0)
            (void)write_all(logger.console_fd, line,
                            (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    }
}
