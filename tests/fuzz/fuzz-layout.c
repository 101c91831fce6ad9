/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Layout files (mounts/layout.c): fstab format through libmount, every entry and the layout
 * as a whole validated (shared or nested upper/work dirs, reserved names). The file comes from
 * the initramfs or the base image, and check-base reads it from images it is given. Each
 * parsed overlay's directory name is escaped too (the names on the instance disk). */
#include "fuzz.h"
#include "layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct layout l;
    char err[1024], name[256];

    if (size > LAYOUT_MAX_BYTES)
        return 0;
    if (layout_parse_text((const char *)data, size, "fuzz", &l, err, sizeof err) < 0)
        return 0;
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
