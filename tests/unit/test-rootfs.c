// SPDX-License-Identifier: GPL-2.0-or-later
/* Mount options for the shared root: journal replay off, read-only, hostile rootflags=. */
#include "rootfs.h"
#include "testlib.h"

#include <errno.h>
#include <sys/mount.h>
#include <unistd.h>

#include "why.h"

struct opts {
    int r;
    unsigned long flags;
    char data[256];
    char why[WHY_MAX];
};

static struct opts options(const char *fstype, const char *user, bool rw, bool maintenance)
{
    struct opts o = {.flags = 0xdead};
    o.r = rootfs_options(fstype, user, rw, maintenance, &o.flags, o.data, sizeof(o.data), o.why,
                         sizeof(o.why));
    return o;
}

TEST(ext4_gets_noload_and_ro)
{
    struct opts o = options("ext4", NULL, false, false);
    CHECK_INT(o.r, 0);
    CHECK_INT(o.flags, MS_RDONLY);
    CHECK_STR(o.data, "noload");
}

TEST(ext3_gets_noload)
{
    struct opts o = options("ext3", NULL, false, false);
    CHECK_INT(o.r, 0);
    CHECK_STR(o.data, "noload");
}

TEST(ext2_gets_no_noload)
{
    struct opts o = options("ext2", NULL, false, false);
    CHECK_INT(o.r, 0);
    CHECK_INT(o.flags, MS_RDONLY);
    CHECK_STR(o.data, "");
}

TEST(xfs_gets_norecovery)
{
    struct opts o = options("xfs", NULL, false, false);
    CHECK_INT(o.r, 0);
    CHECK_INT(o.flags, MS_RDONLY);
    CHECK_STR(o.data, "norecovery");
}

TEST(readonly_formats_get_no_data)
{
    static const char *const types[] = {"erofs", "squashfs", "iso9660"};
    for (size_t i = 0; i < 3; i++) {
        struct opts o = options(types[i], NULL, false, false);
        CHECK_INT(o.r, 0);
        CHECK_INT(o.flags, MS_RDONLY);
        CHECK_STR(o.data, "");
    }
}

TEST(unknown_fstype_refused_outside_maintenance)
{
    struct opts o = options("reiserfs", NULL, false, false);
    CHECK_INT(o.r, -EOPNOTSUPP);
    CHECK(o.why[0] != 0);
    o = options("reiserfs", NULL, false, true);
    CHECK_INT(o.r, 0);
}

TEST(empty_fstype_refused)
{
    CHECK_INT(options("", NULL, false, false).r, -EINVAL);
    CHECK_INT(options(NULL, NULL, false, false).r, -EINVAL);
}

TEST(rootflags_appended_after_noload)
{
    struct opts o = options("ext4", "errors=remount-ro,data=ordered", false, false);
    CHECK_INT(o.r, 0);
    CHECK_STR(o.data, "noload,errors=remount-ro,data=ordered");
    o = options("erofs", "user_xattr", false, false);
    CHECK_STR(o.data, "user_xattr");
}

TEST(generic_rootflags_become_flags)
{
    struct opts o = options("ext4", "noatime,nodev,commit=5", false, false);
    CHECK_INT(o.r, 0);
    CHECK_INT(o.flags, MS_RDONLY | MS_NOATIME | MS_NODEV);
    CHECK_STR(o.data, "noload,commit=5");
}

TEST(userspace_rootflags_dropped)
{
    struct opts o = options("ext4", "defaults,x-foo=1", false, false);
    CHECK_INT(o.r, 0);
    CHECK_STR(o.data, "noload");
}

TEST(rw_ignored_outside_maintenance)
{
    struct opts o = options("ext4", NULL, true, false);
    CHECK_INT(o.r, 0);
    CHECK_INT(o.flags, MS_RDONLY);
    CHECK_STR(o.data, "noload");
}

