/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Layout files (mounts/layout.c): fstab format through libmount, every entry and the layout
 * as a whole validated (shared or nested upper/work dirs, reserved names). The file comes from
 * the initramfs or the base image, and check-base reads it from images it is given. Each
 * parsed overlay's directory name is escaped too (the names on the instance disk). */
#include <stdbool.h>

#include "fuzz.h"
#include "layout.h"

/* a is b or lies below it (written apart from layout.c's own test, as an oracle) */
static bool inside(const char *a, const char *b)
{
    size_t n = strlen(b);
    return strncmp(a, b, n) == 0 && (a[n] == '/' || a[n] == '\0' || (n == 1 && b[0] == '/'));
}

/* What a layout that parsed promises: no two overlays share or nest upper or work dirs, and
 * none is inside a lower dir or holds one. */
static void check_separate(const struct layout *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct layout_entry *a = &l->entries[i];
        if (a->kind != LAYOUT_OVERLAY)
            continue;
        const char *mine[] = {a->upper, a->work};
        for (size_t j = 0; j < l->n; j++) {
            const struct layout_entry *b = &l->entries[j];
            if (b->kind != LAYOUT_OVERLAY)
                continue;
            const char *theirs[] = {b->upper, b->work, b->lower};
            for (size_t x = 0; x < 2; x++)
                for (size_t y = 0; y < 3; y++) {
                    if (i == j && y < 2 && x == y)
                        continue;
                    if (inside(mine[x], theirs[y]) || inside(theirs[y], mine[x]))
                        abort();
                }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct layout l;
    char err[1024], name[256];

    if (size > LAYOUT_MAX_BYTES)
        return 0;
    if (layout_parse_text((const char *)data, size, "fuzz", &l, err, sizeof err) < 0)
        return 0;
    check_separate(&l);
    for (size_t i = 0; i < l.n; i++) {
        if (l.entries[i].kind != LAYOUT_OVERLAY)
            continue;
        /* an escaped name is one path component, and two targets never share one */
        if (layout_dir_name(l.entries[i].target, name, sizeof name) == 0 && strchr(name, '/'))
            abort();
        (void)layout_dir_name_legacy(l.entries[i].target, name, sizeof name);
        for (size_t j = 0; j < i; j++) {
            char other[256];
            if (l.entries[j].kind == LAYOUT_OVERLAY &&
                layout_dir_name(l.entries[j].target, other, sizeof other) == 0 &&
                layout_dir_name(l.entries[i].target, name, sizeof name) == 0 &&
                strcmp(name, other) == 0)
                abort();
        }
    }
    layout_free(&l);
    return 0;
}
