// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmsg.h"
#include "rmtree.h"
#include "switchroot.h"
#include "testlib.h"

static char root[64];

static void mkroot(void)
{
    snprintf(root, sizeof root, "/tmp/test-switch-XXXXXX");
    CHECK(mkdtemp(root) != NULL);
    log_set_console_fd(-1);
}

static void put(const char *rel, mode_t mode)
{
    char p[256], dir[256];
    snprintf(p, sizeof p, "%s%s", root, rel);
    snprintf(dir, sizeof dir, "%s", p);
    for (char *s = dir + strlen(root) + 1; (s = strchr(s, '/')); s++) {
        *s = 0;
        mkdir(dir, 0755);
        *s = '/';
    }
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, mode);
    CHECK(fd >= 0);
    close(fd);
    chmod(p, mode);
}

static void rmroot(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
    log_set_console_fd(2);
}

static int find(const char *wanted, char *out)
{
    int fd = open(root, O_RDONLY | O_DIRECTORY);
    int r = switch_find_init(fd, wanted, out, PATH_MAX);
    close(fd);
    return r;
}

TEST(init_from_command_line_is_used)
{
    char out[PATH_MAX];
    mkroot();
    put("/sbin/init", 0755);
    put("/lib/systemd/systemd", 0755);
    CHECK_INT(find("/lib/systemd/systemd", out), 0);
    CHECK_STR(out, "/lib/systemd/systemd");
    rmroot();
}

TEST(missing_init_falls_back_to_defaults_in_order)
{
    char out[PATH_MAX];
    mkroot();
    put("/bin/sh", 0755);
    put("/etc/init", 0755);
    CHECK_INT(find("/nonexistent", out), 0);
    CHECK_STR(out, "/etc/init");
    rmroot();
}

TEST(non_executable_and_directories_are_skipped)
{
    char out[PATH_MAX];
    mkroot();
    put("/sbin/init", 0644);
    put("/etc/init/x", 0755); /* /etc/init is a directory */
    put("/bin/init", 0755);
    CHECK_INT(find(NULL, out), 0);
    CHECK_STR(out, "/bin/init");
    rmroot();
}

TEST(absolute_symlink_resolves_inside_the_new_root)
{
    char out[PATH_MAX], link[256];
    mkroot();
    /* /sbin/init -> /bin/busybox-in-root: exists only inside root, and /bin/true on the host
     * must not satisfy a link into the root. */
    put("/bin/busybox-in-root", 0755);
    put("/sbin/.keep", 0644);
    snprintf(link, sizeof link, "%s/sbin/init", root);
    CHECK(symlink("/bin/busybox-in-root", link) == 0);
    CHECK_INT(find(NULL, out), 0);
    CHECK_STR(out, "/sbin/init");
    unlink(link);
    CHECK(symlink("/usr/bin/true", link) == 0); /* exists on the host, not in root */
    CHECK_INT(find(NULL, out), -ENOENT);
    rmroot();
}

TEST(escaping_symlink_stays_in_root)
{
    char out[PATH_MAX], link[256];
    mkroot();
    put("/sbin/.keep", 0644);
    snprintf(link, sizeof link, "%s/sbin/init", root);
    CHECK(symlink("../../../../../../usr/bin/true", link) == 0);
    CHECK_INT(find(NULL, out), -ENOENT);
    rmroot();
}

TEST(chroot_fallback_resolves_inside_the_root)
{
    char link[256];
    struct stat st;
    mkroot();
    put("/bin/real-init", 0755);
    put("/sbin/.keep", 0644);
    snprintf(link, sizeof link, "%s/sbin/init", root);
    CHECK(symlink("/bin/real-init", link) == 0);
    int fd = open(root, O_RDONLY | O_DIRECTORY);
    CHECK_INT(switch_stat_in_root_chroot(fd, "/sbin/init", &st), 0);
    CHECK(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0755);
    unlink(link);
    CHECK(symlink("/usr/bin/true", link) == 0); /* on the host, not in the root */
    CHECK_INT(switch_stat_in_root_chroot(fd, "/sbin/init", &st), -ENOENT);
    close(fd);
    rmroot();
}

TEST(no_init_at_all_is_enoent)
{
    char out[PATH_MAX];
    mkroot();
    CHECK_INT(find("/sbin/init", out), -ENOENT);
    CHECK_INT(find("relative/init", out), -ENOENT);
    rmroot();
}

TEST(delete_tree_removes_files_and_keeps_named_entry)
{
    char p[256];
    struct stat st;
    mkroot();
    put("/a/b/c", 0644);
    put("/sysroot/keep", 0644);
    put("/top", 0644);
    snprintf(p, sizeof p, "%s/link", root);
    CHECK(symlink("/etc/passwd", p) == 0);
    int fd = open(root, O_RDONLY | O_DIRECTORY);
    CHECK(fstat(fd, &st) == 0);
    CHECK_INT(rmtree_contents(fd, st.st_dev, "sysroot"), 0);
    close(fd);
    snprintf(p, sizeof p, "%s/a", root);
    CHECK(access(p, F_OK) != 0);
    snprintf(p, sizeof p, "%s/sysroot/keep", root);
    CHECK(access(p, F_OK) == 0);
    CHECK(access("/etc/passwd", F_OK) == 0); /* the symlink was removed, not followed */
    rmroot();
}

TEST(delete_tree_does_not_cross_devices)
{
    char p[256];
    struct stat st;
    mkroot();
    put("/x", 0644);
    int fd = open(root, O_RDONLY | O_DIRECTORY);
    CHECK(fstat(fd, &st) == 0);
    /* Pretend the tree is on another device: nothing may be removed. */
    CHECK_INT(rmtree_contents(fd, st.st_dev + 1, NULL), 0);
    close(fd);
    snprintf(p, sizeof p, "%s/x", root);
    CHECK(access(p, F_OK) == 0);
    rmroot();
}

int main(void)
{
    return test_main();
}