TEST(rw_honoured_in_maintenance)
{
    struct opts o = options("ext4", NULL, true, true);
    CHECK_INT(o.r, 0);
    CHECK_INT(o.flags, 0);
    /* A read-write mount must replay the journal. */
    CHECK_STR(o.data, "");
}

TEST(maintenance_ro_mounts_like_a_plain_boot)
{
    struct opts o = options("ext4", NULL, false, true);
    CHECK_INT(o.r, 0);
    CHECK_INT(o.flags, MS_RDONLY);
    CHECK_STR(o.data, "");
}

TEST(rootflags_rw_refused_outside_maintenance)
{
    static const char *const hostile[] = {"rw", "errors=remount-ro,rw", "ro,rw", ",rw,"};
    for (size_t i = 0; i < 4; i++) {
        struct opts o = options("ext4", hostile[i], false, false);
        CHECK_INT(o.r, -EINVAL);
        CHECK(o.why[0] != 0);
        CHECK_STR(o.data, "");
    }
}

TEST(rootflags_rw_allowed_in_maintenance)
{
    struct opts o = options("ext4", "rw", false, true);
    CHECK_INT(o.r, 0);
    CHECK_INT(o.flags, 0);
    CHECK_STR(o.data, "");
}

TEST(rootflags_operation_changers_refused)
{
    static const char *const hostile[] = {"bind", "remount", "slave", "shared", "rbind", "private"};
    for (size_t i = 0; i < 6; i++) {
        CHECK_INT(options("ext4", hostile[i], false, false).r, -EINVAL);
        CHECK_INT(options("ext4", hostile[i], false, true).r, -EINVAL);
    }
}

TEST(rootflags_commas_do_not_smuggle_options)
{
    struct opts o = options("ext4", ",,commit=5,,", false, false);
    CHECK_INT(o.r, 0);
    CHECK_STR(o.data, "noload,commit=5");
    /* A comma inside quotes stays inside the value; "rw" there is not an option. */
    o = options("ext4", "context=\"a,rw\"", false, false);
    CHECK_INT(o.r, 0);
    CHECK_STR(o.data, "noload,context=\"a,rw\"");
}

TEST(rootflags_control_bytes_refused)
{
    CHECK_INT(options("ext4", "commit=5\n", false, false).r, -EINVAL);
    CHECK_INT(options("ext4", "a\x01", false, false).r, -EINVAL);
}

TEST(rootflags_overlong_refused)
{
    char big[1000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    struct opts o = options("ext4", big, false, false);
    CHECK_INT(o.r, -ENAMETOOLONG);
    CHECK(o.why[0] != 0);
}

TEST(data_buffer_too_small_is_enametoolong)
{
    unsigned long flags;
    char data[8];
    char why[WHY_MAX];
    CHECK_INT(rootfs_options("ext4", "commit=5", false, false, &flags, data, sizeof(data), why,
                             sizeof(why)),
              -ENAMETOOLONG);
    CHECK_INT(rootfs_options("xfs", NULL, false, false, &flags, data, 4, why, sizeof(why)),
              -ENAMETOOLONG);
    CHECK_INT(rootfs_options("ext4", NULL, false, false, &flags, data, 7, why, sizeof(why)), 0);
    CHECK_STR(data, "noload");
}

TEST(mount_names_blkroset_when_the_device_cannot_be_made_read_only)
{
    /* a regular file is no block device: BLKROSET fails before any mount is tried */
    char path[] = "/tmp/sharedroot-test-rootfs.XXXXXX", why[WHY_MAX] = "";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    int r = rootfs_mount(path, "ext4", NULL, false, false, "/nonexistent", why, sizeof(why));
    unlink(path);
    CHECK(r < 0);
    CHECK(strstr(why, "BLKROSET") != NULL);
    CHECK(strstr(why, path) != NULL);
    CHECK(strstr(why, "rootfstype") == NULL);
}

TEST(set_readonly_of_missing_device_fails)
{
    CHECK_INT(rootfs_set_readonly("/dev/does-not-exist-sharedroot"), -ENOENT);
}

int main(void)
{
    return test_main();
}
