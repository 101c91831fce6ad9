// SPDX-License-Identifier: GPL-2.0-or-later
/* Where the boot keeps each overlay's reconcile record store (init/stage-reconcile.c), and
 * that the state file names the same place (init/publish.c via reconcile_store_path). */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "layout.h"
#include "stage-reconcile.h"
#include "testlib.h"

static char err[1024];

TEST(each_overlay_on_one_instance_fs_has_its_own_store)
{
    /* /etc and /var both have their upper on the one instance filesystem: a shared store
     * would look up /etc's merge base in the record of /var made later in the same boot */
    struct layout l;
    char store[PATH_MAX], rel[PATH_MAX], seen[2][PATH_MAX];
    const char *part;
    size_t k = 0;

    CHECK_INT(layout_from_instance("/dev/vdb", NULL, &l, err, sizeof err), 0);
    for (size_t i = 0; i < l.n; i++) {
        if (l.entries[i].kind != LAYOUT_OVERLAY)
            continue;
        CHECK_INT(
            reconcile_store_path(&l, &l.entries[i], store, sizeof store, rel, sizeof rel, &part),
            0);
        CHECK_STR(part, SHAREDROOT_INSTANCE);
        CHECK(k < 2);
        strcpy(seen[k++], store);
    }
    CHECK_INT(k, 2);
    CHECK_STR(seen[0], SHAREDROOT_INSTANCE "/reconcile/etc");
    CHECK_STR(seen[1], SHAREDROOT_INSTANCE "/reconcile/var");
    layout_free(&l);
}

TEST(nested_dir_store_name)
{
    struct layout l;
    char store[PATH_MAX], rel[PATH_MAX];
    const char *part;

    CHECK_INT(layout_from_instance("/dev/vdb", "/usr/local", &l, err, sizeof err), 0);
    for (size_t i = 0; i < l.n; i++)
        if (l.entries[i].kind == LAYOUT_OVERLAY) {
            CHECK_INT(reconcile_store_path(&l, &l.entries[i], store, sizeof store, rel, sizeof rel,
                                           &part),
                      0);
            CHECK_STR(rel, "reconcile/usr-local");
        }
    layout_free(&l);
}

TEST(too_long_is_an_error)
{
    struct layout l;
    char store[16], rel[PATH_MAX];
    const char *part;

    CHECK_INT(layout_from_instance("/dev/vdb", NULL, &l, err, sizeof err), 0);
    for (size_t i = 0; i < l.n; i++)
        if (l.entries[i].kind == LAYOUT_OVERLAY)
            CHECK_INT(reconcile_store_path(&l, &l.entries[i], store, sizeof store, rel, sizeof rel,
                                           &part),
                      -ENAMETOOLONG);
    layout_free(&l);
}

int main(void)
{
    return test_main();
}
