// SPDX-License-Identifier: GPL-2.0-or-later
#include "spec.h"
#include "log.h"
#include "why.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fsio.h"

static bool copy_str(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);

    if (len >= n)
        return false;
    memmove(dst, src, len + 1);
    return true;
}

static int add_overlay(struct inst_spec *s, const char *dir, const char *upper, const char *work)
{
    struct inst_overlay *o;

    if (s->n >= LAYOUT_MAX_ENTRIES)
        return -E2BIG;
    o = &s->ov[s->n];
    if (layout_dir_name(dir, o->name, sizeof o->name) < 0 ||
        !copy_str(o->dir, sizeof o->dir, dir) || !copy_str(o->upper, sizeof o->upper, upper) ||
        !copy_str(o->work, sizeof o->work, work) ||
        !copy_str(o->store, sizeof o->store, "reconcile/") ||
        strlen(o->store) + strlen(o->name) >= sizeof o->store)
        return -ENAMETOOLONG;
    strcat(o->store, o->name);
    s->n++;
    return 0;
}

/* path below the partition mounted at part, without the leading slash; NULL if not below. */
static const char *below(const char *part, const char *path)
{
    size_t n = strlen(part);

    if (strncmp(path, part, n) != 0 || path[n] != '/')
        return NULL;
    return path + n + 1;
}

static int spec_from(const struct layout *l, const struct layout_entry *part, struct inst_spec *s,
                     char *err, size_t n)
{
    const struct layout_entry *first = NULL;

    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < l->n; i++) {
        const struct layout_entry *e = &l->entries[i];
        const char *up, *wk;

        if (e->kind == LAYOUT_PART && !first)
            first = e;
        if (e->kind != LAYOUT_OVERLAY || layout_part_for(l, e->upper) != part)
            continue;
        up = below(part->target, e->upper);
        wk = below(part->target, e->work);
        if (!up || !wk)
            return why_fail(err, n, -EINVAL,
                            "overlay %s: upper or work dir is the partition %s itself", e->target,
                            part->target);
        if (add_overlay(s, e->target, up, wk) < 0)
            return why_fail(err, n, -ENAMETOOLONG, "overlay %s: path too long", e->target);
    }
    s->tmp = part == first;
    return 0;
}

int spec_from_overlays(const char *overlays, struct inst_spec *s, char *err, size_t n)
{
    struct layout l;
    int r = layout_from_instance("LABEL=instance", overlays, &l, err, n);

    if (r < 0)
        return r;
    for (size_t i = 0; i < l.n && r == 0; i++)
        if (l.entries[i].kind == LAYOUT_PART)
            r = spec_from(&l, &l.entries[i], s, err, n);
    layout_free(&l);
    return r;
}

static const struct layout_entry *part_holding_etc(const struct layout *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->entries[i].kind == LAYOUT_OVERLAY && strcmp(l->entries[i].target, "/etc") == 0)
            return layout_part_for(l, l->entries[i].upper);
    for (size_t i = 0; i < l->n; i++)
        if (l->entries[i].kind == LAYOUT_PART)
            return &l->entries[i];
    return NULL;
}

int spec_from_layout(const char *path, const char *part, struct inst_spec *s, char *err, size_t n)
{
    struct layout l;
    const struct layout_entry *p = NULL;
    int r = layout_parse_file(path, &l, err, n);

    if (r < 0)
        return r;
    if (part) {
        for (size_t i = 0; i < l.n; i++)
            if (l.entries[i].kind == LAYOUT_PART && strcmp(l.entries[i].target, part) == 0)
                p = &l.entries[i];
        if (!p)
            r = -ENOENT, snprintf(err, n, "%s has no instance partition mounted at %s", path, part);
    } else {
        p = part_holding_etc(&l);
        if (!p)
            r = -ENOENT, snprintf(err, n, "%s has no instance partition", path);
    }
    if (r == 0)
        r = spec_from(&l, p, s, err, n);
    layout_free(&l);
    return r;
}

int spec_unescape_name(const char *name, char *out, size_t n)
{
    size_t o = 0;

    if (!*name || n < 2)
        return -EINVAL;
    out[o++] = '/';
    for (const char *p = name; *p; p++) {
        char c = *p;

        if (strncmp(p, "\\x2d", 4) == 0) {
            c = '-';
            p += 3;
        } else if (c == '-') {
            c = '/';
            if (out[o - 1] == '/' || p[1] == 0)
                return -EINVAL; /* "//" or a trailing slash: never made by layout_dir_name */
        } else if (c == '/' || c == '\\') {
            return -EINVAL;
        }
        if (o + 1 >= n)
            return -ENAMETOOLONG;
        out[o++] = c;
    }
    out[o] = 0;
    return 0;
}

int spec_discover(int rootfd, struct inst_spec *s, char *err, size_t n)
{
    _cleanup_close_ int ofd = rc_open_beneath(rootfd, "overlay", O_RDONLY | O_DIRECTORY);
    char **names = NULL;
    size_t cnt = 0;
    int r = 0;

    memset(s, 0, sizeof *s);
    s->tmp = true;
    if (ofd == -ENOENT)
        return 0;
    if (ofd < 0)
        return why_fail(err, n, ofd, "overlay: %s", strerror(-ofd));
    r = rc_list_dir(ofd, &names, &cnt);
    if (r < 0)
        return why_fail(err, n, r, "cannot list overlay/: %s", strerror(-r));
    for (size_t i = 0; i < cnt && r == 0; i++) {
        char dir[PATH_MAX], up[PATH_MAX], wk[PATH_MAX];
        struct stat st;

        if (spec_unescape_name(names[i], dir, sizeof dir) < 0) {
            r = -EINVAL;
            snprintf(err, n, "overlay/%.200s is not the name of an overlaid dir", names[i]);
            break;
        }
        snprintf(up, sizeof up, "overlay/%s/upper", names[i]);
        snprintf(wk, sizeof wk, "overlay/%s/work", names[i]);
        if (fstatat(ofd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
            r = -ENOTDIR;
            snprintf(err, n, "overlay/%.200s is not a directory (a symlink?)", names[i]);
            break;
        }
        r = add_overlay(s, dir, up, wk);
        if (r < 0)
            snprintf(err, n, "overlay/%.200s: %s", names[i], strerror(-r));
    }
    rc_names_free(names, cnt);
    return r;
}

const struct inst_overlay *spec_overlay_for(const struct inst_spec *s, const char *p,
                                            const char **rel)
{
    const struct inst_overlay *best = NULL;
    size_t bestlen = 0;

    for (size_t i = 0; i < s->n; i++) {
        size_t len = strlen(s->ov[i].dir);

        if (strncmp(p, s->ov[i].dir, len) == 0 && (p[len] == '/' || p[len] == 0) && len > bestlen) {
            best = &s->ov[i];
            bestlen = len;
        }
    }
    if (best) {
        *rel = p + bestlen;
        while (**rel == '/')
            (*rel)++;
    }
    return best;
}
