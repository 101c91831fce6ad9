// SPDX-License-Identifier: GPL-2.0-or-later
#include "check-fstab.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inroot.h"
#include "log.h"

#define FSTAB "/etc/fstab"
#define FSTAB_MAX (1024 * 1024)

static int remember_bad_line(struct libmnt_table *tb, const char *filename, int line)
{
    unsigned *bad = mnt_table_get_userdata(tb);
    if (!*bad)
        *bad = (unsigned)line;
    return 1; /* skip the line, go on */
}

static int parse_stream(struct check_ctx *ctx, const char *path, FILE *f, struct libmnt_table **ret,
                        unsigned *bad_line)
{
    struct libmnt_table *tb = mnt_new_table();
    if (!tb)
        return log_error_errno(ENOMEM, "Cannot parse %s: out of memory", path);
    *bad_line = 0;
    mnt_table_set_userdata(tb, bad_line);
    mnt_table_set_parser_errcb(tb, remember_bad_line);
    int r = mnt_table_parse_stream(tb, f, path);
    mnt_table_set_userdata(tb, NULL);
    if (r < 0) {
        mnt_unref_table(tb);
        return log_error_errno(r, "Cannot parse %s in %s: %m", path, ctx->target);
    }
    *ret = tb;
    return 1;
}

/* Parse the text of an fstab with libmount: 1 and the table (unref it), or negative errno
 * (printed). *bad_line is the first line libmount could not parse (skipped), 0 when all
 * parsed. */
static int fstab_parse_text(struct check_ctx *ctx, const char *path, const char *text, size_t len,
                            struct libmnt_table **ret, unsigned *bad_line)
{
    FILE *f = len ? fmemopen((void *)text, len, "r") : fopen("/dev/null", "re");
    if (!f)
        return log_error_errno(errno, "Cannot read %s in %s: %m", path, ctx->target);
    int r = parse_stream(ctx, path, f, ret, bad_line);
    fclose(f);
    return r;
}

/* A predicate on one fstab entry: true when it is a finding; it may say more in note (n bytes,
 * "" when nothing), which the detail carries after the line. */
typedef bool (*fstab_match)(const struct check_ctx *ctx, struct libmnt_fs *fs, char *note,
                            size_t n);

/* Report every entry of tb matching pred, naming the entry in the detail. */
static int fstab_scan_table(struct check_ctx *ctx, const struct check *c, struct libmnt_table *tb,
                            fstab_match pred)
{
    struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
    struct libmnt_fs *fs;
    int r = it ? 0 : -ENOMEM;
    while (r >= 0 && mnt_table_next_fs(tb, it, &fs) == 0) {
        char note[600] = "";
        if (!pred(ctx, fs, note, sizeof note))
            continue;
        const char *src = mnt_fs_get_source(fs), *opts = mnt_fs_get_options(fs);
        r = findings_add(ctx->out, c, FSTAB, "%s %s %s %s%s", src ? src : "none",
                         mnt_fs_get_target(fs) ? mnt_fs_get_target(fs) : "none",
                         mnt_fs_get_fstype(fs) ? mnt_fs_get_fstype(fs) : "auto",
                         opts ? opts : "defaults", note);
    }
    mnt_free_iter(it);
    return r;
}

/* Report every /etc/fstab entry matching pred. The file is read whole, at most FSTAB_MAX
 * bytes, before it is parsed: a sparse 2 GB fstab once took 2 GB of memory. */
static int fstab_scan(struct check_ctx *ctx, const struct check *c, fstab_match pred)
{
    struct libmnt_table *tb = NULL;
    unsigned bad = 0;
    char *text = NULL;
    size_t len = 0;
    int r = check_read(ctx, FSTAB, FSTAB_MAX, &text, &len);
    if (r > 0)
        r = fstab_parse_text(ctx, FSTAB, text, len, &tb, &bad);
    free(text);
    if (r <= 0)
        return r;
    r = fstab_scan_table(ctx, c, tb, pred);
    mnt_unref_table(tb);
    return r;
}

static bool is_root(const struct check_ctx *ctx, struct libmnt_fs *fs)
{
    return !mnt_fs_is_swaparea(fs) && mnt_fs_streq_target(fs, "/");
}

static bool root_rw(const struct check_ctx *ctx, struct libmnt_fs *fs, char *note, size_t n)
{
    /* No "ro" means rw: systemd-remount-fs and "mount -a" apply it to the shared root. */
    return is_root(ctx, fs) && mnt_fs_match_options(fs, "ro") != 1;
}

/* systemd-growfs@.service grows the filesystem of a line with x-systemd.growfs at every boot:
 * the shared base is read-only (and the same disk for every guest). */
static bool root_growfs(const struct check_ctx *ctx, struct libmnt_fs *fs, char *note, size_t n)
{
    return is_root(ctx, fs) && mnt_fs_match_options(fs, "x-systemd.growfs") == 1;
}

static bool remounts(const struct check_ctx *ctx, struct libmnt_fs *fs, char *note, size_t n)
{
    return mnt_fs_match_options(fs, "remount") == 1;
}

static bool swap(const struct check_ctx *ctx, struct libmnt_fs *fs, char *note, size_t n)
{
    return mnt_fs_is_swaparea(fs);
}

/* Kernel names of disks: the driver (Xen blkfront, virtio, SCSI, NVMe) decides them. */
static const char *const guest_dependent_names[] = {
    "/dev/sd", "/dev/vd", "/dev/xvd", "/dev/hd", "/dev/nvme", "/dev/mmcblk",
};

