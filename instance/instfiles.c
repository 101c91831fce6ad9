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
#include "io-util.h"
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

/* Write f's content to out: its data, or the host file (the admin's file: following a symlink
 * is fine). */
static int fill_content(const struct inst_file *f, int out, char *why, size_t n)
{
    _cleanup_close_ int in = -1;
    struct stat st;
    int r;

    if (!f->src[0])
        return f->len ? write_all(out, f->data, f->len) : 0;
    in = open(f->src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return why_fail(why, n, -errno, "cannot open %s: %s", f->src, strerror(errno));
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
        return why_fail(why, n, -EINVAL, "%s is not a regular file", f->src);
    r = rc_copy_fd(in, out);
    if (r < 0)
        snprintf(why, n, "cannot copy %s: %s", f->src, strerror(-r));
    return r;
}

/* The path of f in its upper dir, relative to the instance's root. */
static int upper_path(const struct inst_spec *s, const struct inst_file *f, char **path, char *why,
                      size_t n)
{
    const char *rel;
    const struct inst_overlay *o = spec_overlay_for(s, f->dest, &rel);

    if (!o || !*rel)
        return why_fail(why, n, -ENOENT, "%s is not a file in an overlaid dir of this instance",
                        f->dest);
    *path = rc_path_join(o->upper, rel);
    return *path ? 0 : -ENOMEM;
}

int inst_stage_file(struct tree *t, const struct inst_spec *s, const struct inst_file *f, char *why,
                    size_t n)
{
    struct tree_entry m = {.mode = S_IFREG | f->mode, .uid = f->uid, .gid = f->gid};
    _cleanup_free_ char *path = NULL;
    _cleanup_close_ int fd = -1;
    int r = upper_path(s, f, &path, why, n);

    if (r < 0)
        return r;
    r = tree_add_parents(t, path);
    if (r < 0)
        return why_fail(why, n, r, "%s: cannot make its dirs (%s)", f->dest,
                        r == -ENOTDIR ? "a file of that name is given too" : strerror(-r));
    m.path = path;
    r = tree_add(t, &m, NULL, NULL, 0, &fd, NULL);
    if (r < 0)
        return why_fail(why, n, r, "%s: %s", f->dest, r == -EEXIST ? "given twice" : strerror(-r));
    return fill_content(f, fd, why, n);
}

/* The dir holding path below rootfd, each missing dir made 0755 root's; *name: the last
 * component of path. */
static int make_parents(int rootfd, char *path, const char **name, const char *dest, char *why,
                        size_t n)
{
    char *slash = strrchr(path, '/'), *save = NULL;
    _cleanup_close_ int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);

    if (fd < 0 || !slash)
        return why_fail(why, n, fd < 0 ? -errno : -EINVAL, "%s: bad path", dest);
    *slash = 0;
    *name = slash + 1;
    for (char *c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        bool made = mkdirat(fd, c, 0755) == 0;
        int nfd;

        if (!made && errno != EEXIST)
            return why_fail(why, n, -errno, "%s: cannot make the dir %s in the copy: %s", dest, c,
                            strerror(errno));
        nfd = rc_open_child_dir(fd, c);
        if (nfd < 0)
            return why_fail(why, n, nfd == -ELOOP ? -ENOTDIR : nfd,
                            "%s: %s in the upper dir is not a dir (a file, a deletion or a "
                            "symlink of the instance): %s",
                            dest, c, strerror(-nfd));
        close(fd);
        fd = nfd;
        if (made && (fchown(fd, 0, 0) < 0 || fchmod(fd, 0755) < 0))
            return why_fail(why, n, -errno, "%s: cannot set the owner and mode of %s: %s", dest, c,
                            strerror(errno));
    }
    return take_fd(&fd);
}

