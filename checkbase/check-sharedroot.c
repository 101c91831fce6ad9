// SPDX-License-Identifier: GPL-2.0-or-later
#include "check-sharedroot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "inroot.h"
#include "layout.h"
#include "log.h"

/* sharedroot-init overlays these when no layout file names others (DESIGN.md, overlay). */
static const char *const default_overlays[] = {"/etc", "/var"};

/* Parse the base's layout file with sharedroot-init's own parser. The file is opened inside
 * the root and handed over as /proc/self/fd/N, so its symlinks never reach the host.
 * 1: parsed into l; 0: no layout file; -EBADMSG: it does not parse or validate (why in err,
 * naming LAYOUT_DEFAULT_PATH); other negative errno: printed. */
static int load_layout(struct check_ctx *ctx, struct layout *l, char *err, size_t n)
{
    _cleanup_close_ int fd =
        inroot_open(ctx->rootfd, LAYOUT_DEFAULT_PATH, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
    if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
        return 0;
    if (fd < 0)
        return log_error_errno(fd, "Cannot open %s in %s: %m", LAYOUT_DEFAULT_PATH, ctx->target);
    char proc[64], msg[1024];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    int r = access(proc, R_OK) < 0
                ? log_error_errno(errno, "Cannot read %s in %s through %s (is /proc mounted?): %m",
                                  LAYOUT_DEFAULT_PATH, ctx->target, proc)
                : 0;
    if (r >= 0)
        r = layout_parse_file(proc, l, msg, sizeof(msg));
    if (r >= 0 && (r = layout_validate(l, msg, sizeof(msg))) < 0)
        layout_free(l);
    if (r == -ENOMEM)
        return log_error_errno(r, "Cannot parse %s: out of memory", LAYOUT_DEFAULT_PATH);
    if (r >= 0)
        return 1;
    /* The parser names the file it was given; name the one the admin edits. */
    const char *at = strstr(msg, proc);
    if (at)
        snprintf(err, n, "%.*s%s%s", (int)(at - msg), msg, LAYOUT_DEFAULT_PATH, at + strlen(proc));
    else
        snprintf(err, n, "%s", msg);
    return -EBADMSG;
}

int check_layout(struct check_ctx *ctx, const struct check *c)
{
    _cleanup_(layout_free) struct layout l = {0};
    char err[1024];
    int r = load_layout(ctx, &l, err, sizeof(err));
    if (r == -EBADMSG)
        return findings_add(ctx->out, c, LAYOUT_DEFAULT_PATH, "%s", err);
    return r < 0 ? r : 0;
}

static int check_dir(struct check_ctx *ctx, const struct check *c, const char *dir)
{
    struct stat st;
    int r = check_stat(ctx, dir, &st);
    if (r == 0)
        return findings_add(ctx->out, c, dir, "missing");
    if (r == 1 && !S_ISDIR(st.st_mode))
        return findings_add(ctx->out, c, dir, "not a directory");
    return r < 0 ? r : 0;
}

int check_overlay_dirs(struct check_ctx *ctx, const struct check *c)
{
    _cleanup_(layout_free) struct layout l = {0};
    char err[1024];
    int r = load_layout(ctx, &l, err, sizeof(err));
    if (r == 1) { /* the layout's overlays; one that does not parse is check_layout's */
        for (size_t i = 0; r >= 0 && i < l.n; i++)
            if (l.entries[i].kind == LAYOUT_OVERLAY)
                r = check_dir(ctx, c, l.entries[i].target);
        return r < 0 ? r : 0;
    }
    if (r < 0 && r != -EBADMSG)
        return r;
    for (size_t i = 0; i < sizeof(default_overlays) / sizeof(*default_overlays); i++)
        if ((r = check_dir(ctx, c, default_overlays[i])) < 0)
            return r;
    return 0;
}

int check_init(struct check_ctx *ctx, const struct check *c)
{
    struct stat st;
    /* Symlinks resolve inside the root, as they will after the switch to it. */
    int r = check_stat(ctx, ctx->init_path, &st);
    if (r < 0)
        return r;
    if (r == 0)
        return findings_add(ctx->out, c, ctx->init_path, "missing (or a dangling symlink)");
    if (!S_ISREG(st.st_mode))
        return findings_add(ctx->out, c, ctx->init_path, "not a regular file");
    if (!(st.st_mode & 0111))
        return findings_add(ctx->out, c, ctx->init_path, "not executable (mode %04o)",
                            (unsigned)(st.st_mode & 07777));
    return 0;
}
