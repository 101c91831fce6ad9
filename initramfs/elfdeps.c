/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "elfdeps.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfread.h"

/* What a library search needs to know about the object that asks. */
struct requester {
    const char *dest; /* path in the image, for messages and --list */
    const struct elf_info *info;
    const char *host_origin, *guest_origin;
};

/* The executable's DT_RPATH applies to all of its libraries without a DT_RUNPATH. */
struct exec_ctx {
    const char *rpath; /* NULL when the executable has DT_RUNPATH or no DT_RPATH */
    const char *host_origin, *guest_origin;
};

/* An object to add: host is the path it was found at (its $ORIGIN), real the file read. */
struct object {
    const char *host, *real, *dest, *kind, *reason;
};

static int add_object(struct plan *p, const struct ldso *l, const struct exec_ctx *x,
                      const struct object *o, unsigned depth);

static mode_t file_mode(const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return 0644;
    return st.st_mode & 0777;
}

/* The kernel runs PT_INTERP as given, if it is an ELF program (ET_DYN or ET_EXEC) of the
 * binary's class and machine. A path that is anything else (a text file such as /etc/shadow,
 * a FIFO, a relative path resolved against our working directory) is refused: it would be
 * copied as is into a world-readable image. */
static int check_interp(const struct elf_info *info, const char *real, const char *dest)
{
    struct elf_ident id;
    int r;

    if (info->interp[0] != '/')
        return mk_error(EINVAL,
                        "the interpreter %s of %s is not an absolute path; refusing it (a "
                        "program loader is named by its full path, e.g. "
                        "/lib64/ld-linux-x86-64.so.2)",
                        info->interp, dest);
    r = elf_peek_file(real, &id);
    if (r < 0 || (id.type != ET_DYN && id.type != ET_EXEC) || id.elf_class != info->elf_class ||
        id.data != info->data || id.machine != info->machine)
        return mk_error(r < 0 && r != -EINVAL && r != -ENOEXEC && r != -EBADMSG ? r : ENOEXEC,
                        "the interpreter %s of %s (%s) is not an ELF program loader of the same "
                        "class and machine%s%s; refusing to put it into the image",
                        info->interp, dest, real, r < 0 ? ": " : "",
                        r == -EINVAL    ? "not a regular file"
                        : r == -ENOEXEC ? "not an ELF file"
                        : r < 0         ? strerror(-r)
                                        : "");
    return 0;
}

/* A host file that is already in the image under another path becomes a symbolic link to it:
 * the image holds its bytes once. The dynamic loader is the common case: the PT_INTERP path
 * (/lib64/ld-linux-x86-64.so.2) and libc's DT_NEEDED in the library directory are one file. */
static int add_file_once(struct plan *p, const char *dest, const char *real, mode_t mode,
                         const char *kind, const char *reason)
{
    const struct plan_entry *same = plan_find_source(p, real);
    _cleanup_free_ char *target = NULL, *why = NULL;

    if (!same || strcmp(same->path, dest) == 0)
        return plan_add_file(p, dest, real, mode, kind, reason);
    /* copied: adding an entry may move the plan's array */
    if (!(target = strdup(same->path)) ||
        asprintf(&why, "%s; the same file as %s, stored once", reason, target) < 0)
        return -ENOMEM;
    return plan_add_symlink(p, dest, target, kind, why);
}

static int add_interp(struct plan *p, const struct elf_info *info, const char *dest)
{
    _cleanup_free_ char *reason = NULL;
    char real[PATH_MAX] = "";
    int r;

    if (plan_find(p, info->interp))
        return 0;
    if (info->interp[0] == '/' && !realpath(info->interp, real))
        return mk_error(errno, "the interpreter %s of %s cannot be found: %m", info->interp, dest);
    r = check_interp(info, real, dest);
    if (r < 0)
        return r;
    if (asprintf(&reason, "interpreter of %s", dest) < 0)
        return -ENOMEM;
    r = add_file_once(p, info->interp, real, 0755, "interp", reason);
    if (r < 0)
        return mk_error(r, "cannot add the interpreter %s: %m", info->interp);
    return 0;
}

static int add_needed(struct plan *p, const struct ldso *l, const struct exec_ctx *x,
                      const struct requester *q, const char *name, unsigned depth)
{
    const struct elf_info *info = q->info;
    struct ldso_request req = {
        .name = name,
        .elf_class = info->elf_class,
        .machine = info->machine,
        .rpath = {info->rpath, q->host_origin, q->guest_origin},
        .exec_rpath = {x->rpath, x->host_origin, x->guest_origin},
        .runpath = {info->runpath, q->host_origin, q->guest_origin},
    };
    _cleanup_free_ char *host = NULL, *guest = NULL, *reason = NULL;
    char real[PATH_MAX];
    int r;

    r = ldso_find(l, &req, &host, &guest);
    if (r == -ENOENT && name[0] == '/' && access(name, F_OK) == 0)
        return mk_error(r,
                        "%s, needed by %s by its path, is not an ELF shared library of the same "
                        "class and machine; refusing to put it into the image",
                        name, q->dest);
    if (r == -ENOENT)
        return mk_error(r,
                        "library %s needed by %s not found; install it or fix the "
                        "library path (ld.so.conf, ldconfig)",
                        name, q->dest);
    if (r < 0)
        return mk_error(r, "cannot look up library %s needed by %s: %m", name, q->dest);
    if (plan_find(p, guest))
        return 0;
    if (!realpath(host, real))
        return mk_error(errno, "cannot resolve %s: %m", host);
    if (asprintf(&reason, "needed by %s", q->dest) < 0)
        return -ENOMEM;
    return add_object(p, l, x, &(struct object){host, real, guest, "lib", reason}, depth + 1);
}

