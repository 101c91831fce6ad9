/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "modplan-write.h"

#include <errno.h>
#include <libkmod.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "mkutil.h"
#include "modplan.h"

static void kmod_module_unrefp(struct kmod_module **m)
{
    if (*m)
        kmod_module_unref(*m);
}
#define _cleanup_kmod_module_ _cleanup_(kmod_module_unrefp)

static long index_of(const struct kmodset *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0)
            return (long)i;
    return -1;
}

enum { UNSEEN, VISITING, DONE };

struct order {
    const struct kmodset *s;
    unsigned char *state;
    size_t *v, n;
};

/* depth-first: every dependency before the module (a topological order of the set) */
static int visit(struct order *o, size_t i)
{
    _cleanup_kmod_module_ struct kmod_module *mod = NULL;
    struct kmod_list *deps, *l;
    int r = 0;

    if (o->state[i] == DONE)
        return 0;
    if (o->state[i] == VISITING)
        return mk_error(ELOOP, "module %s depends on itself (through modules.dep); run depmod",
                        o->s->v[i].name);
    o->state[i] = VISITING;
    if (kmod_module_new_from_name(o->s->ctx, o->s->v[i].name, &mod) < 0)
        return -ENOMEM;
    deps = kmod_module_get_dependencies(mod);
    kmod_list_foreach(l, deps)
    {
        struct kmod_module *d = kmod_module_get_module(l);
        long j = index_of(o->s, kmod_module_get_name(d));
        if (j < 0)
            r = mk_error(ENOENT, "dependency %s of module %s is not in the module set",
                         kmod_module_get_name(d), o->s->v[i].name);
        else if (!o->s->v[j].builtin)
            r = visit(o, (size_t)j);
        kmod_module_unref(d);
        if (r < 0)
            break;
    }
    kmod_module_unref_list(deps);
    if (r < 0)
        return r;
    o->state[i] = DONE;
    o->v[o->n++] = i;
    return 0;
}

static int write_module(const struct order *o, size_t k, FILE *f)
{
    const struct kmod_item *it = &o->s->v[o->v[k]];
    _cleanup_kmod_module_ struct kmod_module *mod = NULL;
    struct kmod_list *deps, *l;

    if (kmod_module_new_from_name(o->s->ctx, it->name, &mod) < 0)
        return -ENOMEM;
    fprintf(f, "module %s %s", it->name, it->relpath);
    deps = kmod_module_get_dependencies(mod);
    /* in load order: the order of the plan */
    for (size_t j = 0; j < k; j++)
        kmod_list_foreach(l, deps)
        {
            struct kmod_module *d = kmod_module_get_module(l);
            bool is = strcmp(kmod_module_get_name(d), o->s->v[o->v[j]].name) == 0;
            kmod_module_unref(d);
            if (is) {
                fprintf(f, " %s", o->s->v[o->v[j]].name);
                break;
            }
        }
    kmod_module_unref_list(deps);
    fputc('\n', f);
    return 0;
}

static void write_softdep_list(FILE *f, const char *name, const char *which, struct kmod_list *list,
                               struct modplan_stats *st)
{
    struct kmod_list *l;

    if (!list)
        return;
    fprintf(f, "softdep %s %s", name, which);
    kmod_list_foreach(l, list)
    {
        struct kmod_module *d = kmod_module_get_module(l);
        fprintf(f, " %s", kmod_module_get_name(d));
        kmod_module_unref(d);
    }
    fputc('\n', f);
    st->softdeps++;
}

/* soft dependencies and aliases of module i */
static int write_extras(const struct kmodset *s, size_t i, FILE *f, struct modplan_stats *st)
{
    _cleanup_kmod_module_ struct kmod_module *mod = NULL;
    struct kmod_list *pre = NULL, *post = NULL, *info = NULL, *l;
    char buf[MODPLAN_PATH_MAX + 1];

    if (kmod_module_new_from_name(s->ctx, s->v[i].name, &mod) < 0)
        return -ENOMEM;
    if (kmod_module_get_softdeps(mod, &pre, &post) == 0) {
        write_softdep_list(f, s->v[i].name, "pre", pre, st);
        write_softdep_list(f, s->v[i].name, "post", post, st);
    }
    kmod_module_unref_list(pre);
    kmod_module_unref_list(post);
    /* a built-in module's aliases ("fs-ext4") come from modules.builtin.modinfo */
    if (kmod_module_get_info(mod, &info) < 0)
        return 0;
    kmod_list_foreach(l, info)
    {
        const char *v = kmod_module_info_get_value(l);
        if (strcmp(kmod_module_info_get_key(l), "alias") != 0 || !v)
            continue;
        /* as depmod: a pattern that does not normalize is left out */
        if (modplan_normalize_alias(v, buf, sizeof buf) < 0 || strpbrk(buf, " \t\n"))
            continue;
        fprintf(f, "alias %s %s\n", buf, s->v[i].name);
        st->aliases++;
    }
    kmod_module_info_free_list(info);
    return 0;
}

int modplan_write(const struct kmodset *s, FILE *f, struct modplan_stats *st)
{
    struct order o = {.s = s};
    int r = 0;

    *st = (struct modplan_stats){0};
    o.state = calloc(s->n ? s->n : 1, 1);
    o.v = calloc(s->n ? s->n : 1, sizeof *o.v);
    if (!o.state || !o.v) {
        r = -ENOMEM;
        goto out;
    }
    fprintf(f,
            "%s\n# written by sharedroot-mkinitramfs: the modules of this image resolved by "
            "libkmod (sharedroot-mkinitramfs(8), THE MODULE PLAN)\n",
            MODPLAN_HEADER);
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].builtin) {
            fprintf(f, "builtin %s\n", s->v[i].name);
            st->builtin++;
        }
    for (size_t i = 0; i < s->n && r >= 0; i++)
        if (!s->v[i].builtin)
            r = visit(&o, i);
    for (size_t k = 0; k < o.n && r >= 0; k++)
        r = write_module(&o, k, f);
    st->modules = o.n;
    for (size_t i = 0; i < s->n && r >= 0; i++)
        r = write_extras(s, i, f, st);
out:
    free(o.state);
    free(o.v);
    return r;
}
