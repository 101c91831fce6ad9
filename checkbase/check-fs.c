// SPDX-License-Identifier: GPL-2.0-or-later
#include "check-fs.h"

#include "extsb.h"

int check_fs_needs_recovery(struct check_ctx *ctx, const struct check *c)
{
    if (ctx->xfs_log_dirty == 1)
        return findings_add(ctx->out, c, ctx->image, "the xfs log is dirty (xfs_logprint)");
    if (!ctx->extsb || !(ctx->extsb->feature_incompat & EXT_INCOMPAT_RECOVER))
        return 0;
    return findings_add(ctx->out, c, ctx->image, "ext superblock has needs_recovery set");
}

int check_fs_orphans(struct check_ctx *ctx, const struct check *c)
{
    const struct ext_sb *sb = ctx->extsb;
    if (!sb)
        return 0;
    if (sb->last_orphan)
        return findings_add(ctx->out, c, ctx->image, "orphan list starts at inode %u",
                            (unsigned)sb->last_orphan);
    if (sb->feature_ro_compat & EXT_RO_COMPAT_ORPHAN_PRESENT)
        return findings_add(ctx->out, c, ctx->image, "the orphan file has entries");
    return 0;
}

int check_fs_errors(struct check_ctx *ctx, const struct check *c)
{
    if (!ctx->extsb || !(ctx->extsb->state & EXT_STATE_ERROR))
        return 0;
    return findings_add(ctx->out, c, ctx->image, "the superblock records filesystem errors");
}

int check_fs_incompat(struct check_ctx *ctx, const struct check *c)
{
    uint32_t bits = ctx->extsb ? ext_sb_unknown_incompat(ctx->extsb) : 0;
    if (!bits)
        return 0;
    char names[256];
    ext_sb_feature_names(bits, 0, names, sizeof(names));
    return findings_add(ctx->out, c, ctx->image, "incompatible features: %s", names);
}

int check_fs_ro_compat(struct check_ctx *ctx, const struct check *c)
{
    uint32_t bits = ctx->extsb ? ext_sb_unknown_ro_compat(ctx->extsb) : 0;
    if (!bits)
        return 0;
    char names[256];
    ext_sb_feature_names(bits, 1, names, sizeof(names));
    return findings_add(ctx->out, c, ctx->image, "read-only-compatible features: %s", names);
}