static bool by_device_name(const struct check_ctx *ctx, struct libmnt_fs *fs, char *note, size_t n)
{
    const char *src = mnt_fs_get_srcpath(fs);
    if (!src)
        return false;
    for (size_t i = 0; i < sizeof(guest_dependent_names) / sizeof(*guest_dependent_names); i++)
        if (strncmp(src, guest_dependent_names[i], strlen(guest_dependent_names[i])) == 0)
            return true;
    return false;
}

/* The udev links that name a partition or a filesystem, and the fstab tag each stands for. */
static const struct {
    const char *dir, *tag;
} by_links[] = {
    {"/dev/disk/by-partuuid/", "PARTUUID"},
    {"/dev/disk/by-partlabel/", "PARTLABEL"},
    {"/dev/disk/by-uuid/", "UUID"},
    {"/dev/disk/by-label/", "LABEL"},
};

/* A udev link's name back to the value it encodes: udev writes a byte unsafe in a file name
 * (a blank, '/', '\\') as \xNN (/dev/disk/by-partlabel/EFI\x20System). 0, or -1 when the
 * value does not fit. */
static int udev_unescape(const char *in, char *out, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; in[i]; o++) {
        if (o + 1 >= n)
            return -1;
        if (in[i] == '\\' && in[i + 1] == 'x' && isxdigit((unsigned char)in[i + 2]) &&
            isxdigit((unsigned char)in[i + 3])) {
            char hex[3] = {in[i + 2], in[i + 3], 0};
            out[o] = (char)strtoul(hex, NULL, 16);
            i += 4;
        } else
            out[o] = in[i++];
    }
    out[o] = 0;
    return 0;
}

int fstab_names_partition(const struct disk *d, const char *source)
{
    if (!d || !source)
        return -1;
    const char *eq = strchr(source, '=');
    if (eq && eq > source && (size_t)(eq - source) < 16 && source[0] != '/') {
        char tag[16];
        snprintf(tag, sizeof tag, "%.*s", (int)(eq - source), source);
        /* libmount keeps quotes in the source of a line like LABEL="EFI" */
        char value[512];
        const char *v = eq + 1;
        size_t len = strlen(v);
        if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0])
            snprintf(value, sizeof value, "%.*s", (int)(len - 2), v + 1);
        else
            snprintf(value, sizeof value, "%s", v);
        return disk_find(d, tag, value);
    }
    for (size_t i = 0; i < sizeof(by_links) / sizeof(*by_links); i++)
        if (strncmp(source, by_links[i].dir, strlen(by_links[i].dir)) == 0) {
            char value[512];
            if (udev_unescape(source + strlen(by_links[i].dir), value, sizeof value) < 0)
                return -1;
            return disk_find(d, by_links[i].tag, value);
        }
    return -1;
}

/* A filesystem of the shared disk itself mounted read-write: every guest would write to it. */
static bool mounts_base_rw(const struct check_ctx *ctx, struct libmnt_fs *fs, char *note, size_t n)
{
    if (!ctx->disk || mnt_fs_is_swaparea(fs) || is_root(ctx, fs))
        return false;
    /* "+": literally noauto; a plain "noauto" pattern means "auto is absent" to libmount */
    if (mnt_fs_match_options(fs, "ro") == 1 || mnt_fs_match_options(fs, "+noauto") == 1)
        return false;
    int k = fstab_names_partition(ctx->disk, mnt_fs_get_source(fs));
    if (k < 0)
        return false;
    const struct part *p = &ctx->disk->v[k];
    /* The kernel mounts these read-only whatever the options say. */
    static const char *const always_ro[] = {"erofs", "squashfs", "iso9660"};
    for (size_t i = 0; i < sizeof(always_ro) / sizeof(*always_ro); i++)
        if (strcmp(p->fstype, always_ro[i]) == 0)
            return false;
    snprintf(note, n, " (partition %d of the image, %s)", p->number,
             p->fstype[0] ? p->fstype : "no filesystem found");
    return true;
}

int check_fstab_base_rw(struct check_ctx *ctx, const struct check *c)
{
    return fstab_scan(ctx, c, mounts_base_rw);
}

int check_fstab_root_rw(struct check_ctx *ctx, const struct check *c)
{
    return fstab_scan(ctx, c, root_rw);
}

int check_fstab_growfs(struct check_ctx *ctx, const struct check *c)
{
    return fstab_scan(ctx, c, root_growfs);
}

int check_fstab_remount(struct check_ctx *ctx, const struct check *c)
{
    return fstab_scan(ctx, c, remounts);
}

int check_fstab_swap(struct check_ctx *ctx, const struct check *c)
{
    return fstab_scan(ctx, c, swap);
}

int check_fstab_device_name(struct check_ctx *ctx, const struct check *c)
{
    return fstab_scan(ctx, c, by_device_name);
}

int check_fstab_text(struct check_ctx *ctx, const struct check *c, const char *text, size_t len)
{
    static const fstab_match preds[] = {root_rw, root_growfs,    remounts,
                                        swap,    by_device_name, mounts_base_rw};
    struct libmnt_table *tb = NULL;
    unsigned bad = 0;
    int r = fstab_parse_text(ctx, FSTAB, text, len, &tb, &bad);
    for (size_t i = 0; r > 0 && i < sizeof(preds) / sizeof(*preds); i++)
        r = fstab_scan_table(ctx, c, tb, preds[i]) < 0 ? -ENOMEM : 1;
    mnt_unref_table(tb);
    return r < 0 ? r : 0;
}
