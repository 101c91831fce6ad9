// SPDX-License-Identifier: GPL-2.0-or-later
#include "check-sharedroot.h"

#include <sys/stat.h>

#include "check-fstab.h"

/* sharedroot-init overlays these unless a layout says otherwise (DESIGN.md, stage overlay). */
static const char *const default_overlays[] = {"/etc", "/var"};

int check_layout(struct check_ctx *ctx, const struct check *c)
{
    struct libmnt_table *tb;
    unsigned bad;
    int r = fstab_parse(ctx, LAYOUT_FILE, &tb, &bad);
    if (r <= 0)
        return r;
    mnt_unref_table(tb);
    return bad ? findings_add(ctx->out, c, LAYOUT_FILE, "line %u does not parse", bad) : 0;
}

int check_overlay_dirs(struct check_ctx *ctx, const struct check *c)
{
    for (size_t i = 0; i < sizeof(default_overlays) / sizeof(*default_overlays); i++) {
        struct stat st;
        int r = check_stat(ctx, default_overlays[i], &st);
        if (r == 0)
            r = findings_add(ctx->out, c, default_overlays[i], "missing");
        else if (r == 1 && !S_ISDIR(st.st_mode))
            r = findings_add(ctx->out, c, default_overlays[i], "not a directory");
        if (r < 0)
            return r;
    }
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
