// SPDX-License-Identifier: GPL-2.0-or-later
#include "layout.h"

#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blockdev.h"
#include "why.h"

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

void layout_free(struct layout *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct layout_entry *e = &l->entries[i];
        free(e->source);
        free(e->target);
        free(e->fstype);
        free(e->options);
        free(e->lower);
        free(e->upper);
        free(e->work);
        free(e->device);
    }
    memset(l, 0, sizeof *l);
}

/* The escape of one byte of an overlaid directory's path, or NULL when it stands as is. */
static const char *escape_of(char c, bool legacy)
{
    if (c == '/')
        return "-";
    if (c == '-')
        return "\\x2d";
    if (c == '\\' && !legacy)
        return "\\x5c";
    return NULL;
}

static int dir_name(const char *dir, char *out, size_t n, bool legacy)
{
    size_t o = 0;

    while (*dir == '/')
        dir++;
    if (!*dir)
        return -EINVAL;
    for (const char *p = dir; *p; p++) {
        const char *rep = escape_of(*p, legacy);
        size_t len = rep ? strlen(rep) : 1;
        if (*p == '/' && (p[1] == '/' || p[1] == 0))
            continue; /* "//" and a trailing slash add nothing */
        if (o + len >= n)
            return -ENAMETOOLONG;
        memcpy(out + o, rep ? rep : p, len);
        o += len;
    }
    out[o] = 0;
    return 0;
}

int layout_dir_name(const char *dir, char *out, size_t n)
{
    return dir_name(dir, out, n, false);
}

int layout_dir_name_legacy(const char *dir, char *out, size_t n)
{
    bool unknown_escape = false;

    if (!strchr(dir, '\\'))
        return -ENOENT; /* the same name in both schemes */
    /* The old scheme wrote '-' and a literal "\x2d" alike: such a name may belong to another
     * directory. And a name whose backslashes all start "\x5c" or "\x2d" reads as a name of
     * the new scheme, of another directory. Neither is taken. */
    if (strchr(dir, '-') || strstr(dir, "\\x2d"))
        return -ENOENT;
    for (const char *b = strchr(dir, '\\'); b; b = strchr(b + 1, '\\'))
        if (strncmp(b + 1, "x5c", 3) != 0)
            unknown_escape = true;
    if (!unknown_escape)
        return -ENOENT;
    return dir_name(dir, out, n, true);
}

/* An absolute, normalised path: no empty, "." or ".." components, no bytes that the mount
 * option syntax gives a meaning (',' and ':' separate options and lower dirs). */
static bool path_is_clean(const char *p)
{
    size_t len = strlen(p);

    if (p[0] != '/' || len >= 4096)
        return false;
    if (len == 1)
        return true;
    for (const char *c = p; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == ',' || *c == ':')
            return false;
    for (const char *c = p + 1;;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        if (!slash)
            return true;
        c = slash + 1;
    }
}

/* path is dir or lies below it; every absolute path lies below "/" (found by the fuzz
 * target's oracle: lowerdir=/ was not seen to hold the upper dirs). */
static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return path[0] == '/';
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

