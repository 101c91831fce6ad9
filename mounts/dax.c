// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DAX for the shared base. See dax.h.
 */
#include "dax.h"

#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io-util.h"

/* Filesystems that can map a file straight from a dax device, the option that asks for it,
 * and whether libblkid's BLOCK_SIZE is their block size. ext2 knows only the old "dax"; the
 * others take "dax=always" (since 5.10, erofs 5.15), which their mountinfo shows when it
 * took effect. */
static const struct {
    const char *type;
    const char *option;
    bool blkid_bsize;
} dax_types[] = {
    {"ext4", "dax=always", true},
    {"ext2", "dax", true},
    {"erofs", "dax=always", true},
    {"xfs", "dax=always", false},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int dax_type(const char *fstype)
{
    for (size_t i = 0; fstype && i < ARRAY_SIZE(dax_types); i++)
        if (strcmp(dax_types[i].type, fstype) == 0)
            return (int)i;
    return -1;
}

int dax_mode_parse(const char *value)
{
    static const char *const names[] = {
        [DAX_AUTO] = "auto", [DAX_ALWAYS] = "always", [DAX_OFF] = "off"};

    if (!value)
        return DAX_AUTO;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcmp(names[i], value) == 0)
            return (int)i;
    return -EINVAL;
}

static enum dax_verdict say(enum dax_verdict v, const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return v;
}

enum dax_verdict dax_decide(enum dax_mode mode, const struct dax_facts *f, const char **option,
                            const char **why)
{
    bool always = mode == DAX_ALWAYS;
    enum dax_verdict cannot = always ? DAX_ERROR : DAX_WARN;
    int t = dax_type(f->fstype);

    if (option)
        *option = NULL;
    if (why)
        *why = NULL;
    if (mode == DAX_OFF || f->user_dax)
        return DAX_NO;
    if (f->dev_dax != 1)
        /* Not a pmem root: the usual case, nothing to say unless dax was demanded. */
        return always ? say(DAX_ERROR, why,
                            "the root device does not offer dax: attach the base as a "
                            "virtio-pmem device (QEMU memory-backend-file and virtio-pmem-pci) "
                            "or boot with sharedroot.dax=auto")
                      : DAX_NO;
    if (t < 0)
        return say(cannot, why,
                   "this filesystem type cannot use dax; every guest reads the base through "
                   "its own page cache. Build the base as ext4 or erofs with 4096-byte blocks "
                   "(sharedroot-mkbase), or boot with sharedroot.dax=off to silence this");
    if (f->fs_bsize && f->page_size && f->fs_bsize != f->page_size)
        return say(cannot, why,
                   "the filesystem's block size is not the page size, and dax maps whole "
                   "pages; rebuild the base with 4096-byte blocks (sharedroot-mkbase, or "
                   "mkfs.ext4 -b 4096), or boot with sharedroot.dax=off to silence this");
    if (f->misaligned == 1)
        return say(cannot, why,
                   "the partition does not start and end on a page boundary (4096 bytes), and "
                   "the kernel maps only page-aligned partitions with dax; re-create the "
                   "partition table with partitions aligned to 1 MiB (sfdisk's and parted's "
                   "default) and copy the filesystem into it, or boot with sharedroot.dax=off "
                   "to silence this");
    if (option)
        *option = dax_types[t].option;
    return DAX_USE;
}

bool dax_in_options(const char *opts)
{
    char *value = NULL;
    size_t valsz = 0;

    if (!opts || mnt_optstr_get_option(opts, "dax", &value, &valsz) != 0)
        return false;
    return !(value && valsz == 5 && strncmp(value, "never", 5) == 0);
}

/* 1 or 0 from a sysfs flag file, -ENOENT when there is none */
static int read_flag(const char *path)
{
    char buf[8];
    ssize_t n = read_small_file_at(AT_FDCWD, path, buf, sizeof buf);

    return n < 0 ? (int)n : buf[0] == '1';
}

