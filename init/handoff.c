// SPDX-License-Identifier: GPL-2.0-or-later
#include "handoff.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "stage.h"
#include "time-util.h"

static const char *mode_word(enum boot_mode m)
{
    switch (m) {
    case MODE_OFF:
        return "off";
    case MODE_VOLATILE:
        return "volatile";
    case MODE_INSTANCE:
        return "instance";
    case MODE_LAYOUT:
        return "layout";
    }
    return "unknown";
}

int handoff_format(const struct boot_ctx *ctx, uint64_t uptime_ms, uint64_t now, char *buf,
                   size_t size)
{
    size_t len = 0;
    int n;

#define PUT(...)                                                                                   \
    do {                                                                                           \
        n = snprintf(buf + len, size - len, __VA_ARGS__);                                          \
        if (n < 0 || (size_t)n >= size - len)                                                      \
            return -ENOSPC;                                                                        \
        len += (size_t)n;                                                                          \
    } while (0)

    if (size == 0)
        return -ENOSPC;
    PUT("%s v=%d uptime_ms=%llu init_ms=%llu", HANDOFF_PREFIX, HANDOFF_VERSION,
        (unsigned long long)uptime_ms, (unsigned long long)(now - ctx->t_start));
    for (int s = 0; s < _STAGE_MAX; s++) {
        /* the switch stage has not returned yet: it counts until now */
        uint64_t ms = s == STAGE_SWITCH ? now - ctx->stage_t0 : ctx->stage_ms[s];
        PUT(" %s=%llu", stage_name((enum stage)s), (unsigned long long)ms);
    }
    PUT(" mode=%s\n", mode_word(ctx->mode));
#undef PUT
    return (int)len;
}

void handoff_announce(const struct boot_ctx *ctx, int fd)
{
    struct timespec ts;
    char line[512];
    uint64_t uptime_ms = 0;
    int n;

    /* the guest's uptime as /proc/uptime and the kernel's printk timestamps count it */
    if (clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
        uptime_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    n = handoff_format(ctx, uptime_ms, now_ms(), line, sizeof line);
    /* one write: a line split by other console output could not be read back */
    if (n > 0 && fd >= 0 && write(fd, line, (size_t)n) < 0)
        return;
}
