// SPDX-License-Identifier: GPL-2.0-or-later
/* rmtree_contents on hostile trees, and tmp_clean. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rmtree.h"
#include "testlib.h"
#include "tmpdir.h"

static char base[64];    /* holds tree/ and outside/ */
static char tree[96];    /* what gets cleaned */
static char outside[96]; /* what must survive */

static void setup(void)
{
    snprintf(base, sizeof base, "/tmp/test-tmpdir-XXXXXX");
    CHECK(mkdtemp(base) != NULL);
    snprintf(tree, sizeof tree, "%s/tree", base);
    snprintf(outside, sizeof outside, "%s/outside", base);
    CHECK_INT(mkdir(tree, 0755), 0);
    CHECK_INT(mkdir(outside, 0755), 0);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "  cleanup of %s failed\n", base);
}

static void put_file(int dir_fd, const char *name, const char *data)
{
    int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK_INT(write(fd, data, strlen(data)), (long long)strlen(data));
    close(fd);
}

static int count_entries(const char *path)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "find '%s' -mindepth 1 | wc -l > '%s.count'", path, base);
    if (system(cmd) != 0)
        return -1;
    snprintf(cmd, sizeof cmd, "%s.count", base);
    FILE *f = fopen(cmd, "r");
    int n = -1;
    if (f) {
        if (fscanf(f, "%d", &n) != 1)
            n = -1;
        fclose(f);
    }
    unlink(cmd);
    return n;
}

