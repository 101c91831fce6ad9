// SPDX-License-Identifier: GPL-2.0-or-later
#include "hookset.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hook-names.h"
#include "mkutil.h"

static const struct hookset_entry *find(const struct hookset *h, const char *stage,
                                        const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->v[i].stage, stage) == 0 && strcmp(h->v[i].name, name) == 0)
            return &h->v[i];
    return NULL;
}

static int add(struct hookset *h, const char *stage, const char *name, const char *source,
               const char *origin)
{
    struct hookset_entry e = {0}, *v;
    struct stat st;

    if (find(h, stage, name))
        return 0;
    /* stat, not lstat: a symlink on the build host is copied as the file it points to */
    if (stat(source, &st) < 0)
        return mk_error(errno, "hook %s (%s): %m", source, origin);
    if (!S_ISREG(st.st_mode))
        return mk_error(EINVAL, "hook %s (%s) is not a regular file; hooks are executable files",
                        source, origin);
    v = realloc(h->v, (h->n + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    h->v = v;
    e.mode = st.st_mode & 07777;
    if (!(e.stage = strdup(stage)) || !(e.name = strdup(name)) || !(e.source = strdup(source)) ||
        !(e.origin = strdup(origin))) {
        free(e.stage);
        free(e.name);
        free(e.source);
        free(e.origin);
        return -ENOMEM;
    }
    h->v[h->n++] = e;
    return 0;
}

int hookset_add_arg(struct hookset *h, const char *arg)
{
    const char *colon = strchr(arg, ':'), *name;
    char stage[32];
    int r;

    if (!colon || colon == arg || !colon[1])
        return mk_error(EINVAL,
                        "--hook %s: use --hook STAGE:PATH, e.g. --hook root:/usr/local/"
                        "lib/check-root",
                        arg);
    snprintf(stage, sizeof stage, "%.*s", (int)(colon - arg), arg);
    if (!hooks_stage_is_valid(stage))
        return mk_error(EINVAL,
                        "--hook %s: unknown stage '%s'; use early, devices, root, "
                        "instance, reconcile, overlay, tmp-swap or switch",
                        arg, stage);
    name = strrchr(colon + 1, '/') ? strrchr(colon + 1, '/') + 1 : colon + 1;
    if (!hooks_name_is_candidate(name))
        return mk_error(EINVAL,
                        "--hook %s: sharedroot-init ignores hooks named '%s' (hidden or "
                        "backup names); rename the file",
                        arg, name);
    r = add(h, stage, name, colon + 1, "--hook");
    return r == -ENOMEM ? r : r < 0 ? -EINVAL : 0;
}

int hookset_add_dir(struct hookset *h, const char *dir, const char *origin)
{
    for (int s = 0; s < HOOK_N_STAGES; s++) {
        _cleanup_free_ char *sdir = NULL;
        struct dirent **names = NULL;
        int n, r = 0;

        if (asprintf(&sdir, "%s/%s.d", dir, hook_stages[s]) < 0)
            return -ENOMEM;
        n = scandir(sdir, &names, NULL, alphasort);
        if (n < 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                continue;
            return mk_error(errno, "cannot read hook directory %s: %m", sdir);
        }
        for (int i = 0; i < n; i++) {
            _cleanup_free_ char *src = NULL;
            if (r >= 0 && hooks_name_is_candidate(names[i]->d_name)) {
                src = path_join(sdir, names[i]->d_name);
                r = src ? add(h, hook_stages[s], names[i]->d_name, src, origin) : -ENOMEM;
            }
            free(names[i]);
        }
        free(names);
        if (r < 0)
            return r;
    }
    return 0;
}

int hookset_plan(const struct hookset *h, struct plan *p)
{
    int r = 0;

    for (size_t i = 0; r >= 0 && i < h->n; i++) {
        const struct hookset_entry *e = &h->v[i];
        _cleanup_free_ char *dir = NULL, *dest = NULL, *reason = NULL;

        if (asprintf(&dir, HOOKSET_IMAGE_DIR "/%s.d", e->stage) < 0 ||
            !(dest = path_join(dir, e->name)) ||
            asprintf(&reason, "hook after stage %s, from %s (%s)", e->stage, e->source, e->origin) <
                0)
            return -ENOMEM;
        if (e->mode & (S_IWGRP | S_IWOTH))
            mk_note("warning: hook %s is writable by group or others (mode %04o): "
                    "sharedroot-init will refuse it and stop the boot; fix: chmod go-w %s",
                    e->source, (unsigned)e->mode, e->source);
        else if (!(e->mode & S_IXUSR))
            mk_note("note: hook %s is not executable: sharedroot-init will skip it", e->source);
        r = plan_add_dir(p, dir, 0755);
        if (r >= 0)
            r = plan_add_file(p, dest, e->source, e->mode, "hook", reason);
        if (r < 0)
            return mk_error(r, "cannot put hook %s into the image as %s: %m", e->source, dest);
    }
    return r;
}

void hookset_done(struct hookset *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].stage);
        free(h->v[i].name);
        free(h->v[i].source);
        free(h->v[i].origin);
    }
    free(h->v);
    *h = (struct hookset){0};
}
