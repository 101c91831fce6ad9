/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kmodset.h"

#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "mkutil.h"

static int add_module(struct kmodset *s, struct kmod_module *mod, const char *reason);

const struct kmod_item *kmodset_find(const struct kmodset *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0)
            return &s->v[i];
    return NULL;
}

int kmodset_init(struct kmodset *s, const char *moddir)
{
    static const char *const no_config[] = {NULL};
    _cleanup_free_ char *dep = path_join(moddir, "modules.dep.bin");
    struct stat st;

    *s = (struct kmodset){0};
    if (!dep)
        return -ENOMEM;
    if (stat(dep, &st) < 0)
        return -errno;
    s->ctx = kmod_new(moddir, no_config);
    if (!s->ctx)
        return -ENOMEM;
    return 0;
}

static const char *relative_to(const char *dir, const char *path)
{
    size_t n = strlen(dir);

    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (strncmp(path, dir, n) == 0 && path[n] == '/')
        return path + n + 1;
    return NULL;
}

static int item_fill(struct kmodset *s, struct kmod_item *it, struct kmod_module *mod,
                     const char *reason)
{
    const char *path = kmod_module_get_path(mod);
    const char *rel;

    it->builtin = !path || kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN;
    if (!(it->name = strdup(kmod_module_get_name(mod))) || !(it->reason = strdup(reason)))
        return -ENOMEM;
    if (it->builtin)
        return 0;
    rel = relative_to(kmod_get_dirname(s->ctx), path);
    if (rel)
        it->relpath = strdup(rel);
    else if (asprintf(&it->relpath, "extra/%s",
                      strrchr(path, '/') ? strrchr(path, '/') + 1 : path) < 0)
        it->relpath = NULL;
    if (!it->relpath || !(it->path = strdup(path)))
        return -ENOMEM;
    return 0;
}

static void item_free(struct kmod_item *it)
{
    free(it->name);
    free(it->path);
    free(it->relpath);
    free(it->reason);
}

static int append_item(struct kmodset *s, struct kmod_module *mod, const char *reason)
{
    struct kmod_item it = {0};
    int r;

    if (array_grow(&s->v, s->n, 1, &s->cap, sizeof(*s->v)) < 0)
        return -ENOMEM;
    r = item_fill(s, &it, mod, reason);
    if (r < 0) {
        item_free(&it);
        return r;
    }
    s->v[s->n++] = it;
    return 0;
}

static int add_list(struct kmodset *s, struct kmod_list *list, const char *why, const char *name)
{
    _cleanup_free_ char *reason = NULL;
    struct kmod_list *i;
    int r = 0;

    if (!list)
        return 0;
    if (asprintf(&reason, "%s %s", why, name) < 0)
        return -ENOMEM;
    kmod_list_foreach(i, list)
    {
        struct kmod_module *m = kmod_module_get_module(i);
        r = add_module(s, m, reason);
        kmod_module_unref(m);
        if (r < 0)
            break;
    }
    return r;
}

static int add_module(struct kmodset *s, struct kmod_module *mod, const char *reason)
{
    struct kmod_list *deps, *pre = NULL, *post = NULL;
    const char *name = kmod_module_get_name(mod);
    int r;

    if (kmodset_find(s, name))
        return 0;
    r = append_item(s, mod, reason);
    if (r < 0)
        return r;
    deps = kmod_module_get_dependencies(mod);
    r = add_list(s, deps, "dependency of", name);
    kmod_module_unref_list(deps);
    if (r < 0)
        return r;
    /* A built-in module's soft dependencies still matter: ext4 built in wants crc32c. */
    if (kmod_module_get_softdeps(mod, &pre, &post) < 0)
        return 0;
    r = add_list(s, pre, "softdep of", name);
    if (r >= 0)
        r = add_list(s, post, "softdep of", name);
    kmod_module_unref_list(pre);
    kmod_module_unref_list(post);
    return r;
}

int kmodset_add(struct kmodset *s, const char *name, const char *reason)
{
    struct kmod_list *list = NULL, *i;
    int r;

    r = kmod_module_new_from_lookup(s->ctx, name, &list);
    if (r < 0)
        return r;
    if (!list)
        return -ENOENT;
    kmod_list_foreach(i, list)
    {
        struct kmod_module *m = kmod_module_get_module(i);
        r = add_module(s, m, reason);
        kmod_module_unref(m);
        if (r < 0)
            break;
    }
    kmod_module_unref_list(list);
    return r;
}

void kmodset_done(struct kmodset *s)
{
    for (size_t i = 0; i < s->n; i++)
        item_free(&s->v[i]);
    free(s->v);
    kmod_unref(s->ctx);
    *s = (struct kmodset){0};
}