static int clean_tree(const char *keep)
{
    struct stat st;
    int fd = open(tree, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    CHECK_INT(fstat(fd, &st), 0);
    int r = rmtree_contents(fd, st.st_dev, keep);
    close(fd);
    return r;
}

TEST(rmtree_removes_symlinks_without_following_them)
{
    char p[160];
    setup();
    int out = open(outside, O_RDONLY | O_DIRECTORY);
    put_file(out, "precious", "keep me");
    CHECK_INT(mkdirat(out, "dir", 0755), 0);
    int sub = openat(out, "dir", O_RDONLY | O_DIRECTORY);
    put_file(sub, "inner", "keep me too");
    close(sub);
    close(out);
    int t = open(tree, O_RDONLY | O_DIRECTORY);
    snprintf(p, sizeof p, "%s/precious", outside);
    CHECK_INT(symlinkat(p, t, "link"), 0);
    snprintf(p, sizeof p, "%s/dir", outside);
    CHECK_INT(symlinkat(p, t, "dirlink"), 0);
    CHECK_INT(symlinkat("/etc", t, "etc"), 0);
    CHECK_INT(symlinkat("../outside", t, "rel"), 0);
    CHECK_INT(symlinkat("dangling-nowhere", t, "dangling"), 0);
    close(t);

    CHECK_INT(clean_tree(NULL), 0);
    CHECK_INT(count_entries(tree), 0);
    CHECK_INT(count_entries(outside), 3);
    snprintf(p, sizeof p, "%s/dir/inner", outside);
    CHECK_INT(access(p, F_OK), 0);
    CHECK_INT(access("/etc/passwd", F_OK), 0);
    teardown();
}

TEST(rmtree_deletes_a_tree_10000_levels_deep)
{
    setup();
    int fd = open(tree, O_RDONLY | O_DIRECTORY);
    for (int i = 0; i < 10000 && fd >= 0; i++) {
        CHECK_INT(mkdirat(fd, "d", 0755), 0);
        if (i % 1000 == 0)
            put_file(fd, "f", "x");
        int sub = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = sub;
    }
    CHECK(fd >= 0);
    put_file(fd, "bottom", "x");
    close(fd);

    CHECK_INT(clean_tree(NULL), 0);
    int t = open(tree, O_RDONLY | O_DIRECTORY);
    CHECK(faccessat(t, "d", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
    close(t);
    teardown();
}

TEST(rmtree_handles_any_bytes_in_names)
{
    const char *names[] = {"\n", "a\nb", "\xff\xfe",     "-rf",     "--", "...", " ",
                           "\\", "*",    "\x01\x1b[31m", ".hidden", "ü",  NULL};
    setup();
    int t = open(tree, O_RDONLY | O_DIRECTORY);
    for (const char **n = names; *n; n++) {
        CHECK_INT(mkdirat(t, *n, 0755), 0);
        int sub = openat(t, *n, O_RDONLY | O_DIRECTORY);
        put_file(sub, *n, "x");
        close(sub);
    }
    char longname[256];
    memset(longname, 'x', 255);
    longname[255] = '\0';
    put_file(t, longname, "x");
    close(t);
    CHECK_INT(clean_tree(NULL), 0);
    CHECK_INT(count_entries(tree), 0);
    teardown();
}

TEST(rmtree_removes_fifos_sockets_and_device_nodes)
{
    setup();
    int t = open(tree, O_RDONLY | O_DIRECTORY);
    CHECK_INT(mkfifoat(t, "fifo", 0644), 0);
    CHECK_INT(mknodat(t, "sock", S_IFSOCK | 0644, 0), 0);
    if (geteuid() == 0)
        CHECK_INT(mknodat(t, "null", S_IFCHR | 0666, makedev(1, 3)), 0);
    CHECK_INT(mkdirat(t, "locked", 0), 0); /* no permissions at all */
    int sub = openat(t, "locked", O_RDONLY | O_DIRECTORY);
    if (sub >= 0) { /* root */
        put_file(sub, "inside", "x");
        close(sub);
    }
    close(t);
    CHECK_INT(clean_tree(NULL), 0);
    CHECK_INT(count_entries(tree), 0);
    teardown();
}

TEST(rmtree_keeps_named_entry_and_other_devices)
{
    char p[160];
    setup();
    int t = open(tree, O_RDONLY | O_DIRECTORY);
    CHECK_INT(mkdirat(t, "sysroot", 0755), 0);
    int sub = openat(t, "sysroot", O_RDONLY | O_DIRECTORY);
    put_file(sub, "data", "x");
    close(sub);
    put_file(t, "junk", "x");
    close(t);
    CHECK_INT(clean_tree("sysroot"), 0);
    snprintf(p, sizeof p, "%s/sysroot/data", tree);
    CHECK_INT(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/junk", tree);
    CHECK(access(p, F_OK) < 0);

    /* Nothing lies on another device: all is left, and that is no failure. */
    struct stat st;
    t = open(tree, O_RDONLY | O_DIRECTORY);
    CHECK_INT(fstat(t, &st), 0);
    CHECK_INT(rmtree_contents(t, st.st_dev + 1, NULL), 0);
    close(t);
    snprintf(p, sizeof p, "%s/sysroot/data", tree);
    CHECK_INT(access(p, F_OK), 0);
    teardown();
}

TEST(rmtree_counts_immutable_files_and_goes_on)
{
    char p[160];
    int flags = 0;
    setup();
    int t = open(tree, O_RDONLY | O_DIRECTORY);
    CHECK_INT(mkdirat(t, "a", 0755), 0);
    CHECK_INT(mkdirat(t, "b", 0755), 0);
    int a = openat(t, "a", O_RDONLY | O_DIRECTORY);
    put_file(a, "stuck", "x");
    put_file(a, "loose", "x");
    put_file(t, "z", "x");
    int fd = openat(a, "stuck", O_RDONLY);
    bool immutable = fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 &&
                     (flags |= FS_IMMUTABLE_FL, ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0);
    if (!immutable) {
        if (fd >= 0)
            close(fd);
        close(a);
        close(t);
        teardown();
        SKIP("cannot set the immutable flag here (not root, or the filesystem lacks it)");
    }
    CHECK_INT(clean_tree(NULL), 1);
    snprintf(p, sizeof p, "%s/a/stuck", tree);
    CHECK_INT(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/a/loose", tree);
    CHECK(access(p, F_OK) < 0);
    snprintf(p, sizeof p, "%s/b", tree);
    CHECK(access(p, F_OK) < 0);
    snprintf(p, sizeof p, "%s/z", tree);
    CHECK(access(p, F_OK) < 0);
    flags &= ~FS_IMMUTABLE_FL;
    CHECK_INT(ioctl(fd, FS_IOC_SETFLAGS, &flags), 0);
    close(fd);
    close(a);
    close(t);
    teardown();
}

TEST(rmtree_on_a_bad_fd_is_an_error)
{
    CHECK_INT(rmtree_contents(-1, 0, NULL), -EBADF);
}

TEST(tmp_clean_empties_and_sets_sticky_mode)
{
    char p[160];
    struct stat st;
    if (geteuid() != 0)
        SKIP("tmp_clean chowns to root: needs root");
    setup();
    int out = open(outside, O_RDONLY | O_DIRECTORY);
    put_file(out, "precious", "keep me");
    close(out);
    int t = open(tree, O_RDONLY | O_DIRECTORY);
    snprintf(p, sizeof p, "%s/precious", outside);
    CHECK_INT(symlinkat(p, t, "link"), 0);
    CHECK_INT(symlinkat(outside, t, "dirlink"), 0);
    CHECK_INT(mkdirat(t, ".X11-unix", 01777), 0);
    put_file(t, "stale.pid", "1");
    CHECK_INT(fchmod(t, 0700), 0);
    close(t);

    CHECK_INT(tmp_clean(tree), 0);
    CHECK_INT(count_entries(tree), 0);
    CHECK_INT(count_entries(outside), 1);
    CHECK_INT(stat(tree, &st), 0);
    CHECK_INT(st.st_mode & 07777, 01777);
    CHECK_INT(st.st_uid, 0);
    CHECK_INT(st.st_gid, 0);
    CHECK_INT(stat(outside, &st), 0);
    CHECK_INT(st.st_mode & 07777, 0755);
    teardown();
}

TEST(tmp_clean_refuses_a_symlinked_dir)
{
    char p[160];
    setup();
    int out = open(outside, O_RDONLY | O_DIRECTORY);
    put_file(out, "precious", "keep me");
    close(out);
    snprintf(p, sizeof p, "%s/tmplink", base);
    CHECK_INT(symlink(outside, p), 0);
    int r = tmp_clean(p);
    CHECK(r == -ELOOP || r == -ENOTDIR);
    CHECK_INT(count_entries(outside), 1);
    CHECK_INT(tmp_clean("/tmp/sharedroot-no-such-dir"), -ENOENT);
    teardown();
}

int main(void)
{
    return test_main();
}
