// SPDX-License-Identifier: GPL-2.0-or-later
#include "check-services.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inroot.h"
#include "log.h"

#define UNIT_MAX_SIZE (1024 * 1024)

/* Grows with experience: each row is a program found in the base, a path it needs at boot,
 * and why. */
static const struct {
    const char *program; /* under /lib or /usr/lib */
    const char *path;
    const char *why;
} service_paths[] = {
    {"/lib/systemd/systemd-logind", "/var/lib/systemd/linger",
     "systemd-logind opens its linger directory at start and fails without it"},
};

/* The program exists in the root, under / or /usr (merged /usr or not). */
static int has_program(struct check_ctx *ctx, const char *program)
{
    struct stat st;
    char usr[PATH_MAX];
    int r = check_stat(ctx, program, &st);
    if (r != 0)
        return r;
    snprintf(usr, sizeof(usr), "/usr%s", program);
    return check_stat(ctx, usr, &st);
}

int check_service_paths(struct check_ctx *ctx, const struct check *c)
{
    for (size_t i = 0; i < sizeof(service_paths) / sizeof(*service_paths); i++) {
        struct stat st;
        int r = has_program(ctx, service_paths[i].program);
        if (r == 1)
            r = check_stat(ctx, service_paths[i].path, &st);
        else if (r == 0)
            r = 1; /* no program: nothing needed */
        if (r == 0)
            r = findings_add(ctx->out, c, service_paths[i].path, "%s", service_paths[i].why);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Directories systemd loads units from, most important first. */
static const char *const unit_dirs[] = {
    "/etc/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
};

/* One StateDirectory= value: its /var/lib parent must exist. */
static int check_state_dir(struct check_ctx *ctx, const struct check *c, const char *unit,
                           const char *value, size_t len)
{
    char dir[PATH_MAX];
    /* "name:alias" (systemd 250) creates name; specifiers (%i) are not resolvable here. */
    size_t n = strcspn(value, ":");
    n = n < len ? n : len;
    if (memchr(value, '%', n) || n == 0)
        return 0;
    int k = snprintf(dir, sizeof(dir), "/var/lib/%.*s", (int)n, value);
    if (k < 0 || (size_t)k >= sizeof(dir))
        return 0;
    *strrchr(dir, '/') = '\0';
    struct stat st;
    int r = check_stat(ctx, dir, &st);
    if (r != 0)
        return r < 0 ? r : 0;
    return findings_add(ctx->out, c, dir, "%s: StateDirectory=%.*s", unit, (int)n, value);
}

/* Every StateDirectory= line of a unit file's text. */
int check_unit_text(struct check_ctx *ctx, const struct check *c, const char *unit, char *text)
{
    static const char key[] = "StateDirectory=";
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        line += strspn(line, " \t");
        if (strncmp(line, key, sizeof(key) - 1) != 0)
            continue;
        for (char *v = line + sizeof(key) - 1; *v;) {
            v += strspn(v, " \t\r");
            size_t len = strcspn(v, " \t\r");
            int r = len ? check_state_dir(ctx, c, unit, v, len) : 0;
            if (r < 0)
                return r;
            v += len;
        }
    }
    return 0;
}

static bool seen(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

struct unit_names {
    char **v;
    size_t n, cap;
};

static int remember(struct unit_names *u, const char *name)
{
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 64;
        char **v = reallocarray(u->v, cap, sizeof(*v));
        if (!v)
            return -ENOMEM;
        u->v = v;
        u->cap = cap;
    }
    u->v[u->n] = strdup(name);
    if (!u->v[u->n])
        return -ENOMEM;
    u->n++;
    return 0;
}

/* One unit file: skipped when a unit of that name was seen in an earlier directory. */
static int scan_unit_file(struct check_ctx *ctx, const struct check *c, struct unit_names *u,
                          const char *dir, const char *name)
{
    if (seen(u->v, u->n, name) || fnmatch("*.service", name, 0) != 0)
        return 0;
    int r = remember(u, name);
    char path[PATH_MAX], *text = NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct stat st;
    /* A mask (-> /dev/null) is no regular file: it hides the units of later directories. */
    if (r >= 0 && inroot_stat(ctx->rootfd, path, &st) == 0 && S_ISREG(st.st_mode))
        r = check_read(ctx, path, UNIT_MAX_SIZE, &text, NULL);
    if (r > 0)
        r = check_unit_text(ctx, c, name, text);
    free(text);
    return r < 0 ? r : 0;
}

static int scan_unit_dir(struct check_ctx *ctx, const struct check *c, struct unit_names *u,
                         const char *dir)
{
    int fd = inroot_open(ctx->rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd == -ENOENT || fd == -ENOTDIR)
        return 0;
    if (fd < 0)
        return log_error_errno(fd, "Cannot open %s in %s: %m", dir, ctx->target);
    /* Sorted, so the report is the same on every run. */
    struct dirent **names;
    int n = scandirat(fd, ".", &names, NULL, alphasort);
    int r = n < 0 ? log_error_errno(errno, "Cannot list %s in %s: %m", dir, ctx->target) : 0;
    for (int i = 0; i < n; i++) {
        if (r >= 0)
            r = scan_unit_file(ctx, c, u, dir, names[i]->d_name);
        free(names[i]);
    }
    free(n >= 0 ? names : NULL);
    close(fd);
    return r;
}

int check_unit_state_dirs(struct check_ctx *ctx, const struct check *c)
{
    struct unit_names u = {0};
    int r = 0;
    for (size_t i = 0; r >= 0 && i < sizeof(unit_dirs) / sizeof(*unit_dirs); i++)
        r = scan_unit_dir(ctx, c, &u, unit_dirs[i]);
    for (size_t i = 0; i < u.n; i++)
        free(u.v[i]);
    free(u.v);
    return r;
}
