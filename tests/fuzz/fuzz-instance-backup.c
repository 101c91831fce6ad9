/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Backup archives read by sharedroot-instance restore (instance/pax.c): a pax archive that an
 * admin may have been handed, or that a guest's own files went into, read as untrusted input
 * into a staging dir. Checked: nothing is ever written outside the staging dir (a planted
 * path below /tmp must not appear), and every staged entry is a safe relative path. */
#include <archive.h>
#include <errno.h>
#include <unistd.h>

#include "fsio.h"
#include "fuzz.h"
#include "pax.h"
#include "tree.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct archive *a;
    struct backup_meta m;
    struct tree t;
    char why[512];
    void *copy;

    if (size > 1 << 20)
        return 0;
    copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (tree_init(&t) < 0) {
        free(copy);
        return 0;
    }
    a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_memory(a, copy, size) == ARCHIVE_OK)
        (void)backup_read(a, &t, &m, why, sizeof why);
    archive_read_free(a);
    for (size_t i = 0; i < t.n; i++)
        if (*t.e[i].path && !rc_path_is_safe(t.e[i].path))
            abort();
    tree_done(&t);
    free(copy);
    if (access("/tmp/planted", F_OK) == 0)
        abort();
    return 0;
}