static struct layout_entry *add(struct layout *l, enum layout_kind kind)
{
    if (l->n >= LAYOUT_MAX_ENTRIES)
        return NULL;
    struct layout_entry *e = &l->entries[l->n++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    return e;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Take KEY=value out of the overlay options: it is ours to place. */
static int take_option(char **optstr, const char *key, char **value)
{
    char *v = NULL;
    size_t vsz = 0;
    int r = mnt_optstr_get_option(*optstr, key, &v, &vsz);

    if (r != 0)
        return 0; /* absent */
    *value = strndup(v ? v : "", vsz);
    if (!*value)
        return -ENOMEM;
    return mnt_optstr_remove_option(optstr, key) < 0 ? -ENOMEM : 0;
}

/* Options that would make the upper dir unreadable offline or the base unchangeable. */
static const char *const forbidden_overlay_options[] = {
    "redirect_dir", "index", "metacopy", "xino", "nfs_export", "volatile", "userxattr", NULL,
};

static int overlay_entry(struct layout_entry *e, char *err, size_t errlen)
{
    char *opts = e->options;
    int r;

    e->options = NULL;
    r = take_option(&opts, "lowerdir", &e->lower);
    if (r == 0)
        r = take_option(&opts, "upperdir", &e->upper);
    if (r == 0)
        r = take_option(&opts, "workdir", &e->work);
    e->options = opts;
    if (r < 0)
        return r;
    for (const char *const *f = forbidden_overlay_options; *f; f++)
        if (opts && mnt_optstr_get_option(opts, *f, NULL, NULL) == 0)
            return fail(err, errlen,
                        "overlay %s: option %s is set by sharedroot (redirect_dir, index, "
                        "metacopy and xino stay off so the base can be replaced and the upper "
                        "read offline); remove it",
                        e->target, *f);
    if (!e->upper || !e->work)
        return fail(err, errlen, "overlay %s needs upperdir= and workdir= in its options",
                    e->target);
    if (!path_is_clean(e->upper) || !path_is_clean(e->work) ||
        (e->lower && !path_is_clean(e->lower)))
        return fail(err, errlen,
                    "overlay %s: lowerdir, upperdir and workdir must be clean "
                    "absolute paths",
                    e->target);
    if (!e->lower && asprintf(&e->lower, "%s%s", SHAREDROOT_BASE, e->target) < 0) {
        e->lower = NULL;
        return -ENOMEM;
    }
    return 0;
}

static enum layout_kind kind_of(const char *target, const char *fstype)
{
    if (fstype && strcmp(fstype, "swap") == 0)
        return LAYOUT_SWAP;
    if (fstype && strcmp(fstype, "overlay") == 0)
        return LAYOUT_OVERLAY;
    if (strcmp(target, "/") == 0)
        return LAYOUT_ROOT;
    if (strcmp(target, "/tmp") == 0)
        return LAYOUT_TMP;
    return LAYOUT_PART;
}

static int check_device(const struct layout_entry *e, char *err, size_t errlen)
{
    struct blockdev_spec spec;
    char why[WHY_MAX] = "";

    if (e->kind == LAYOUT_OVERLAY || e->kind == LAYOUT_ROOT)
        return 0;
    if (blockdev_spec_parse(e->source, &spec, why, sizeof why) < 0)
        return fail(err, errlen, "%s: device '%s' cannot be used: %s", e->target, e->source,
                    why[0] ? why : "malformed");
    return 0;
}

static int add_fs(struct layout *l, struct libmnt_fs *fs, int index, char *err, size_t errlen)
{
    const char *src = mnt_fs_get_source(fs), *tgt = mnt_fs_get_target(fs);
    const char *type = mnt_fs_get_fstype(fs), *opts = mnt_fs_get_options(fs);
    struct layout_entry *e;

    if (!src || !tgt)
        return fail(err, errlen, "entry %d: needs a device and a mount point", index);
    e = add(l, kind_of(tgt, type));
    if (!e)
        return fail(err, errlen, "more than %d entries", LAYOUT_MAX_ENTRIES);
    e->line = index;
    e->source = strdup(src);
    e->target = strdup(tgt);
    e->fstype = dup_or_null(type);
    e->options = dup_or_null(opts);
    e->passno = mnt_fs_get_passno(fs);
    if (!e->source || !e->target || (type && !e->fstype) || (opts && !e->options))
        return -ENOMEM;
    if (e->kind != LAYOUT_SWAP && !path_is_clean(e->target))
        return fail(err, errlen, "entry %d: mount point '%s' must be a clean absolute path", index,
                    e->target);
    if (e->kind == LAYOUT_PART &&
        (!under(e->target, SHAREDROOT_RUN) || strcmp(e->target, SHAREDROOT_RUN) == 0 ||
         under(e->target, SHAREDROOT_BASE)))
        return fail(err, errlen,
                    "entry %d: mount point %s: instance partitions go below %s/ (not %s); "
                    "other lines are / (the base), /tmp, swap and overlay",
                    index, e->target, SHAREDROOT_RUN, SHAREDROOT_BASE);
    if (e->kind == LAYOUT_OVERLAY) {
        if (strcmp(e->target, "/") == 0 || under(e->target, "/run") || under(e->target, "/proc") ||
            under(e->target, "/sys") || under(e->target, "/dev"))
            return fail(err, errlen, "entry %d: %s cannot be overlaid", index, e->target);
        return overlay_entry(e, err, errlen);
    }
    return check_device(e, err, errlen);
}

struct parse_error {
    char *err;
    size_t errlen;
    const char *path;
    int line;
};

static int on_parse_error(struct libmnt_table *tb, const char *filename, int line)
{
    struct parse_error *pe = mnt_table_get_userdata(tb);
    if (pe && !pe->line)
        pe->line = line;
    return 1; /* stop: a layout with a broken line must not half-apply */
}

int layout_parse_text(const char *text, size_t len, const char *name, struct layout *l, char *err,
                      size_t errlen)
{
    struct parse_error pe = {err, errlen, name, 0};
    struct libmnt_table *tb = mnt_new_table();
    struct libmnt_iter *itr = mnt_new_iter(MNT_ITER_FORWARD);
    struct libmnt_fs *fs;
    FILE *f = len ? fmemopen((void *)text, len, "r") : NULL;
    int r = 0, index = 0;

    memset(l, 0, sizeof *l);
    if (!tb || !itr || (len && !f)) {
        r = -ENOMEM;
        snprintf(err, errlen, "layout %s: out of memory", name);
        goto out;
    }
    mnt_table_set_userdata(tb, &pe);
    mnt_table_set_parser_errcb(tb, on_parse_error);
    r = f ? mnt_table_parse_stream(tb, f, name) : 0;
    if (r < 0 || pe.line) {
        if (pe.line)
            r = fail(err, errlen,
                     "layout %s: line %d is not valid fstab format (DEVICE "
                     "MOUNTPOINT TYPE OPTIONS [DUMP [PASS]]); fix that line",
                     name, pe.line);
        else
            snprintf(err, errlen, "layout %s: cannot read it: %s", name, strerror(-r));
        goto out;
    }
    while ((r = mnt_table_next_fs(tb, itr, &fs)) == 0) {
        char msg[512];
        r = add_fs(l, fs, ++index, msg, sizeof msg);
        if (r < 0) {
            snprintf(err, errlen, "layout %s: %s", name, r == -ENOMEM ? "out of memory" : msg);
            goto out;
        }
    }
    r = layout_validate(l, err, errlen);
    if (r < 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", err);
        snprintf(err, errlen, "layout %s: %s", name, msg);
    }
out:
    if (f)
        fclose(f);
    mnt_free_iter(itr);
    mnt_unref_table(tb);
    if (r < 0)
        layout_free(l);
    return r < 0 ? r : 0;
}

/* The whole file, at most LAYOUT_MAX_BYTES: a layout is a few lines, and a sparse or
 * endless file must not take the memory of the boot (or of check-base). */
static int read_bounded(const char *path, char **ret, size_t *ret_len)
{
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    size_t len = 0;
    char *buf;
    int r = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        r = S_ISREG(st.st_mode) ? -errno : -EINVAL;
        close(fd);
        return r;
    }
    if (st.st_size > LAYOUT_MAX_BYTES) {
        close(fd);
        return -EFBIG;
    }
    buf = malloc(LAYOUT_MAX_BYTES + 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    for (;;) {
        ssize_t k = read(fd, buf + len, LAYOUT_MAX_BYTES + 1 - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            r = -errno;
        if (k <= 0)
            break;
        len += (size_t)k;
        if (len > LAYOUT_MAX_BYTES) {
            r = -EFBIG; /* grew while we read */
            break;
        }
    }
    close(fd);
    if (r < 0) {
        free(buf);
        return r;
    }
    buf[len] = 0;
    *ret = buf;
    *ret_len = len;
    return 0;
}

int layout_parse_file(const char *path, struct layout *l, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int r = read_bounded(path, &text, &len);

    memset(l, 0, sizeof *l);
    if (r == -EFBIG)
        return fail(err, errlen,
                    "layout %s: larger than %d bytes, which no layout file is; check the file",
                    path, LAYOUT_MAX_BYTES);
    if (r == -EINVAL)
        return fail(err, errlen, "layout %s: not a regular file", path);
    if (r < 0) {
        snprintf(err, errlen, "layout %s: cannot read it: %s", path, strerror(-r));
        return r;
    }
    r = layout_parse_text(text, len, path, l, err, errlen);
    free(text);
    return r;
}

static int add_instance_overlay(struct layout *l, const char *dir, char *err, size_t errlen)
{
    char name[256];
    struct layout_entry *e;

    if (!path_is_clean(dir) || strcmp(dir, "/") == 0)
        return fail(err, errlen, "sharedroot.overlay: '%s' is not a clean absolute directory", dir);
    if (under(dir, "/run") || under(dir, "/proc") || under(dir, "/sys") || under(dir, "/dev"))
        return fail(err, errlen, "sharedroot.overlay: %s cannot be overlaid", dir);
    if (layout_dir_name(dir, name, sizeof name) < 0)
        return fail(err, errlen, "sharedroot.overlay: '%s' is too long", dir);
    e = add(l, LAYOUT_OVERLAY);
    if (!e)
        return fail(err, errlen, "sharedroot.overlay: more than %d directories",
                    LAYOUT_MAX_ENTRIES - 2);
    e->source = strdup("overlay");
    e->target = strdup(dir);
    e->fstype = strdup("overlay");
    if (asprintf(&e->lower, "%s%s", SHAREDROOT_BASE, dir) < 0)
        e->lower = NULL;
    if (asprintf(&e->upper, "%s/overlay/%s/upper", SHAREDROOT_INSTANCE, name) < 0)
        e->upper = NULL;
    if (asprintf(&e->work, "%s/overlay/%s/work", SHAREDROOT_INSTANCE, name) < 0)
        e->work = NULL;
    if (!e->source || !e->target || !e->fstype || !e->lower || !e->upper || !e->work)
        return -ENOMEM;
    return 0;
}

int layout_from_instance(const char *source, const char *overlays, struct layout *l, char *err,
                         size_t errlen)
{
    struct layout_entry *e;
    char *list, *save = NULL;
    int r = 0;

    memset(l, 0, sizeof *l);
    e = add(l, LAYOUT_PART);
    e->source = strdup(source ? source : "tmpfs");
    e->target = strdup(SHAREDROOT_INSTANCE);
    e->fstype = source ? NULL : strdup("tmpfs");
    e->passno = source ? 2 : 0;
    if (!e->source || !e->target || (!source && !e->fstype))
        r = -ENOMEM;
    if (r == 0 && source)
        r = check_device(e, err, errlen);
    list = strdup(overlays ? overlays : "/etc,/var");
    if (!list)
        r = -ENOMEM;
    for (char *d = list ? strtok_r(list, ",", &save) : NULL; r == 0 && d;
         d = strtok_r(NULL, ",", &save))
        r = add_instance_overlay(l, d, err, errlen);
    free(list);
    if (r == 0)
        r = layout_validate(l, err, errlen);
    if (r < 0) {
        if (r == -ENOMEM)
            snprintf(err, errlen, "out of memory");
        layout_free(l);
    }
    return r;
}

/* Rename sub/old to sub/new below the partition fd, when old is a directory and new does not
 * exist. 1 when renamed, 0 when not. */
static int adopt_one(int pfd, const char *sub, const char *old, const char *new)
{
    int sfd = openat(pfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r = 0;
    struct stat st;

    if (sfd < 0)
        return errno == ENOENT ? 0 : -errno;
    if (fstatat(sfd, old, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
        fstatat(sfd, new, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
        r = renameat2(sfd, old, sfd, new, RENAME_NOREPLACE) < 0 ? -errno : 1;
    close(sfd);
    return r;
}

int layout_adopt_legacy_dirs(const struct layout *l, const struct layout_entry *e, char *what,
                             size_t n)
{
    const struct layout_entry *part =
        e->kind == LAYOUT_OVERLAY ? layout_part_for(l, e->upper) : NULL;
    char old[256], new[256], derived[4096];
    int pfd, r = 0, done = 0;

    what[0] = 0;
    if (!part || layout_dir_name_legacy(e->target, old, sizeof old) < 0 ||
        layout_dir_name(e->target, new, sizeof new) < 0)
        return 0;
    pfd = open(part->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0)
        return -errno;
    snprintf(derived, sizeof derived, "%s/overlay/%s/upper", part->target, new);
    const char *const subs[] = {strcmp(e->upper, derived) == 0 ? "overlay" : NULL, "reconcile"};
    for (size_t i = 0; i < 2 && r >= 0; i++) {
        if (!subs[i])
            continue;
        r = adopt_one(pfd, subs[i], old, new);
        if (r != 0) {
            size_t k = strlen(what);
            snprintf(what + k, n - k, "%s%s/%s/%s to %s/%s/%s%s%s", k ? ", " : "", part->target,
                     subs[i], old, part->target, subs[i], new, r < 0 ? ": " : "",
                     r < 0 ? strerror(-r) : "");
        }
        done += r > 0;
    }
    close(pfd);
    return r < 0 ? r : done;
}

const struct layout_entry *layout_part_for(const struct layout *l, const char *path)
{
    const struct layout_entry *best = NULL;

    for (size_t i = 0; i < l->n; i++) {
        const struct layout_entry *e = &l->entries[i];
        if (e->kind == LAYOUT_PART && under(path, e->target) &&
            (!best || strlen(e->target) > strlen(best->target)))
            best = e;
    }
    return best;
}

/* Names on an instance partition that are not an overlay's to use: the reconcile stores,
 * the /tmp directory emptied at every boot, the swap file. */
static const char *const reserved_on_part[] = {"reconcile", "tmp", "swapfile"};

/* Two directories that are the same, or one inside the other. */
static bool overlapping(const char *a, const char *b)
{
    return under(a, b) || under(b, a);
}

/* upper and work of e against the reserved names of their partition. */
static int check_reserved(const struct layout_entry *e, const struct layout_entry *part, char *err,
                          size_t errlen)
{
    const char *const dirs[] = {e->upper, e->work};
    char path[4096 + 16];

    for (size_t d = 0; d < 2; d++)
        for (size_t i = 0; i < sizeof reserved_on_part / sizeof reserved_on_part[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", part->target, reserved_on_part[i]);
            if (overlapping(dirs[d], path))
                return fail(err, errlen,
                            "overlay %s: %s %s overlaps %s, which sharedroot keeps for itself "
                            "on the instance partition; choose a directory beside it",
                            e->target, d ? "workdir" : "upperdir", dirs[d], path);
        }
    return 0;
}

/* No two overlays may share or nest their upper or work dirs (overlayfs with index=off does
 * not stop it: a file written in one overlay appeared in the other), and no upper or work
 * dir may overlap any overlay's lower dir. */
static int check_overlaps(const struct layout *l, size_t i, char *err, size_t errlen)
{
    const struct layout_entry *e = &l->entries[i];
    const char *const mine[] = {e->upper, e->work};
    static const char *const what[] = {"upperdir", "workdir"};

    for (size_t j = 0; j < l->n; j++) {
        const struct layout_entry *o = &l->entries[j];
        if (o->kind != LAYOUT_OVERLAY)
            continue;
        for (size_t d = 0; d < 2; d++) {
            if (overlapping(mine[d], o->lower))
                return fail(err, errlen,
                            "overlay %s: %s %s overlaps the lower dir %s of overlay %s; the "
                            "upper and work dirs must lie outside every lower dir",
                            e->target, what[d], mine[d], o->lower, o->target);
            if (j >= i)
                continue; /* each pair once; upper against own work is checked apart */
            const char *const theirs[] = {o->upper, o->work};
            for (size_t k = 0; k < 2; k++)
                if (overlapping(mine[d], theirs[k]))
                    return fail(err, errlen,
                                "overlays %s and %s: %s %s and %s %s %s; each overlay needs "
                                "upper and work dirs of its own, outside the others'",
                                o->target, e->target, what[k], theirs[k], what[d], mine[d],
                                strcmp(mine[d], theirs[k]) == 0 ? "are the same directory"
                                                                : "are nested");
        }
    }
    return 0;
}

int layout_validate(const struct layout *l, char *err, size_t errlen)
{
    int tmps = 0, r;

    for (size_t i = 0; i < l->n; i++) {
        const struct layout_entry *e = &l->entries[i];
        if (e->kind == LAYOUT_TMP && ++tmps > 1)
            return fail(err, errlen, "more than one /tmp line");
        for (size_t j = 0; j < i; j++)
            if (e->kind != LAYOUT_SWAP && l->entries[j].kind != LAYOUT_SWAP &&
                strcmp(e->target, l->entries[j].target) == 0)
                return fail(err, errlen, "%s appears twice", e->target);
        if (e->kind != LAYOUT_OVERLAY)
            continue;
        const struct layout_entry *pu = layout_part_for(l, e->upper);
        const struct layout_entry *pw = layout_part_for(l, e->work);
        if (!pu)
            return fail(err, errlen,
                        "overlay %s: upperdir %s is not on an instance partition "
                        "(a line mounting a device below %s)",
                        e->target, e->upper, SHAREDROOT_RUN);
        if (pu != pw)
            return fail(err, errlen,
                        "overlay %s: upperdir %s and workdir %s must be on the same "
                        "filesystem, as overlayfs requires",
                        e->target, e->upper, e->work);
        if (under(e->upper, e->work) || under(e->work, e->upper))
            return fail(err, errlen,
                        "overlay %s: upperdir and workdir must not contain each "
                        "other",
                        e->target);
        if ((r = check_reserved(e, pu, err, errlen)) < 0 ||
            (r = check_overlaps(l, i, err, errlen)) < 0)
            return r;
    }
    return 0;
}