int inst_write_file(int rootfd, const struct inst_spec *s, const struct inst_file *f, char *why,
                    size_t n)
{
    _cleanup_free_ char *path = NULL, *tmp = NULL;
    _cleanup_close_ int dfd = -1, fd = -1;
    const char *name = NULL;
    struct stat st;
    int r = upper_path(s, f, &path, why, n);

    if (r < 0)
        return r;
    dfd = make_parents(rootfd, path, &name, f->dest, why, n);
    if (dfd < 0)
        return dfd;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        return why_fail(why, n, -EISDIR, "%s is a dir in this instance; a file cannot replace it",
                        f->dest);
    if (asprintf(&tmp, ".%s.sharedroot-tmp", name) < 0)
        return -ENOMEM;
    (void)unlinkat(dfd, tmp, 0);
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return why_fail(why, n, -errno, "%s: cannot create it in the copy: %s", f->dest,
                        strerror(errno));
    r = fill_content(f, fd, why, n);
    /* chown first: it clears the set-id bits that fchmod then sets */
    if (r == 0 && (fchown(fd, f->uid, f->gid) < 0 || fchmod(fd, f->mode) < 0 || fsync(fd) < 0 ||
                   renameat(dfd, tmp, dfd, name) < 0))
        r = why_fail(why, n, -errno, "%s: cannot write it in the copy: %s", f->dest,
                     strerror(errno));
    if (r < 0)
        (void)unlinkat(dfd, tmp, 0);
    return r;
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

/* sshd reads this drop-in (Debian's sshd_config includes sshd_config.d/ *.conf first, and the
 * first value of a keyword wins), so the keys can live in the instance's own /etc. */
static const char sshd_dropin[] =
    "# Written by sharedroot-instance --authorized-keys: this instance's keys live in\n"
    "# its own /etc, since the users' home directories are on the shared, read-only base.\n"
    "AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2 /etc/ssh/authorized_keys/%u\n";

void inst_files_init(struct inst_files *fs)
{
    memset(fs, 0, sizeof *fs);
    fs->user = "root";
}

int inst_files_option(struct inst_files *fs, int c, const char *arg)
{
    char why[512];

    switch (c) {
    case 'H':
        fs->hostname = arg;
        return 1;
    case 'k':
        fs->keys = arg;
        return 1;
    case 'u':
        fs->user = arg;
        return 1;
    case 'f':
        if (fs->n >= INST_MAX_FILES - 3)
            return log_error_errno(EINVAL, "too many --file options (at most %d)",
                                   INST_MAX_FILES - 3);
        if (inst_file_parse(arg, &fs->f[fs->n], why, sizeof why) < 0)
            return log_error_errno(EINVAL, "--file %s", why);
        fs->n++;
        return 1;
    default:
        return 0;
    }
}

int inst_files_getopt(struct inst_files *fs, int argc, char **argv, const char *shortopts,
                      const struct option *longopts)
{
    int c, r;

    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
        if ((r = inst_files_option(fs, c, optarg)) <= 0)
            return r < 0 ? '?' : c;
    return -1;
}

int inst_files_check(struct inst_files *fs)
{
    char why[256];

    if (fs->hostname && hostname_check(fs->hostname, why, sizeof why) < 0)
        return log_error_errno(EINVAL,
                               "--hostname %s is not a valid host name (%s): letters, digits "
                               "and '-' in dot-separated labels",
                               fs->hostname, why);
    if (!inst_user_name_ok(fs->user))
        return log_error_errno(EINVAL, "--user %s is not a user name", fs->user);
    if (fs->hostname) {
        snprintf(fs->hostline, sizeof fs->hostline, "%s\n", fs->hostname);
        fs->f[fs->n++] = (struct inst_file){.data = fs->hostline,
                                            .len = strlen(fs->hostline),
                                            .dest = "/etc/hostname",
                                            .mode = 0644};
    }
    if (fs->keys) {
        fs->keys_at = fs->n;
        fs->f[fs->n] = (struct inst_file){.mode = 0644};
        snprintf(fs->f[fs->n++].dest, sizeof fs->f->dest, "/etc/ssh/authorized_keys/%s", fs->user);
        fs->f[fs->n++] = (struct inst_file){.data = sshd_dropin,
                                            .len = sizeof sshd_dropin - 1,
                                            .dest = INST_SSHD_DROPIN,
                                            .mode = 0644};
    }
    for (size_t i = 0; i < fs->n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(fs->f[i].dest, fs->f[j].dest) == 0)
                return log_error_errno(EINVAL,
                                       "%s is given twice (by --file, --hostname or "
                                       "--authorized-keys)",
                                       fs->f[i].dest);
    return 0;
}

int inst_files_load(struct inst_files *fs)
{
    _cleanup_close_ int fd = -1;
    struct rc_buf *b = &fs->keybuf;
    int r;

    if (!fs->keys)
        return 0;
    fd = open(fs->keys, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return log_error_errno(errno, "--authorized-keys %s: cannot open it: %m", fs->keys);
    r = rc_read_all(fd, INST_KEYS_MAX, b);
    if (r < 0)
        return log_error_errno(r, "--authorized-keys %s: cannot read it: %m%s", fs->keys,
                               r == -EFBIG ? " (more than 1 MiB)" : "");
    if (b->len == 0 || memchr(b->data, 0, b->len))
        return log_error_errno(EINVAL,
                               "--authorized-keys %s: %s; give an OpenSSH authorized_keys file",
                               fs->keys, b->len ? "it holds NUL bytes" : "it is empty");
    if (b->data[b->len - 1] != '\n' && (r = rc_buf_adds(b, "\n")) < 0)
        return log_error_errno(r, "out of memory");
    fs->f[fs->keys_at].data = b->data;
    fs->f[fs->keys_at].len = b->len;
    return 0;
}

void inst_files_done(struct inst_files *fs)
{
    rc_buf_done(&fs->keybuf);
}
