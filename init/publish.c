// SPDX-License-Identifier: GPL-2.0-or-later
#include "publish.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "netroot.h"
#include "stage-reconcile.h"
#include "stage.h"
#include "time-util.h"

static const char *const mode_names[] = {
    [MODE_OFF] = "off",
    [MODE_VOLATILE] = "volatile",
    [MODE_INSTANCE] = "instance",
    [MODE_LAYOUT] = "layout",
};

void state_write_kv(FILE *f, const char *key, const char *value)
{
    fprintf(f, "%s=\"", key);
    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == '"' || *p == '\\' || *p == '$' || *p == '`')
            fputc('\\', f);
        if (*p == '\n')
            fputs("\\n", f);
        else
            fputc(*p, f);
    }
    fputs("\"\n", f);
}

static void write_overlays(FILE *f, struct boot_ctx *ctx)
{
    unsigned n = 0;
    char key[64];

    for (size_t i = 0; i < ctx->layout.n; i++) {
        const struct layout_entry *e = &ctx->layout.entries[i];
        const char *part_dir;
        char store[PATH_MAX], rel[PATH_MAX];

        if (e->kind != LAYOUT_OVERLAY)
            continue;
        if (reconcile_store_path(&ctx->layout, e, store, sizeof store, rel, sizeof rel, &part_dir) <
            0)
            store[0] = 0;
#define KV(field, value)                                                                           \
    snprintf(key, sizeof key, "OVERLAY_%u_" field, n);                                             \
    state_write_kv(f, key, value)
        KV("DIR", e->target);
        KV("LOWER", e->lower);
        KV("UPPER", e->upper);
        KV("WORK", e->work);
        if (store[0]) {
            KV("STORE", store);
        }
        if (reconcile_applied(ctx, e->target)) {
            KV("APPLIED", reconcile_applied(ctx, e->target));
        }
#undef KV
        n++;
    }
    fprintf(f, "OVERLAY_COUNT=\"%u\"\n", n);
    if (ctx->n_reconciled)
        state_write_kv(f, "RECONCILE_IGNORE", reconcile_ignore_list(ctx));
}

static void write_parts(FILE *f, struct boot_ctx *ctx)
{
    unsigned n = 0;
    char key[64];

    for (size_t i = 0; i < ctx->layout.n; i++) {
        const struct layout_entry *e = &ctx->layout.entries[i];
        if (e->kind != LAYOUT_PART)
            continue;
        snprintf(key, sizeof key, "INSTANCE_%u_SOURCE", n);
        state_write_kv(f, key, e->source);
        snprintf(key, sizeof key, "INSTANCE_%u_DEVICE", n);
        state_write_kv(f, key, e->device ? e->device : "");
        snprintf(key, sizeof key, "INSTANCE_%u_MOUNT", n);
        state_write_kv(f, key, e->target);
        n++;
    }
    fprintf(f, "INSTANCE_COUNT=\"%u\"\n", n);
}

static void write_timings(FILE *f, struct boot_ctx *ctx)
{
    for (int s = 0; s < _STAGE_MAX; s++) {
        char key[64];
        if (s == STAGE_SWITCH)
            continue; /* still running */
        snprintf(key, sizeof key, "STAGE_%s_MS", stage_name((enum stage)s));
        for (char *k = key; *k; k++)
            *k = *k == '-' ? '_' : (char)((*k >= 'a' && *k <= 'z') ? *k - 32 : *k);
        fprintf(f, "%s=\"%llu\"\n", key, (unsigned long long)ctx->stage_ms[s]);
    }
    fprintf(f, "INITRAMFS_MS=\"%llu\"\n", (unsigned long long)(now_ms() - ctx->t_start));
}

/* The layout file as the booted system can find it: a file of the base is under the read-only
 * base bind; one from the initramfs is gone after the switch, so it is only named. */
static void layout_for_state(const struct boot_ctx *ctx, char *out, size_t n)
{
    size_t sl = strlen(ctx->sysroot);
    const char *p = ctx->layout_path;

    if (!p[0])
        snprintf(out, n, "%s", "");
    else if (strcmp(ctx->sysroot, "/") != 0 && strncmp(p, ctx->sysroot, sl) == 0 && p[sl] == '/')
        snprintf(out, n, "%s%s", SHAREDROOT_BASE, p + sl);
    else if (ctx->in_root)
        snprintf(out, n, "%s%s", SHAREDROOT_BASE, p);
    else
        snprintf(out, n, "initramfs:%s", p);
}

int publish_state(struct boot_ctx *ctx, const char *path)
{
    char tmp[PATH_MAX], layout[PATH_MAX + 32];
    FILE *f;

    if (mkdir(SHAREDROOT_RUN, 0755) < 0 && errno != EEXIST)
        return log_warning_errno(errno, "Failed to create %s: %m", SHAREDROOT_RUN);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "we");
    if (!f)
        return log_warning_errno(errno, "Failed to write %s: %m", tmp);
    fprintf(f, "# sharedroot boot state; see sharedroot-init(8)\n");
    state_write_kv(f, "VERSION", SHAREDROOT_VERSION);
    state_write_kv(f, "MODE", mode_names[ctx->mode]);
    state_write_kv(f, "IN_ROOT", ctx->in_root ? "1" : "0");
    state_write_kv(f, "ROOT_SPEC", netroot_root_spec(ctx));
    state_write_kv(f, "ROOT_DEVICE", ctx->root_device);
    state_write_kv(f, "ROOT_FSTYPE", ctx->root_fstype);
    state_write_kv(f, "ROOT_DAX", ctx->root_dax ? "1" : "0");
    state_write_kv(f, "BASE", ctx->mode == MODE_OFF ? "" : SHAREDROOT_BASE);
    layout_for_state(ctx, layout, sizeof layout);
    state_write_kv(f, "LAYOUT", layout);
    write_parts(f, ctx);
    write_overlays(f, ctx);
    state_write_kv(f, "TMP", ctx->tmp_desc);
    state_write_kv(f, "SWAP", ctx->swap_desc);
    netroot_publish(f, ctx);
    write_timings(f, ctx);
    if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
        fclose(f);
        unlink(tmp);
        return log_warning_errno(errno, "Failed to write %s: %m", tmp);
    }
    fclose(f);
    if (rename(tmp, path) < 0)
        return log_warning_errno(errno, "Failed to rename %s to %s: %m", tmp, path);
    return 0;
}
