// SPDX-License-Identifier: GPL-2.0-or-later
#include "hostname.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"

#define TMP_NAME ".hostname.sharedroot"

int hostname_check(const char *name, char *why, size_t n)
{
    size_t len = strlen(name), label = 0;

    if (len == 0 || len > HOSTNAME_MAX) {
        snprintf(why, n, "it has %zu characters; a host name has 1 to %d", len, HOSTNAME_MAX);
        return -EINVAL;
    }
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c == '.' || c == 0) {
            if (label == 0) {
                snprintf(why, n, "%s", "it has an empty label (a leading, trailing or double dot)");
                return -EINVAL;
            }
            if (name[i - 1] == '-') {
                snprintf(why, n, "%s", "a label ends with '-'");
                return -EINVAL;
            }
            label = 0;
            continue;
        }
        if (!isascii(c) || !(isalnum(c) || c == '-')) {
            snprintf(why, n, "character %zu is not a letter, digit, '-' or '.'", i + 1);
            return -EINVAL;
        }
        if (label == 0 && c == '-') {
            snprintf(why, n, "%s", "a label starts with '-'");
            return -EINVAL;
        }
        if (++label > HOSTNAME_LABEL_MAX) {
            snprintf(why, n, "a label is longer than %d characters", HOSTNAME_LABEL_MAX);
            return -EINVAL;
        }
    }
    return 0;
}

static const struct layout_entry *etc_overlay(const struct boot_ctx *ctx)
{
    for (size_t i = 0; i < ctx->layout.n; i++)
        if (ctx->layout.entries[i].kind == LAYOUT_OVERLAY &&
            strcmp(ctx->layout.entries[i].target, "/etc") == 0)
            return &ctx->layout.entries[i];
    return NULL;
}

/* What the instance has in place of /etc/hostname, for the message: its first line (printable
 * characters only), "deleted" for a whiteout, or the kind of file. */
static void describe_own(int etc_fd, const struct stat *st, char *out, size_t n)
{
    char buf[HOSTNAME_MAX + 2];
    ssize_t got;
    int fd;

    if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0)) {
        snprintf(out, n, "%s", "deleted");
        return;
    }
    if (S_ISLNK(st->st_mode)) {
        snprintf(out, n, "%s", "a symlink");
        return;
    }
    if (!S_ISREG(st->st_mode)) {
        snprintf(out, n, "%s", "not a regular file");
        return;
    }
    fd = openat(etc_fd, "hostname", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    got = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (got < 0) {
        snprintf(out, n, "%s", "unreadable");
        return;
    }
    buf[got] = 0;
    buf[strcspn(buf, "\n")] = 0;
    for (char *p = buf; *p; p++)
        if (!isprint((unsigned char)*p))
            *p = '?';
    snprintf(out, n, "%s", buf[0] ? buf : "empty");
}

/* Write name as etc_fd/hostname: a temporary file, fsync, rename (a crash leaves the old state
 * or the new one, never half a name). */
static int write_hostname(int etc_fd, const char *name)
{
    char line[HOSTNAME_MAX + 2];
    int len = snprintf(line, sizeof line, "%s\n", name);
    int fd, r = 0;

    (void)unlinkat(etc_fd, TMP_NAME, 0); /* left by a crash; ours */
    fd = openat(etc_fd, TMP_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if (write(fd, line, (size_t)len) != len || fchmod(fd, 0644) < 0 || fsync(fd) < 0)
        r = errno ? -errno : -EIO;
    close(fd);
    if (r == 0 && renameat(etc_fd, TMP_NAME, etc_fd, "hostname") < 0)
        r = -errno;
    if (r < 0)
        (void)unlinkat(etc_fd, TMP_NAME, 0);
    else
        (void)fsync(etc_fd);
    return r;
}

static void apply_to(const struct boot_ctx *ctx, const struct layout_entry *e, const char *name)
{
    char etc[PATH_MAX], own[HOSTNAME_MAX + 16];
    struct stat st;
    int upper_fd, etc_fd, r;

    upper_fd = open(e->upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (upper_fd < 0) {
        log_warning_errno(errno,
                          "sharedroot.hostname=%s: cannot open the /etc upper dir %s: %m; "
                          "host name not set",
                          name, e->upper);
        return;
    }
    snprintf(etc, sizeof etc, "%s/etc", strcmp(ctx->sysroot, "/") == 0 ? "" : ctx->sysroot);
    etc_fd = open(etc, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (etc_fd < 0) {
        log_warning_errno(errno, "sharedroot.hostname=%s: cannot open %s: %m; host name not set",
                          name, etc);
        close(upper_fd);
        return;
    }
    if (fstatat(upper_fd, "hostname", &st, AT_SYMLINK_NOFOLLOW) == 0) {
        describe_own(etc_fd, &st, own, sizeof own);
        log_console("the instance has its own /etc/hostname (%s); keeping it, ignoring "
                    "sharedroot.hostname=%s",
                    own, name);
    } else if (errno != ENOENT) {
        log_warning_errno(errno,
                          "sharedroot.hostname=%s: cannot look at %s/hostname: %m; "
                          "host name not set",
                          name, e->upper);
    } else if ((r = write_hostname(etc_fd, name)) < 0) {
        log_warning_errno(r,
                          "sharedroot.hostname=%s: cannot write %s/hostname (the instance's "
                          "/etc upper dir %s): %m%s; host name not set",
                          name, etc, e->upper,
                          r == -ENOSPC ? " (the instance filesystem is full)" : "");
    } else {
        log_console("fresh instance: host name set to %s in /etc/hostname", name);
    }
    close(etc_fd);
    close(upper_fd);
}

void hostname_apply(struct boot_ctx *ctx)
{
    const char *name = ctx->cmd.hostname;
    const struct layout_entry *e;
    char why[256];

    if (!name)
        return;
    if (hostname_check(name, why, sizeof why) < 0) {
        log_warning("sharedroot.hostname=%s is not a valid host name (%s): letters, digits and "
                    "'-' in dot-separated labels; not setting it",
                    name, why);
        return;
    }
    if (ctx->mode == MODE_OFF) {
        log_console("sharedroot=off: no /etc overlay, so sharedroot.hostname=%s is not applied",
                    name);
        return;
    }
    e = etc_overlay(ctx);
    if (!e) {
        log_warning("sharedroot.hostname=%s: /etc is not overlaid (sharedroot.overlay= or the "
                    "layout file leaves it out), so there is no instance /etc to name; not "
                    "setting it",
                    name);
        return;
    }
    apply_to(ctx, e, name);
}