static int add_object(struct plan *p, const struct ldso *l, const struct exec_ctx *x,
                      const struct object *o, unsigned depth)
{
    _cleanup_free_ char *host_origin = path_dirname(o->host), *guest_origin = path_dirname(o->dest);
    const char *src = o->real, *dest = o->dest;
    struct elf_info info = {0};
    int r;

    if (!host_origin || !guest_origin)
        return -ENOMEM;
    if (depth > 64)
        return mk_error(ELOOP, "library dependencies of %s nest too deep", dest);
    r = elf_parse_file(src, &info);
    if (r < 0)
        return mk_error(r, "cannot read %s as an ELF object: %m", src);
    r = add_file_once(p, dest, src, strcmp(o->kind, "lib") == 0 ? file_mode(src) : 0755, o->kind,
                      o->reason);
    if (r < 0) {
        r = mk_error(r, "cannot add %s as %s: %m", src, dest);
        goto out;
    }
    if (info.interp && (r = add_interp(p, &info, dest)) < 0)
        goto out;
    for (size_t i = 0; i < info.n_needed; i++) {
        struct requester q = {dest, &info, host_origin, guest_origin};
        r = add_needed(p, l, x, &q, info.needed[i], depth);
        if (r < 0)
            goto out;
    }
out:
    elf_info_done(&info);
    return r;
}

int elfdeps_add_binary(struct plan *p, const struct ldso *l, const char *src, const char *dest,
                       const char *kind, const char *reason)
{
    _cleanup_free_ char *host_origin = NULL, *guest_origin = path_dirname(dest);
    struct elf_info info = {0};
    char real[PATH_MAX];
    struct exec_ctx x = {0};
    int r;

    if (!realpath(src, real))
        return mk_error(errno, "cannot read %s: %m; check the path", src);
    r = elf_parse_file(real, &info);
    if (r == -ENOEXEC)
        return mk_error(r, "%s is not an ELF binary; give a compiled program", src);
    if (r < 0)
        return mk_error(r, "cannot read %s as an ELF binary: %m", src);
    if (info.type != ET_EXEC && info.type != ET_DYN) {
        r = mk_error(ENOEXEC,
                     "%s is an ELF file but not a program (type %u); give a linked "
                     "executable",
                     src, info.type);
        elf_info_done(&info);
        return r;
    }
    host_origin = path_dirname(real);
    if (!host_origin || !guest_origin) {
        elf_info_done(&info);
        return -ENOMEM;
    }
    if (!info.runpath)
        x = (struct exec_ctx){info.rpath, host_origin, guest_origin};
    r = add_object(p, l, &x, &(struct object){real, real, dest, kind, reason}, 0);
    elf_info_done(&info);
    return r;
}

int elfdeps_add_library(struct plan *p, const struct ldso *l, const char *name, const char *like,
                        const char *reason)
{
    _cleanup_free_ char *host_origin = NULL, *guest_origin = strdup("/");
    struct elf_info info = {0};
    char real[PATH_MAX];
    int r;

    /* Found as if `like` (the init, /init in the image) needed it: same class, machine and search
     * paths. */
    if (!realpath(like, real))
        return mk_error(errno, "cannot read %s: %m", like);
    r = elf_parse_file(real, &info);
    if (r < 0)
        return mk_error(r, "cannot read %s as an ELF binary: %m", like);
    host_origin = path_dirname(real);
    if (!host_origin || !guest_origin) {
        elf_info_done(&info);
        return -ENOMEM;
    }
    struct exec_ctx x = {info.runpath ? NULL : info.rpath, host_origin, guest_origin};
    struct requester q = {reason, &info, host_origin, guest_origin};
    r = add_needed(p, l, &x, &q, name, 0);
    elf_info_done(&info);
    return r;
}

char *elfdeps_triplet(const char *binary)
{
    struct elf_info info = {0};
    char real[PATH_MAX];
    const char *t = NULL;
    char *ret = NULL;

    if (elf_parse_file(binary, &info) < 0)
        return NULL;
    if (info.interp && realpath(info.interp, real)) {
        char *slash = strrchr(real, '/');
        if (slash) {
            *slash = '\0';
            slash = strrchr(real, '/');
            if (slash && strstr(slash, "-linux-"))
                ret = strdup(slash + 1);
        }
    }
    if (!ret && (t = ldso_triplet_for(info.machine, info.elf_class)))
        ret = strdup(t);
    elf_info_done(&info);
    return ret;
}
