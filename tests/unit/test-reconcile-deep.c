// SPDX-License-Identifier: GPL-2.0-or-later
/* Deep trees (a hostile guest's are 4096 levels and more): beyond the limit the report says
 * so (not "Too many levels of symbolic links"), and within it the walk completes. The walk is
 * linear in depth (bench/reconcile measures it): these trees would take minutes otherwise. */
#include "test-reconcile-fixture.h"
#include "testlib.h"

/* mkdir -p of n levels "d/d/d/..." below dir (beyond PATH_MAX, so by fds). */
static void deep_dirs(const char *dir, unsigned n)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    for (unsigned i = 0; fd >= 0 && i < n; i++) {
        mkdirat(fd, "d", 0755);
        int nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = nfd;
    }
    if (fd >= 0)
        close(fd);
}

/* rm -rf of a "d/d/d/..." chain (nftw cannot go beyond PATH_MAX), in linear time: the
 * grandchild moves up, the emptied child goes. */
static void rm_deep(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    for (unsigned i = 0; fd >= 0 && i < 100000; i++) {
        if (renameat(fd, "d/d", fd, "t") < 0) {
            unlinkat(fd, "d", AT_REMOVEDIR);
            break;
        }
        unlinkat(fd, "d", AT_REMOVEDIR);
        renameat(fd, "t", fd, "d");
    }
    if (fd >= 0)
        close(fd);
}

TEST(deeper_than_the_limit_says_so)
{
    struct fx f;
    fx_init(&f);
    deep_dirs(f.lower, 4100);
    deep_dirs(f.upper, 4100);
    struct rc_report *r = fx_reconcile(f.lower, f.upper, NULL, RC_POLICY_REPORT);
    CHECK(r && r->error);
    CHECK(r && r->error_text && strstr(r->error_text, "4096"));
    CHECK(r && r->error_text && !strstr(r->error_text, "symbolic links"));
    rc_report_free(r);
    rm_deep(f.lower);
    rm_deep(f.upper);
    fx_done(&f);
}

TEST(a_deep_tree_within_the_limit_is_walked)
{
    struct fx f;
    fx_init(&f);
    deep_dirs(f.lower, 3000);
    deep_dirs(f.upper, 3000);
    struct rc_report *r = fx_reconcile(f.lower, f.upper, NULL, RC_POLICY_REPORT);
    CHECK(r && r->error == 0);
    if (r && r->error)
        fprintf(stderr, "  %s\n", r->error_text);
    rc_report_free(r);
    rm_deep(f.lower);
    rm_deep(f.upper);
    fx_done(&f);
}

int main(void)
{
    return test_main();
}
