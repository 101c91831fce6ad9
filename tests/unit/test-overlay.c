/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Overlay mount data and the check, by device and inode, that no two overlays share or nest
 * their upper and work dirs (mounts/overlay.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "overlay.h"
#include "testlib.h"

static char root[] = "/tmp/test-overlay.XXXXXX";
static char paths[16][PATH_MAX];

/* paths[i] = root/rel, made as a directory (or as a symlink to root/target when target given) */
static const char *dir(int i, const char *rel, const char *target)
{
    char cmd[2 * PATH_MAX];
    snprintf(paths[i], sizeof paths[i], "%s/%s", root, rel);
    if (target)
        snprintf(cmd, sizeof cmd, "ln -sfn '%s/%s' '%s'", root, target, paths[i]);
    else
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", paths[i]);
    CHECK_INT(system(cmd), 0);
    return paths[i];
}

static int check(const char *const *own, size_t n, const char *const *lowers, size_t nl)
{
    char why[8192] = "";
    int r = overlay_check_separate(own, n, lowers, nl, why, sizeof why);
    if (r < 0)
        fprintf(stderr, "  (%s)\n", why);
    return r;
}

TEST(separate_dirs_pass)
{
    const char *own[] = {dir(0, "i/etc/upper", NULL), dir(1, "i/etc/work", NULL),
                         dir(2, "i/var/upper", NULL), dir(3, "i/var/work", NULL)};
    const char *lowers[] = {dir(4, "base/var", NULL), dir(5, "base/var/lib", NULL)};
    CHECK_INT(check(own, 4, lowers, 2), 0); /* nested lower dirs are fine */
    CHECK_INT(check(own, 0, NULL, 0), 0);
}

TEST(a_symlink_cannot_hide_a_shared_upper)
{
    const char *own[] = {dir(0, "i/etc/upper", NULL), dir(1, "i/etc/work", NULL),
                         dir(2, "i/var-alias", "i/etc/upper"), dir(3, "i/var/work", NULL)};
    CHECK_INT(check(own, 4, NULL, 0), -EEXIST);
}

TEST(nested_upper_and_work_dirs_are_refused)
{
    const char *own[] = {dir(0, "j/etc/upper", NULL), dir(1, "j/etc/work", NULL),
                         dir(2, "j/etc/upper/var", NULL), dir(3, "j/var/work", NULL)};
    CHECK_INT(check(own, 4, NULL, 0), -ELOOP);
    const char *own2[] = {dir(4, "k/a/upper", NULL), dir(5, "k/a/upper/work", NULL)};
    CHECK_INT(check(own2, 2, NULL, 0), -ELOOP);
    /* through a symlink: the walk goes up by "..", not by the path */
    const char *own3[] = {dir(6, "l/etc/upper", NULL), dir(7, "l/etc/work", NULL),
                          dir(8, "l/link", "l/etc/upper"), dir(9, "l/var/work", NULL)};
    dir(10, "l/etc/upper/sub", NULL);
    char sub[PATH_MAX + 8];
    snprintf(sub, sizeof sub, "%s/sub", own3[2]);
    const char *own4[] = {own3[0], own3[1], sub, own3[3]};
    CHECK_INT(check(own4, 4, NULL, 0), -ELOOP);
}

TEST(upper_inside_a_lower_or_holding_one_is_refused)
{
    const char *own[] = {dir(0, "m/base/etc/upper", NULL), dir(1, "m/base/etc/work", NULL)};
    const char *lowers[] = {dir(2, "m/base/etc", NULL)};
    CHECK_INT(check(own, 2, lowers, 1), -ELOOP);
    const char *own2[] = {dir(3, "n/i/upper", NULL), dir(4, "n/i/work", NULL)};
    const char *lowers2[] = {dir(5, "n/i/upper/etc", NULL)};
    CHECK_INT(check(own2, 2, lowers2, 1), -ELOOP);
    const char *lowers3[] = {own2[0]};
    CHECK_INT(check(own2, 2, lowers3, 1), -EEXIST);
}

TEST(missing_dir_is_an_error_that_names_it)
{
    char why[8192] = "";
    const char *own[] = {"/nonexistent/upper"};
    CHECK_INT(overlay_check_separate(own, 1, NULL, 0, why, sizeof why), -ENOENT);
    CHECK(strstr(why, "/nonexistent/upper") != NULL);
}

int main(void)
{
    if (!mkdtemp(root))
        return 1;
    int r = test_main();
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        r = 1;
    return r;
}
