// SPDX-License-Identifier: GPL-2.0-or-later
/* The line merge and diff through libgit2, loaded on demand (dlopen). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "reconcile.h"
#include "testlib.h"
#include "util.h"

static struct rc_buf buf(const char *s)
{
    struct rc_buf b = {0};
    rc_buf_adds(&b, s);
    return b;
}

TEST(clean_merge_takes_both_sides)
{
    struct rc_buf base = buf("a\nb\nc\nd\ne\n"), host = buf("A\nb\nc\nd\ne\n"),
                  next = buf("a\nb\nc\nd\nE\n"), out = {0};
    unsetenv("SHAREDROOT_LIBGIT2");
    CHECK_INT(rc_merge3(&base, &host, &next, "f", &out), 1);
    CHECK(out.data && strcmp(out.data, "A\nb\nc\nd\nE\n") == 0);
    rc_buf_done(&base), rc_buf_done(&host), rc_buf_done(&next), rc_buf_done(&out);
}

TEST(overlapping_edits_conflict_with_markers)
{
    struct rc_buf base = buf("x\n"), host = buf("host\n"), next = buf("base\n"), out = {0};
    unsetenv("SHAREDROOT_LIBGIT2");
    CHECK_INT(rc_merge3(&base, &host, &next, "f", &out), 0);
    CHECK(out.data && strstr(out.data, "<<<<<<< host") && strstr(out.data, ">>>>>>> new base"));
    rc_buf_done(&base), rc_buf_done(&host), rc_buf_done(&next), rc_buf_done(&out);
}

TEST(binary_input_is_never_merged)
{
    struct rc_buf base = {0}, host = buf("h\n"), next = buf("n\n"), out = {0};
    rc_buf_add(&base, "a\0b", 3);
    CHECK_INT(rc_merge3(&base, &host, &next, "f", &out), -EMEDIUMTYPE);
    rc_buf_done(&base), rc_buf_done(&host), rc_buf_done(&next), rc_buf_done(&out);
}

TEST(without_libgit2_merge_and_diff_say_enosys)
{
    struct rc_buf a = buf("a\n"), b = buf("b\n"), c = buf("c\n"), out = {0};
    setenv("SHAREDROOT_LIBGIT2", "libgit2-not-here.so.0", 1);
    CHECK(!rc_merge_available());
    CHECK_INT(rc_merge3(&a, &b, &c, "f", &out), -ENOSYS);
    CHECK_INT(rc_unified_diff(&a, &b, "f", &out), -ENOSYS);
    unsetenv("SHAREDROOT_LIBGIT2");
    CHECK(rc_merge_available());
    rc_buf_done(&a), rc_buf_done(&b), rc_buf_done(&c), rc_buf_done(&out);
}

TEST(unified_diff_names_the_path)
{
    struct rc_buf a = buf("one\n"), b = buf("two\n"), out = {0};
    unsetenv("SHAREDROOT_LIBGIT2");
    CHECK_INT(rc_unified_diff(&a, &b, "etc/x", &out), 0);
    CHECK(out.data && strstr(out.data, "-one") && strstr(out.data, "+two") &&
          strstr(out.data, "etc/x"));
    rc_buf_done(&a), rc_buf_done(&b), rc_buf_done(&out);
}

int main(void)
{
    return test_main();
}
