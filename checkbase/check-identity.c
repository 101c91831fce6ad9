// SPDX-License-Identifier: GPL-2.0-or-later
#include "check-identity.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fix.h"
#include "inroot.h"
#include "log.h"

#define SMALL_FILE (64 * 1024)

/* Strip leading and trailing whitespace in place; returns the start. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int check_machine_id(struct check_ctx *ctx, const struct check *c)
{
    char *buf;
    int r = check_read(ctx, "/etc/machine-id", SMALL_FILE, &buf, NULL);
    if (r <= 0)
        return r;
    const char *id = trim(buf);
    /* Empty and "uninitialized" are systemd's first-boot markers: each guest makes its own. */
    if (*id && strcmp(id, "uninitialized") != 0)
        r = findings_add(ctx->out, c, "/etc/machine-id", "holds the id %.32s", id);
    free(buf);
    return r;
}

int check_dbus_machine_id(struct check_ctx *ctx, const struct check *c)
{
    struct stat st;
    int r = check_lstat(ctx, "/var/lib/dbus/machine-id", &st);
    if (r <= 0 || !S_ISREG(st.st_mode))
        return r;
    return findings_add(ctx->out, c, "/var/lib/dbus/machine-id",
                        "a regular file, not a symlink to /etc/machine-id");
}

int check_ssh_host_keys(struct check_ctx *ctx, const struct check *c)
{
    int fd = inroot_open(ctx->rootfd, "/etc/ssh", O_RDONLY | O_DIRECTORY, 0);
    if (fd == -ENOENT || fd == -ENOTDIR)
        return 0;
    if (fd < 0)
        return log_error_errno(fd, "Cannot open /etc/ssh in %s: %m", ctx->target);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return log_error_errno(errno, "Cannot read /etc/ssh in %s: %m", ctx->target);
    }
    int r = 0;
    struct dirent *e;
    while (r >= 0 && (e = readdir(d))) {
        if (fnmatch("ssh_host_*_key", e->d_name, 0) != 0)
            continue;
        char path[512];
        snprintf(path, sizeof(path), "/etc/ssh/%s", e->d_name);
        r = findings_add(ctx->out, c, path, NULL);
    }
    closedir(d);
    return r;
}

int check_hostname(struct check_ctx *ctx, const struct check *c)
{
    char *buf;
    int r = check_read(ctx, "/etc/hostname", SMALL_FILE, &buf, NULL);
    if (r <= 0)
        return r;
    const char *name = trim(buf);
    if (*name && strcmp(name, "localhost") != 0 && strcmp(name, "localhost.localdomain") != 0)
        r = findings_add(ctx->out, c, "/etc/hostname", "holds \"%.64s\"", name);
    free(buf);
    return r;
}

static size_t count_nameservers(const char *text, const char **first)
{
    size_t k = 0;
    for (const char *line = text; line; line = strchr(line, '\n')) {
        line += *line == '\n';
        line += strspn(line, " \t");
        if (strncmp(line, "nameserver", 10) == 0 && (line[10] == ' ' || line[10] == '\t')) {
            if (!k++)
                *first = line + 11 + strspn(line + 11, " \t");
        }
    }
    return k;
}

int check_resolv_conf(struct check_ctx *ctx, const struct check *c)
{
    struct stat st;
    int r = check_lstat(ctx, "/etc/resolv.conf", &st);
    /* A symlink (to /run/systemd/resolve/..., /run/resolvconf/...) is written per guest. */
    if (r <= 0 || !S_ISREG(st.st_mode))
        return r;
    char *buf;
    r = check_read(ctx, "/etc/resolv.conf", SMALL_FILE, &buf, NULL);
    if (r <= 0)
        return r;
    const char *first = NULL;
    size_t k = count_nameservers(buf, &first);
    if (k)
        r = findings_add(ctx->out, c, "/etc/resolv.conf",
                         "static file, %zu nameserver line%s, first: %.*s", k, k == 1 ? "" : "s",
                         (int)strcspn(first, " \t\r\n#;"), first);
    free(buf);
    return r;
}

/* Seeds of the random number generator that boot loads, by init system. */
static const char *const random_seeds[] = {
    "/var/lib/systemd/random-seed", /* systemd-random-seed.service */
    "/var/lib/urandom/random-seed", /* sysvinit's urandom script */
};

int check_random_seed(struct check_ctx *ctx, const struct check *c)
{
    for (size_t i = 0; i < sizeof(random_seeds) / sizeof(*random_seeds); i++) {
        struct stat st;
        int r = check_lstat(ctx, random_seeds[i], &st);
        if (r == 1 && S_ISREG(st.st_mode))
            r = findings_add(ctx->out, c, random_seeds[i], NULL);
        if (r < 0)
            return r;
    }
    return 0;
}

int check_backup_left(struct check_ctx *ctx, const struct check *c)
{
    struct stat st;
    int r = check_lstat(ctx, FIX_BACKUP_DIR, &st);
    if (r <= 0)
        return r;
    return findings_add(ctx->out, c, FIX_BACKUP_DIR, NULL);
}
