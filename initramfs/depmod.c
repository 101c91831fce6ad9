/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "depmod.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "io-util.h"
#include "mkutil.h"

/* Copied from the kernel's directory: depmod needs them to order the index and to describe
 * the built-in modules (modules.builtin.bin, modules.builtin.alias.bin). */
static const char *const kernel_lists[] = {"modules.order", "modules.builtin",
                                           "modules.builtin.modinfo"};

int depmod_plan_modules(struct plan *p, const struct kmodset *s, const char *kver)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct kmod_item *m = &s->v[i];
        _cleanup_free_ char *dest = NULL, *reason = NULL;
        int r;

        if (m->builtin)
            continue;
        if (asprintf(&dest, "/lib/modules/%s/%s", kver, m->relpath) < 0 ||
            asprintf(&reason, "%s, %s", m->name, m->reason) < 0)
            return -ENOMEM;
        r = plan_add_file(p, dest, m->path, 0644, "module", reason);
        if (r < 0)
            return mk_error(r, "cannot add module %s as %s: %m", m->path, dest);
    }
    return 0;
}

static int stage_file(const char *src, const char *staged)
{
    _cleanup_free_ char *dir = path_dirname(staged);
    int r;

    if (!dir)
        return -ENOMEM;
    r = mkdir_p(dir, 0755);
    if (r < 0)
        return mk_error(r, "cannot create staging directory %s: %m", dir);
    r = copy_file(src, staged);
    if (r < 0)
        return mk_error(r, "cannot copy %s to the staging directory %s: %m", src, staged);
    return 0;
}

static int stage_modules(const struct kmodset *s, const char *moddir, const char *kdir)
{
    int r;

    r = mkdir_p(kdir, 0755);
    if (r < 0)
        return mk_error(r, "cannot create staging directory %s: %m", kdir);
    for (size_t i = 0; i < s->n; i++) {
        _cleanup_free_ char *staged = NULL;

        if (s->v[i].builtin)
            continue;
        staged = path_join(kdir, s->v[i].relpath);
        if (!staged)
            return -ENOMEM;
        if ((r = stage_file(s->v[i].path, staged)) < 0)
            return r;
    }
    for (size_t i = 0; i < sizeof(kernel_lists) / sizeof(kernel_lists[0]); i++) {
        _cleanup_free_ char *src = path_join(moddir, kernel_lists[i]);
        _cleanup_free_ char *dst = path_join(kdir, kernel_lists[i]);

        if (!src || !dst)
            return -ENOMEM;
        if (access(src, F_OK) < 0)
            continue;
        if ((r = stage_file(src, dst)) < 0)
            return r;
    }
    return 0;
}

static int run_depmod(const char *staging, const char *kver)
{
    _cleanup_free_ char *depmod = find_program("depmod");
    _cleanup_free_ char *confdir = path_join(staging, "depmod.d");
    int r;

    if (!depmod)
        return mk_error(ENOENT, "depmod not found in $PATH, /usr/sbin or /sbin; install kmod");
    if (!confdir)
        return -ENOMEM;
    /* An empty configuration directory: the host's /etc/depmod.d must not change the index. */
    if (mkdir(confdir, 0755) < 0)
        return mk_error(errno, "cannot create %s: %m", confdir);
    r = run_program(
        (char *const[]){depmod, "-C", confdir, "-b", (char *)staging, (char *)kver, NULL}, -1, -1);
    if (r < 0)
        return mk_error(r, "cannot run %s: %m", depmod);
    if (r != 0)
        return mk_error(EIO, "%s -b %s %s failed with exit status %d; see its messages above",
                        depmod, staging, kver, r);
    return 0;
}

static int plan_index_files(struct plan *p, const char *kdir, const char *kver)
{
    struct dirent **names = NULL;
    int n = scandir(kdir, &names, NULL, alphasort), r = 0;

    if (n < 0)
        return mk_error(errno, "cannot list %s: %m", kdir);
    for (int i = 0; i < n; i++) {
        _cleanup_free_ char *src = NULL, *dest = NULL;
        struct stat st;

        if (r >= 0 && strncmp(names[i]->d_name, "modules.", 8) == 0) {
            if (!(src = path_join(kdir, names[i]->d_name)) ||
                asprintf(&dest, "/lib/modules/%s/%s", kver, names[i]->d_name) < 0)
                r = -ENOMEM;
            else if (lstat(src, &st) == 0 && S_ISREG(st.st_mode))
                r = plan_add_file(p, dest, src, 0644, "modindex", "module index for this set");
        }
        free(names[i]);
    }
    free(names);
    return r < 0 ? mk_error(r, "cannot add the module index from %s: %m", kdir) : 0;
}

int depmod_build_index(struct plan *p, const struct kmodset *s, const char *moddir,
                       const char *kver, const char *staging)
{
    _cleanup_free_ char *kdir = NULL;
    int r;

    if (asprintf(&kdir, "%s/lib/modules/%s", staging, kver) < 0)
        return -ENOMEM;
    r = stage_modules(s, moddir, kdir);
    if (r < 0)
        return r;
    r = run_depmod(staging, kver);
    if (r < 0)
        return r;
    return plan_index_files(p, kdir, kver);
}
