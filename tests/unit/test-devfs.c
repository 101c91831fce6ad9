// SPDX-License-Identifier: GPL-2.0-or-later
/* devfs: DEVNAME checks, /proc/filesystems parsing, and devfs_sync against a fake sysfs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devfs.h"
#include "testlib.h"

TEST(devname_accepts_kernel_names)
{
    const char *good[] = {
        "vda",  "vda1",      "loop0", "input/event0",   "dri/card0", "bus/usb/001/002",
        "xvda", "nvme0n1p1", "tty1",  "mapper/control", "a.b",       "..a",
        "a..",  NULL};
    for (const char **g = good; *g; g++) {
        if (!devfs_devname_valid(*g))
            fprintf(stderr, "  rejected '%s'\n", *g);
        CHECK(devfs_devname_valid(*g));
    }
}

TEST(devname_rejects_escapes_and_junk)
{
    const char *bad[] = {"",     "/",   "/etc/passwd", "..",   ".",  "../etc", "a/../../etc",
                         "a/..", "./a", "a/./b",       "a//b", "a/", "tty\n",  "a\tb",
                         "\x7f", NULL};
    for (const char **b = bad; *b; b++) {
        if (devfs_devname_valid(*b))
            fprintf(stderr, "  accepted '%s'\n", *b);
        CHECK(!devfs_devname_valid(*b));
    }
    char longname[300];
    memset(longname, 'a', 256);
    longname[256] = '\0';
    CHECK(!devfs_devname_valid(longname));
    longname[255] = '\0';
    CHECK(devfs_devname_valid(longname));
}

TEST(filesystems_list_parsing)
{
    const char *text = "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\tdevtmpfs\n";
    CHECK(devfs_filesystems_list(text, "devtmpfs"));
    CHECK(devfs_filesystems_list(text, "ext4"));
    CHECK(devfs_filesystems_list(text, "tmpfs"));
    CHECK(!devfs_filesystems_list(text, "devtmp"));
    CHECK(!devfs_filesystems_list(text, "nodev"));
    CHECK(!devfs_filesystems_list("nodev\tdevtmpfsx\n", "devtmpfs"));
    CHECK(devfs_filesystems_list("nodev\tdevtmpfs", "devtmpfs")); /* no final newline */
    CHECK(!devfs_filesystems_list("", "devtmpfs"));
}

static char base[64], sys[96], dev[96];

