/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The image plan and the cpio writer of sharedroot-mkinitramfs. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "cpioimage.h"
#include "mkutil.h"
#include "plan.h"
#include "testlib.h"

TEST(path_normalize_is_lexical)
{
    char *s;

    CHECK_STR((s = path_normalize("/a//b/./c/")), "/a/b/c");
    free(s);
    CHECK_STR((s = path_normalize("/bin/../lib/x")), "/lib/x");
    free(s);
    CHECK_STR((s = path_normalize("/../../lib")), "/lib");
    free(s);
    CHECK_STR((s = path_normalize("/")), "/");
    free(s);
    CHECK(path_normalize("relative/x") == NULL);
}

TEST(plan_adds_parents_as_directories_in_order)
{
    struct plan p = {0};

    CHECK_INT(plan_add_file(&p, "/lib/x86_64-linux-gnu/libc.so.6", "/x", 0755, "lib", "r"), 0);
    CHECK_INT(plan_add_file(&p, "/lib-a", NULL, 0644, "file", "r"), 0);
    CHECK_INT(p.n, 4);
    if (p.n == 4) {
        CHECK_STR(p.v[0].path, "/lib");
        CHECK_INT(p.v[0].type, PLAN_DIR);
        CHECK_STR(p.v[1].path, "/lib-a");
        CHECK_STR(p.v[2].path, "/lib/x86_64-linux-gnu");
        CHECK_STR(p.v[3].path, "/lib/x86_64-linux-gnu/libc.so.6");
    }
    plan_done(&p);
}

TEST(plan_same_entry_twice_is_fine_a_different_one_is_not)
{
    struct plan p = {0};

    CHECK_INT(plan_add_file(&p, "/bin/x", "/src", 0755, "lib", "r"), 0);
    CHECK_INT(plan_add_file(&p, "/bin//x", "/src", 0755, "lib", "other"), 0);
    CHECK_INT(plan_add_file(&p, "/bin/x", "/other", 0755, "lib", "r"), -EEXIST);
    CHECK_INT(plan_add_symlink(&p, "/bin/x", "busybox", "applet", "r"), -EEXIST);
    CHECK_INT(plan_add_symlink(&p, "/bin/sh", "busybox", "applet", "r"), 0);
    CHECK_INT(plan_add_file(&p, "/bin/sh/y", "/src", 0644, "lib", "r"), -ENOTDIR);
    CHECK_INT(plan_add_dir(&p, "/", 0755), -EINVAL);
    CHECK_INT(plan_add_dir(&p, "relative", 0755), -EINVAL);
    plan_done(&p);
}

static int build(const char *out, enum compression c, int64_t mtime)
{
    struct plan p = {0};
    int r = plan_add_dir(&p, "/tmp", 01777);

    if (r >= 0)
        r = plan_add_char(&p, "/dev/console", 0600, 5, 1);
    if (r >= 0)
        r = plan_add_file(&p, "/init", "/bin/true", 0755, "init", "t");
    if (r >= 0)
        r = plan_add_symlink(&p, "/bin/sh", "busybox", "applet", "t");
    if (r >= 0)
        r = image_write(&p, out, c, mtime);
    plan_done(&p);
    return r;
}

static bool same_file(const char *a, const char *b)
{
    _cleanup_free_ void *x = NULL, *y = NULL;
    size_t nx, ny;

    if (read_file(a, 1 << 26, &x, &nx) < 0 || read_file(b, 1 << 26, &y, &ny) < 0)
        return false;
    return nx == ny && memcmp(x, y, nx) == 0;
}

TEST(image_is_reproducible_in_every_compression)
{
    char dir[] = "/tmp/test-mkinit-plan.XXXXXX";
    _cleanup_free_ char *a = NULL, *b = NULL;

    CHECK(mkdtemp(dir) != NULL);
    a = path_join(dir, "a.img");
    b = path_join(dir, "b.img");
    for (int c = COMPRESS_ZSTD; c <= COMPRESS_NONE; c++) {
        CHECK_INT(build(a, (enum compression)c, 0), 0);
        CHECK_INT(build(b, (enum compression)c, 0), 0);
        CHECK(same_file(a, b));
        CHECK_INT(build(b, (enum compression)c, 1700000000), 0);
        CHECK(!same_file(a, b));
    }
    CHECK_INT(build(a, COMPRESS_NONE, 0), 0);
    _cleanup_free_ void *buf = NULL;
    size_t n = 0;
    CHECK_INT(read_file(a, 1 << 26, &buf, &n), 0);
    CHECK(n > 6 && memcmp(buf, "070701", 6) == 0);
    CHECK(buf && memmem(buf, n, "TRAILER!!!", 10) != NULL);
    rm_rf(dir);
}

TEST(image_refuses_missing_output_dir_and_leaves_nothing)
{
    char dir[] = "/tmp/test-mkinit-plan.XXXXXX";
    _cleanup_free_ char *out = NULL, *bad = NULL;
    struct plan p = {0};

    CHECK(mkdtemp(dir) != NULL);
    CHECK_INT(build("/nonexistent/dir/x.img", COMPRESS_ZSTD, 0), -ENOENT);
    /* a source that vanished: no output, no temporary file left */
    out = path_join(dir, "x.img");
    CHECK_INT(plan_add_file(&p, "/init", "/nonexistent/init", 0755, "init", "t"), 0);
    CHECK(image_write(&p, out, COMPRESS_ZSTD, 0) < 0);
    CHECK(access(out, F_OK) < 0);
    CHECK(rmdir(dir) == 0); /* empty: the temporary file was removed */
    plan_done(&p);
}

TEST(compression_names)
{
    CHECK_INT(compression_from_string("zstd"), COMPRESS_ZSTD);
    CHECK_INT(compression_from_string("gzip"), COMPRESS_GZIP);
    CHECK_INT(compression_from_string("none"), COMPRESS_NONE);
    CHECK_INT(compression_from_string("xz"), -EINVAL);
}

int main(void)
{
    return test_main();
}
