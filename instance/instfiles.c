// SPDX-License-Identifier: GPL-2.0-or-later
#include "instfiles.h"
#include "log.h"
#include "why.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "instance.h"
#include "reconcile.h"
#include "util.h"

const char inst_marker_text[] = "sharedroot instance storage, version 1\n"
                                "Created by sharedroot-instance. Holds this guest's own overlay "
                                "upper dirs, /tmp and state.\n";

static int add_dir_p(struct tree *t, const char *path, mode_t perm)
{
    struct tree_entry *e = tree_find(t, path);
    int r;

    if (e)
        return S_ISDIR(e->mode) ? 0 : -ENOTDIR;
    r = tree_add_parents(t, path);
    return r < 0 ? r : tree_add_dir(t, path, perm, 0, 0);
}

int inst_stage_layout(struct tree *t, const struct inst_spec *s, char *why, size_t n)
{
    int r = tree_add_dir(t, "", 0700, 0, 0);

    if (r == 0)
        r = tree_add_file(t, INSTANCE_MARKER, 0644, 0, 0, inst_marker_text,
                          sizeof inst_marker_text - 1);
    /* The store's parents are the instance's own (0700), as the reconcile stage makes them. */
    if (r == 0 && s->n)
        r = add_dir_p(t, "reconcile", 0700);
    for (size_t i = 0; r == 0 && i < s->n; i++) {
        r = add_dir_p(t, s->ov[i].upper, 0755);
        if (r == 0)
            r = add_dir_p(t, s->ov[i].work, 0755);
        if (r == 0)
            r = add_dir_p(t, s->ov[i].store, 0700);
        if (r == 0) {
            char prepared[sizeof s->ov[i].store + sizeof RC_STORE_PREPARED + 1];
            snprintf(prepared, sizeof prepared, "%s/%s", s->ov[i].store, RC_STORE_PREPARED);
            r = tree_add_file(t, prepared, 0600, 0, 0, RC_STORE_PREPARED_TEXT,
                              sizeof RC_STORE_PREPARED_TEXT - 1);
        }
        if (r < 0)
            snprintf(why, n, "cannot stage the dirs of overlay %s: %s", s->ov[i].dir, strerror(-r));
    }
    if (r == 0 && s->tmp && (r = tree_add_dir(t, "tmp", 01777, 0, 0)) < 0)
        snprintf(why, n, "cannot stage tmp: %s", strerror(-r));
    if (r < 0 && !*why)
        snprintf(why, n, "cannot stage the instance layout: %s", strerror(-r));
    return r;
}

static int parse_num(const char *s, unsigned long max, int base, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return -EINVAL;
    errno = 0;
    v = strtoul(s, &end, base);
    if (errno || *end || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int inst_file_parse(const char *arg, struct inst_file *f, char *why, size_t n)
{
    const char *sep = strstr(arg, ":/");
    char rest[sizeof f->dest + 64];
    char *fields[4] = {NULL};
    size_t nf = 0;
    unsigned long v;

    memset(f, 0, sizeof *f);
    f->mode = 0644;
    if (!sep || sep == arg)
        return why_fail(why, n, -EINVAL, "'%s': give SRC:/DEST[:MODE[:UID:GID]]", arg);
    if ((size_t)snprintf(rest, sizeof rest, "%s", sep + 1) >= sizeof rest)
        return why_fail(why, n, -ENAMETOOLONG, "'%s': the destination is too long", arg);
    for (char *save = NULL, *tok = strtok_r(rest, ":", &save); tok;
         tok = strtok_r(NULL, ":", &save)) {
        if (nf == 4)
            return why_fail(why, n, -EINVAL, "'%s': too many ':' fields", arg);
        fields[nf++] = tok;
    }
    if (nf == 3)
        return why_fail(why, n, -EINVAL, "'%s': give both UID and GID", arg);
    snprintf(f->dest, sizeof f->dest, "%s", fields[0]);
    if (!rc_path_is_safe(f->dest + 1) || f->dest[strlen(f->dest) - 1] == '/')
        return why_fail(why, n, -EINVAL,
                        "'%s': the destination must be a clean absolute path of a file", arg);
    if (nf >= 2) {
        if (parse_num(fields[1], 07777, 8, &v) < 0)
            return why_fail(why, n, -EINVAL, "'%s': MODE must be octal, at most 7777", arg);
        f->mode = (mode_t)v;
    }
    if (nf == 4) {
        if (parse_num(fields[2], 0xfffffffeUL, 10, &v) < 0)
            return why_fail(why, n, -EINVAL, "'%s': UID must be a number", arg);
        f->uid = (uid_t)v;
        if (parse_num(fields[3], 0xfffffffeUL, 10, &v) < 0)
            return why_fail(why, n, -EINVAL, "'%s': GID must be a number", arg);
        f->gid = (gid_t)v;
    }
    if ((size_t)(sep - arg) >= sizeof f->src)
        return why_fail(why, n, -ENAMETOOLONG, "'%s': the source path is too long", arg);
    memcpy(f->src, arg, (size_t)(sep - arg));
    return 0;
}

/* Copy the host file into the staged one (the admin's file: following a symlink is fine). */
static int copy_src(const char *src, int out, char *why, size_t n)
{
    _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int r;

    if (in < 0)
        return why_fail(why, n, -errno, "cannot open %s: %s", src, strerror(errno));
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
        return why_fail(why, n, -EINVAL, "%s is not a regular file", src);
    r = rc_copy_fd(in, out);
    if (r < 0)
        snprintf(why, n, "cannot copy %s: %s", src, strerror(-r));
    return r;
}

int inst_stage_file(struct tree *t, const struct inst_spec *s, const struct inst_file *f, char *why,
                    size_t n)
{
    const char *rel;
    const struct inst_overlay *o = spec_overlay_for(s, f->dest, &rel);
    struct tree_entry m = {.mode = S_IFREG | f->mode, .uid = f->uid, .gid = f->gid};
    _cleanup_free_ char *path = NULL;
    _cleanup_close_ int fd = -1;
    int r;

    if (!o || !*rel)
        return why_fail(why, n, -ENOENT, "%s is not a file in an overlaid dir of this instance",
                        f->dest);
    path = rc_path_join(o->upper, rel);
    if (!path)
        return -ENOMEM;
    r = tree_add_parents(t, path);
    if (r < 0)
        return why_fail(why, n, r, "%s: cannot make its dirs (%s)", f->dest,
                        r == -ENOTDIR ? "a file of that name is given too" : strerror(-r));
    m.path = path;
    r = tree_add(t, &m, NULL, f->data, f->len, f->src[0] ? &fd : NULL, NULL);
    if (r < 0)
        return why_fail(why, n, r, "%s: %s", f->dest, r == -EEXIST ? "given twice" : strerror(-r));
    return f->src[0] ? copy_src(f->src, fd, why, n) : 0;
}

bool inst_user_name_ok(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 32 || !(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z')))
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = name[i];
        if (c == '$' && i == len - 1)
            break;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}