/* The sysfs name of /dev/NAME, NULL when it cannot be one */
static const char *block_name(const char *dev)
{
    const char *name = strrchr(dev, '/');

    name = name ? name + 1 : dev;
    if (!*name || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
        return NULL;
    return name;
}

int dax_device_supported(const char *sysfs, const char *dev)
{
    char path[PATH_MAX];
    const char *name = block_name(dev);
    int r;

    if (!name)
        return -EINVAL;
    if (!sysfs)
        sysfs = "/sys";
    if ((size_t)snprintf(path, sizeof path, "%s/class/block/%s/queue/dax", sysfs, name) >=
        sizeof path)
        return -ENAMETOOLONG;
    r = read_flag(path);
    if (r != -ENOENT)
        return r;
    /* A partition has no queue of its own: its disk's says (the partition's sysfs directory
     * is inside the disk's). The kernel maps a partition with dax when the disk offers it
     * and the partition is page-aligned; when not, it refuses the dax mount. */
    snprintf(path, sizeof path, "%s/class/block/%s/partition", sysfs, name);
    if (access(path, F_OK) != 0)
        return 0;
    snprintf(path, sizeof path, "%s/class/block/%s/../queue/dax", sysfs, name);
    r = read_flag(path);
    return r == -ENOENT ? 0 : r;
}

/* A number from a sysfs file; -ENOENT when there is none, -EINVAL when it is not one */
static int read_number(const char *path, unsigned long long *v)
{
    char buf[32], *end;
    ssize_t n = read_small_file_at(AT_FDCWD, path, buf, sizeof buf);

    if (n < 0)
        return (int)n;
    if (n == 0)
        return -EIO;
    errno = 0;
    *v = strtoull(buf, &end, 10);
    if (errno || end == buf || (*end && *end != '\n') || buf[0] == '-')
        return -EINVAL;
    return 0;
}

int dax_partition_misaligned(const char *sysfs, const char *dev, unsigned long page_size,
                             unsigned long long *start, unsigned long long *sectors)
{
    char path[PATH_MAX];
    const char *name = block_name(dev);
    unsigned long long s = 0, n = 0, per_page = page_size / 512;
    int r;

    if (!name || per_page == 0)
        return -EINVAL;
    if (!sysfs)
        sysfs = "/sys";
    if ((size_t)snprintf(path, sizeof path, "%s/class/block/%s/partition", sysfs, name) >=
        sizeof path)
        return -ENAMETOOLONG;
    if (access(path, F_OK) != 0)
        return errno == ENOENT ? 0 : -errno;
    snprintf(path, sizeof path, "%s/class/block/%s/start", sysfs, name);
    r = read_number(path, &s);
    if (r < 0)
        return r;
    snprintf(path, sizeof path, "%s/class/block/%s/size", sysfs, name);
    r = read_number(path, &n);
    if (r < 0)
        return r;
    if (start)
        *start = s;
    if (sectors)
        *sectors = n;
    return s % per_page != 0 || n % per_page != 0;
}

unsigned long dax_probe_fs_bsize(const char *dev, const char *fstype)
{
    int t = dax_type(fstype);
    unsigned long bsize = 0;
    const char *val = NULL;
    blkid_probe pr;

    if (t < 0 || !dax_types[t].blkid_bsize)
        return 0;
    pr = blkid_new_probe_from_filename(dev);
    if (!pr)
        return 0;
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
    blkid_probe_enable_partitions(pr, 0);
    if (blkid_do_safeprobe(pr) == 0 &&
        blkid_probe_lookup_value(pr, "BLOCK_SIZE", &val, NULL) == 0 && val) {
        char *end;
        errno = 0;
        bsize = strtoul(val, &end, 10);
        if (errno || *end || bsize > (1UL << 20))
            bsize = 0;
    }
    blkid_free_probe(pr);
    return bsize;
}

int dax_mounted(const char *target)
{
    struct libmnt_table *tb = mnt_new_table();
    struct libmnt_fs *fs;
    int r;

    if (!tb)
        return -ENOMEM;
    if (mnt_table_parse_file(tb, "/proc/self/mountinfo") < 0) {
        mnt_unref_table(tb);
        return -EIO;
    }
    fs = mnt_table_find_target(tb, target, MNT_ITER_BACKWARD);
    r = fs ? dax_in_options(mnt_fs_get_fs_options(fs)) : -ENOENT;
    mnt_unref_table(tb);
    return r;
}

/* A namespace with a size and no driver bound: nd_pmem refused it. */
static bool namespace_unbound(int dirfd, const char *name)
{
    char sub[NAME_MAX + 16], size[32] = "";
    int fd;
    ssize_t n;

    if ((size_t)snprintf(sub, sizeof sub, "%s/driver", name) >= sizeof sub ||
        faccessat(dirfd, sub, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return false;
    snprintf(sub, sizeof sub, "%s/size", name);
    fd = openat(dirfd, sub, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, size, sizeof size - 1);
    close(fd);
    return n > 0 && strtoull(size, NULL, 10) > 0;
}

int dax_unmapped_namespace(const char *sysfs, char *name, size_t n)
{
    char path[PATH_MAX];
    struct dirent *e;
    DIR *d;
    int found = 0;

    snprintf(path, sizeof path, "%s/bus/nd/devices", sysfs ? sysfs : "/sys");
    d = opendir(path);
    if (!d)
        return 0;
    while (!found && (e = readdir(d)))
        if (strncmp(e->d_name, "namespace", 9) == 0 && namespace_unbound(dirfd(d), e->d_name)) {
            snprintf(name, n, "%s", e->d_name);
            found = 1;
        }
    closedir(d);
    return found;
}