static void setup(void)
{
    snprintf(base, sizeof base, "/tmp/test-devfs-XXXXXX");
    CHECK(mkdtemp(base) != NULL);
    snprintf(sys, sizeof sys, "%s/sys", base);
    snprintf(dev, sizeof dev, "%s/dev", base);
    CHECK_INT(mkdir(sys, 0755), 0);
    CHECK_INT(mkdir(dev, 0755), 0);
    char p[200];
    snprintf(p, sizeof p, "%s/dev", sys);
    CHECK_INT(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/dev/block", sys);
    CHECK_INT(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/dev/char", sys);
    CHECK_INT(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/devices", sys);
    CHECK_INT(mkdir(p, 0755), 0);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "  cleanup of %s failed\n", base);
}

/* A device in the fake sysfs: devices/ID/uevent and dev/KIND/LINKNAME -> ../../devices/ID. */
static void fake_device(const char *kind, const char *linkname, const char *id, const char *uevent)
{
    char p[300], target[200];
    snprintf(p, sizeof p, "%s/devices/%s", sys, id);
    CHECK_INT(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/devices/%s/uevent", sys, id);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(uevent, f);
        fclose(f);
    }
    snprintf(p, sizeof p, "%s/dev/%s/%s", sys, kind, linkname);
    snprintf(target, sizeof target, "../../devices/%s", id);
    CHECK_INT(symlink(target, p), 0);
}

static void check_node(const char *name, mode_t type, unsigned ma, unsigned mi, mode_t mode,
                       gid_t gid)
{
    char p[300];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dev, name);
    if (lstat(p, &st) < 0) {
        fprintf(stderr, "  %s missing\n", name);
        test_failed_now = 1;
        return;
    }
    if ((st.st_mode & S_IFMT) != type || major(st.st_rdev) != ma || minor(st.st_rdev) != mi ||
        (st.st_mode & 07777) != mode || st.st_gid != gid) {
        fprintf(stderr, "  %s: mode %o rdev %u:%u gid %u\n", name, st.st_mode, major(st.st_rdev),
                minor(st.st_rdev), st.st_gid);
        test_failed_now = 1;
    }
}

TEST(sync_creates_nodes_from_fake_sysfs)
{
    struct devfs_sync_stats s;
    if (geteuid() != 0)
        SKIP("mknod needs root");
    setup();
    fake_device("block", "253:0", "vda", "MAJOR=253\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n");
    fake_device("block", "253:1", "vda1", "MAJOR=253\nMINOR=1\nDEVNAME=vda1\n");
    fake_device("char", "13:64", "event0", "MAJOR=13\nMINOR=64\nDEVNAME=input/event0\n");
    fake_device("char", "226:0", "card0", "MAJOR=226\nMINOR=0\nDEVNAME=dri/card0\n");
    fake_device("char", "1:3", "null", "MAJOR=1\nMINOR=3\nDEVNAME=null\nDEVMODE=0666\n");
    fake_device("char", "4:1", "tty1", "MAJOR=4\nMINOR=1\nDEVNAME=tty1\n");
    fake_device("char", "10:229", "fuse", "MAJOR=10\nMINOR=229\nDEVNAME=fuse\nDEVMODE=0666\n");
    mode_t old = umask(077);
    CHECK_INT(devfs_sync_full(dev, sys, &s), 7);
    umask(old);
    CHECK_INT(s.failed, 0);
    CHECK_INT(s.skipped, 0);
    check_node("vda", S_IFBLK, 253, 0, 0660, 6);
    check_node("vda1", S_IFBLK, 253, 1, 0660, 6);
    check_node("input/event0", S_IFCHR, 13, 64, 0600, 0);
    check_node("dri/card0", S_IFCHR, 226, 0, 0600, 0);
    check_node("null", S_IFCHR, 1, 3, 0666, 0);
    check_node("tty1", S_IFCHR, 4, 1, 0620, 5);
    check_node("fuse", S_IFCHR, 10, 229, 0666, 0);
    check_node("input", S_IFDIR, 0, 0, 0755, 0);

    /* Idempotent: a second pass creates nothing. */
    CHECK_INT(devfs_sync_full(dev, sys, &s), 0);
    CHECK_INT(s.existing, 7);
    teardown();
}

TEST(sync_replaces_wrong_nodes)
{
    char p[300];
    struct devfs_sync_stats s;
    if (geteuid() != 0)
        SKIP("mknod needs root");
    setup();
    fake_device("block", "253:0", "vda", "MAJOR=253\nMINOR=0\nDEVNAME=vda\n");
    fake_device("block", "253:1", "vda1", "MAJOR=253\nMINOR=1\nDEVNAME=vda1\n");
    fake_device("block", "253:2", "vda2", "MAJOR=253\nMINOR=2\nDEVNAME=vda2\n");
    snprintf(p, sizeof p, "%s/vda", dev);
    CHECK_INT(mknod(p, S_IFBLK | 0600, makedev(253, 7)), 0); /* wrong numbers */
    snprintf(p, sizeof p, "%s/vda1", dev);
    CHECK_INT(mknod(p, S_IFCHR | 0600, makedev(253, 1)), 0); /* wrong type */
    snprintf(p, sizeof p, "%s/vda2", dev);
    CHECK_INT(symlink("/dev/null", p), 0); /* a symlink */
    CHECK_INT(devfs_sync_full(dev, sys, &s), 3);
    CHECK_INT(s.replaced, 3);
    check_node("vda", S_IFBLK, 253, 0, 0660, 6);
    check_node("vda1", S_IFBLK, 253, 1, 0660, 6);
    check_node("vda2", S_IFBLK, 253, 2, 0660, 6);
    teardown();
}

TEST(sync_never_writes_outside_devdir)
{
    char p[300];
    struct devfs_sync_stats s;
    struct stat st;
    if (geteuid() != 0)
        SKIP("mknod needs root");
    setup();
    snprintf(p, sizeof p, "%s/outside", base);
    CHECK_INT(mkdir(p, 0755), 0);
    /* A planted symlink where a subdirectory should be. */
    snprintf(p, sizeof p, "%s/input", dev);
    char target[200];
    snprintf(target, sizeof target, "%s/outside", base);
    CHECK_INT(symlink(target, p), 0);
    fake_device("char", "13:64", "event0", "MAJOR=13\nMINOR=64\nDEVNAME=input/event0\n");
    fake_device("char", "1:1", "mem", "MAJOR=1\nMINOR=1\nDEVNAME=../outside/mem\n");
    fake_device("char", "1:2", "kmem", "MAJOR=1\nMINOR=2\nDEVNAME=/tmp/kmem-sharedroot\n");
    fake_device("char", "1:4", "port", "MAJOR=1\nMINOR=4\nDEVNAME=a/../../outside/port\n");
    fake_device("char", "1:5", "zero", "MAJOR=1\nMINOR=6\nDEVNAME=zero\n"); /* numbers lie */
    fake_device("char", "1:7", "full", "MAJOR=1\nMINOR=7\n");               /* no DEVNAME */
    fake_device("char", "notadev", "junk", "MAJOR=1\nMINOR=8\nDEVNAME=junk\n");
    CHECK_INT(devfs_sync_full(dev, sys, &s), 0);
    CHECK_INT(s.skipped, 6);
    CHECK_INT(s.failed, 0);
    snprintf(p, sizeof p, "%s/outside", base);
    CHECK_INT(rmdir(p), 0); /* still empty */
    CHECK(lstat("/tmp/kmem-sharedroot", &st) < 0);
    snprintf(p, sizeof p, "%s/junk", dev);
    CHECK(lstat(p, &st) < 0);
    teardown();
}

TEST(sync_without_sysfs_is_an_error)
{
    setup();
    CHECK_INT(devfs_sync(dev, "/tmp/sharedroot-no-such-sysfs"), -ENOENT);
    CHECK_INT(devfs_sync("/tmp/sharedroot-no-such-dev", sys), -ENOENT);
    teardown();
}

int main(void)
{
    return test_main();
}
