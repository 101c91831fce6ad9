// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Block device specs: parsing, resolving by probing every block device with libblkid, and
 * filesystem type probing.
 *
 * Resolving does not use the blkid cache file nor /dev/disk/by-* (no udevd in the
 * initramfs): it walks /sys/class/block afresh on every call, so a device that appeared since
 * the last call is seen, and probes each one. That is a few reads per device, cheap next to
 * the time the devices take to appear.
 */
#include "blockdev.h"

#include <blkid.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "io-util.h"
#include "nbd-spec.h"
#include "why.h"

/* Floppy drives: opening /dev/fdN without a disk takes seconds per drive. */
#define FLOPPY_MAJOR 2

static const struct {
    enum blockdev_spec_kind kind;
    const char *tag;     /* as written in root= and as libblkid names it */
    const char *blkid;   /* the libblkid probe value to compare with */
    bool partition;      /* from the partition table, not the filesystem */
    bool case_sensitive; /* labels are text; UUIDs are hex and compared like the kernel does */
} spec_tags[] = {
    {SPEC_UUID, "UUID", "UUID", false, false},
    {SPEC_LABEL, "LABEL", "LABEL", false, true},
    {SPEC_PARTUUID, "PARTUUID", "PART_ENTRY_UUID", true, false},
    {SPEC_PARTLABEL, "PARTLABEL", "PART_ENTRY_NAME", true, true},
};

#define N_TAGS (sizeof(spec_tags) / sizeof(spec_tags[0]))

const char *blockdev_spec_tag(enum blockdev_spec_kind kind)
{
    for (size_t i = 0; i < N_TAGS; i++)
        if (spec_tags[i].kind == kind)
            return spec_tags[i].tag;
    return NULL;
}

static int tag_index(enum blockdev_spec_kind kind)
{
    for (size_t i = 0; i < N_TAGS; i++)
        if (spec_tags[i].kind == kind)
            return (int)i;
    return -1;
}

static bool has_control_bytes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (iscntrl((unsigned char)s[i]))
            return true;
    return false;
}

/* Store value[0..n) into out->value, stripping one pair of matching quotes. */
static int parse_value(const char *v, struct blockdev_spec *out, char *why, size_t why_n)
{
    size_t n = strlen(v);

    if (n > 0 && (v[0] == '"' || v[0] == '\'')) {
        if (n < 2 || v[n - 1] != v[0])
            return why_fail(why, why_n, -EINVAL, "unbalanced quote in the device tag value");
        v++;
        n -= 2;
        if (memchr(v, v[-1], n))
            return why_fail(why, why_n, -EINVAL, "quote inside a quoted device tag value");
    }
    if (n == 0)
        return why_fail(why, why_n, -EINVAL,
                        "empty device tag value (write e.g. UUID=0a1b... or LABEL=name)");
    if (n >= sizeof(out->value))
        return why_fail(why, why_n, -EINVAL, "device tag value longer than 255 bytes");
    if (has_control_bytes(v, n))
        return why_fail(why, why_n, -EINVAL, "control character in the device tag value");
    memcpy(out->value, v, n);
    out->value[n] = '\0';
    return 0;
}

static bool looks_like_devnum(const char *s)
{
    /* The kernel also takes "0801" (hex major/minor) and "8:1"; we need a name to probe. */
    size_t hex = strspn(s, "0123456789abcdefABCDEF");
    if (s[hex] == '\0')
        return true;
    size_t maj = strspn(s, "0123456789");
    return maj > 0 && s[maj] == ':' && s[maj + 1] != '\0' &&
           s[maj + 1 + strspn(s + maj + 1, "0123456789")] == '\0';
}

/* udev's /dev/disk/by-* links do not exist without udev (the initramfs has none), but boot
 * loaders write them into root=: read them as the tag they stand for. udev escapes bytes
 * outside its safe set as \xHH. */
static const struct {
    const char *dir;
    enum blockdev_spec_kind kind;
} by_links[] = {
    {"/dev/disk/by-uuid/", SPEC_UUID},
    {"/dev/disk/by-label/", SPEC_LABEL},
    {"/dev/disk/by-partuuid/", SPEC_PARTUUID},
    {"/dev/disk/by-partlabel/", SPEC_PARTLABEL},
};

static int parse_by_link(const char *spec, struct blockdev_spec *out, char *why, size_t why_n)
{
    for (size_t i = 0; i < sizeof(by_links) / sizeof(by_links[0]); i++) {
        size_t dl = strlen(by_links[i].dir), o = 0;
        if (strncmp(spec, by_links[i].dir, dl) != 0)
            continue;
        const char *v = spec + dl;
        if (!*v || strchr(v, '/'))
            return why_fail(why, why_n, -EINVAL,
                            "a /dev/disk/by-* link needs one name after the directory");
        for (; *v; o++) {
            unsigned int byte;
            if (o + 1 >= sizeof(out->value))
                return why_fail(why, why_n, -EINVAL, "device path longer than 255 bytes");
            if (v[0] == '\\' && v[1] == 'x' && sscanf(v + 2, "%2x", &byte) == 1 &&
                isxdigit((unsigned char)v[2]) && isxdigit((unsigned char)v[3])) {
                out->value[o] = (char)byte;
                v += 4;
            } else {
                out->value[o] = *v++;
            }
        }
        out->value[o] = 0;
        if (has_control_bytes(out->value, o) || memchr(out->value, 0, o))
            return why_fail(why, why_n, -EINVAL, "control character in the device path");
        out->kind = by_links[i].kind;
        return 1;
    }
    return 0;
}

int blockdev_spec_parse(const char *spec, struct blockdev_spec *out, char *why, size_t why_n)
{
    if (!spec || spec[0] == '\0')
        return why_fail(why, why_n, -EINVAL,
                        "empty device spec (write /dev/NAME, UUID=, LABEL=, PARTUUID= or "
                        "PARTLABEL=)");
    memset(out, 0, sizeof(*out));

    if (nbd_spec_is(spec)) {
        struct nbd_spec nbd;
        const char *nbd_why = NULL;
        if (nbd_spec_parse(spec, &nbd, &nbd_why) < 0)
            return why_fail(why, why_n, -EINVAL, "%s", nbd_why ? nbd_why : "malformed nbd: spec");
        if (strlen(spec) >= sizeof(out->value))
            return why_fail(why, why_n, -EINVAL, "NBD spec longer than 255 bytes");
        out->kind = SPEC_NBD;
        strcpy(out->value, spec);
        return 0;
    }
    if (spec[0] == '/') {
        int r = parse_by_link(spec, out, why, why_n);
        if (r != 0)
            return r < 0 ? r : 0;
        size_t n = strlen(spec);
        if (n >= sizeof(out->value))
            return why_fail(why, why_n, -EINVAL, "device path longer than 255 bytes");
        if (has_control_bytes(spec, n))
            return why_fail(why, why_n, -EINVAL, "control character in the device path");
        out->kind = SPEC_PATH;
        memcpy(out->value, spec, n + 1);
        return 0;
    }

    const char *eq = strchr(spec, '=');
    if (!eq) {
        if (looks_like_devnum(spec))
            return why_fail(why, why_n, -EINVAL,
                            "major:minor device numbers are not supported; use /dev/NAME, "
                            "UUID= or PARTUUID=");
        return why_fail(why, why_n, -EINVAL,
                        "device spec is neither an absolute path (/dev/NAME) nor TAG=value");
    }
    size_t taglen = (size_t)(eq - spec);
    for (size_t i = 0; i < N_TAGS; i++) {
        if (strlen(spec_tags[i].tag) != taglen || strncasecmp(spec, spec_tags[i].tag, taglen))
            continue;
        out->kind = spec_tags[i].kind;
        if (out->kind == SPEC_PARTUUID && strchr(eq + 1, '/'))
            return why_fail(why, why_n, -EINVAL,
                            "PARTUUID=.../PARTNROFF= is not supported; name the partition "
                            "itself");
        return parse_value(eq + 1, out, why, why_n);
    }
    return why_fail(why, why_n, -EINVAL,
                    "unknown device tag (known: UUID, LABEL, PARTUUID, PARTLABEL)");
}

static int resolve_path(const char *path, char *dev, size_t n)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return -errno;
    if (!S_ISBLK(st.st_mode))
        return -ENOTBLK;
    if ((size_t)snprintf(dev, n, "%s", path) >= n)
        return -ENAMETOOLONG;
    return 0;
}

/* Read /sys/class/block/NAME/FILE into buf (first line, no newline). */
static int read_sys(const char *name, const char *file, char *buf, size_t n)
{
    char path[PATH_MAX];
    int k = snprintf(path, sizeof(path), "/sys/class/block/%s/%s", name, file);
    if (k < 0 || (size_t)k >= sizeof(path))
        return -ENAMETOOLONG;
    return read_first_line_at(AT_FDCWD, path, buf, n);
}

/* The device node the kernel (devtmpfs) names for sysfs entry name. */
static int devnode_of(const char *name, char *node, size_t n)
{
    char path[PATH_MAX];
    int r;
    snprintf(path, sizeof(path), "/sys/class/block/%s/uevent", name);
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    char line[512];
    r = -ENOENT;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "DEVNAME=", 8) != 0)
            continue;
        line[strcspn(line, "\n")] = '\0';
        r = (size_t)snprintf(node, n, "/dev/%s", line + 8) >= n ? -ENAMETOOLONG : 0;
        break;
    }
    fclose(f);
    return r;
}

int blockdev_partition_disk(const char *dev, char *disk, size_t n)
{
    char sys[64], real[PATH_MAX], num[32], part_nr[32];
    const char *name, *disk_name;
    unsigned maj, min;
    struct stat st, dst;

    if (n)
        disk[0] = 0;
    if (stat(dev, &st) < 0)
        return -errno;
    if (!S_ISBLK(st.st_mode))
        return 0;
    snprintf(sys, sizeof sys, "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
    if (!realpath(sys, real))
        return -errno;
    name = strrchr(real, '/');
    name = name ? name + 1 : real;
    if (read_sys(name, "partition", part_nr, sizeof part_nr) < 0)
        return 0; /* a whole disk */
    /* the partition's sysfs dir is below its disk's: .../block/vda/vda1 */
    *strrchr(real, '/') = 0;
    disk_name = strrchr(real, '/');
    disk_name = disk_name ? disk_name + 1 : real;
    if (!disk_name[0] || read_sys(disk_name, "dev", num, sizeof num) < 0 ||
        sscanf(num, "%u:%u", &maj, &min) != 2)
        return -ENODEV;
    if (devnode_of(disk_name, disk, n) < 0)
        return -ENODEV;
    if (stat(disk, &dst) < 0 || !S_ISBLK(dst.st_mode) || major(dst.st_rdev) != maj ||
        minor(dst.st_rdev) != min)
        return -ENODEV;
    return 1;
}

/* Is this sysfs block device worth probing? Empty devices (unbound loop devices, drives
 * without media) and floppies are skipped: probing them fails or blocks for seconds. */
static bool probe_worthy(const char *name)
{
    char buf[64];
    unsigned maj, min;

    if (read_sys(name, "size", buf, sizeof(buf)) < 0 || strtoull(buf, NULL, 10) == 0)
        return false;
    if (read_sys(name, "dev", buf, sizeof(buf)) == 0 && sscanf(buf, "%u:%u", &maj, &min) == 2 &&
        maj == FLOPPY_MAJOR)
        return false;
    return true;
}

/* 1 when node carries the tag value, 0 when not, negative errno when it cannot be probed. */
static int node_matches(const char *node, int t, const char *want)
{
    blkid_probe pr = blkid_new_probe_from_filename(node);
    if (!pr)
        return errno ? -errno : -EIO;

    if (spec_tags[t].partition) {
        blkid_probe_enable_superblocks(pr, 0);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
    } else {
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
                                                  BLKID_SUBLKS_TYPE);
        blkid_probe_enable_partitions(pr, 0);
    }

    int r = 0;
    const char *val = NULL;
    /* safeprobe: a device with two conflicting signatures matches nothing, rather than
     * whichever libblkid happened to try first. */
    if (blkid_do_safeprobe(pr) == 0 &&
        blkid_probe_lookup_value(pr, spec_tags[t].blkid, &val, NULL) == 0 && val)
        r = spec_tags[t].case_sensitive ? strcmp(val, want) == 0 : strcasecmp(val, want) == 0;
    blkid_free_probe(pr);
    return r;
}

static int name_filter(const struct dirent *de)
{
    return de->d_name[0] != '.';
}

int blockdev_resolve_full(const struct blockdev_spec *spec, char *dev, size_t n, char *dup,
                          size_t dup_n)
{
    if (dup && dup_n)
        dup[0] = '\0';
    if (spec->kind == SPEC_PATH)
        return resolve_path(spec->value, dev, n);

    int t = tag_index(spec->kind);
    if (t < 0)
        return -EINVAL;

    struct dirent **names = NULL;
    int count = scandir("/sys/class/block", &names, name_filter, alphasort);
    if (count < 0)
        return -errno;

    /* Two devices with one UUID or LABEL happen when a guest disk was cloned or the base was
     * copied. Mounting whichever comes first could mount the wrong base, so this reports
     * -ENOTUNIQ with both names (in sysfs name order, so the report is stable). */
    int found = 0;
    for (int i = 0; i < count && found < 2; i++) {
        char node[PATH_MAX];
        const char *name = names[i]->d_name;
        if (!probe_worthy(name) || devnode_of(name, node, sizeof(node)) < 0)
            continue;
        if (node_matches(node, t, spec->value) <= 0)
            continue;
        if (found == 0) {
            if ((size_t)snprintf(dev, n, "%s", node) >= n) {
                found = -ENAMETOOLONG;
                break;
            }
        } else if (dup && dup_n) {
            snprintf(dup, dup_n, "%s", node);
        }
        found++;
    }
    for (int i = 0; i < count; i++)
        free(names[i]);
    free(names);

    if (found < 0)
        return found;
    if (found == 0)
        return -ENOENT;
    return found == 1 ? 0 : -ENOTUNIQ;
}

int blockdev_resolve(const struct blockdev_spec *spec, char *dev, size_t n)
{
    return blockdev_resolve_full(spec, dev, n, NULL, 0);
}

int blockdev_probe_fstype(const char *dev, char *type, size_t n)
{
    errno = 0;
    blkid_probe pr = blkid_new_probe_from_filename(dev);
    if (!pr)
        return errno ? -errno : -EIO;

    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
    blkid_probe_enable_partitions(pr, 0);

    int r;
    const char *val = NULL;
    switch (blkid_do_safeprobe(pr)) {
    case 0:
        if (blkid_probe_lookup_value(pr, "TYPE", &val, NULL) < 0 || !val)
            r = -ENOENT;
        else
            r = (size_t)snprintf(type, n, "%s", val) >= n ? -ENAMETOOLONG : 0;
        break;
    case 1:
        r = -ENOENT;
        break;
    case -2:
        /* Two filesystem signatures (e.g. a disk reformatted without wiping): guessing
         * which one is real could mount garbage. `wipefs` shows them. */
        r = -ENOTUNIQ;
        break;
    default:
        r = -EIO;
        break;
    }
    blkid_free_probe(pr);
    return r;
}

/* Look up each of keys[] in one libblkid probe of node (superblocks, or partition entry
 * details), into vals[] (each PART_VAL_MAX bytes; "" when absent). */
#define PART_VAL_MAX 64
static void probe_values(const char *node, bool partition, const char *const *keys, char **vals,
                         size_t n)
{
    blkid_probe pr = blkid_new_probe_from_filename(node);

    for (size_t i = 0; i < n; i++)
        vals[i][0] = '\0';
    if (!pr)
        return;
    blkid_probe_enable_superblocks(pr, !partition);
    blkid_probe_enable_partitions(pr, partition);
    if (partition)
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
    else
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
                                                  BLKID_SUBLKS_TYPE);
    if (blkid_do_safeprobe(pr) == 0)
        for (size_t i = 0; i < n; i++) {
            const char *v = NULL;
            if (blkid_probe_lookup_value(pr, keys[i], &v, NULL) == 0 && v)
                snprintf(vals[i], PART_VAL_MAX, "%s", v);
        }
    blkid_free_probe(pr);
}

static void probe_part(struct blockdev_part *p)
{
    static const char *const fs_keys[] = {"TYPE", "LABEL", "UUID"};
    static const char *const pt_keys[] = {"PART_ENTRY_UUID", "PART_ENTRY_NAME"};
    char type[PART_VAL_MAX];
    char *fs_vals[] = {type, p->label, p->uuid};
    char *pt_vals[] = {p->partuuid, p->partlabel};

    _Static_assert(sizeof p->label == PART_VAL_MAX && sizeof p->uuid == PART_VAL_MAX &&
                       sizeof p->partuuid == PART_VAL_MAX && sizeof p->partlabel == PART_VAL_MAX,
                   "probe_values writes PART_VAL_MAX bytes");
    probe_values(p->node, false, fs_keys, fs_vals, 3);
    snprintf(p->fstype, sizeof p->fstype, "%.31s", type);
    probe_values(p->node, true, pt_keys, pt_vals, 2);
}

/* The partitions of the disk at sysfs dir: entries with a "partition" file (its number). */
struct part_entry {
    unsigned nr;
    char name[NAME_MAX + 1];
};

static int part_entry_cmp(const void *a, const void *b)
{
    const struct part_entry *x = a, *y = b;
    return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static int list_parts(const char *sysdir, struct blockdev_ptable *pt)
{
    struct part_entry found[BLOCKDEV_PARTS_MAX * 4];
    size_t n = 0;
    struct dirent *de;
    DIR *d = opendir(sysdir);

    if (!d)
        return -errno;
    while ((de = readdir(d))) {
        char buf[32];

        /* a partition of this disk is a subdirectory with a "partition" file; sysfs shows it
         * in /sys/class/block too */
        if (de->d_name[0] == '.' || strlen(de->d_name) > NAME_MAX ||
            read_sys(de->d_name, "partition", buf, sizeof buf) < 0 || !buf[0])
            continue;
        if (n == sizeof found / sizeof found[0]) {
            pt->n_more++;
            continue;
        }
        found[n].nr = (unsigned)strtoul(buf, NULL, 10);
        snprintf(found[n].name, sizeof found[n].name, "%s", de->d_name);
        n++;
    }
    closedir(d);
    qsort(found, n, sizeof found[0], part_entry_cmp);
    for (size_t i = 0; i < n; i++) {
        struct blockdev_part *p = &pt->parts[pt->n];
        if (pt->n == BLOCKDEV_PARTS_MAX) {
            pt->n_more++;
            continue;
        }
        memset(p, 0, sizeof *p);
        if (devnode_of(found[i].name, p->node, sizeof p->node) < 0)
            snprintf(p->node, sizeof p->node, "/dev/%.58s", found[i].name);
        probe_part(p);
        pt->n++;
    }
    return 0;
}

int blockdev_probe_ptable(const char *dev, struct blockdev_ptable *pt)
{
    static const char *const keys[] = {"PTTYPE"};
    char type[PART_VAL_MAX], *vals[] = {type};
    char sysdir[64];
    struct stat st;

    memset(pt, 0, sizeof *pt);
    if (stat(dev, &st) < 0)
        return -errno;
    if (!S_ISBLK(st.st_mode))
        return -ENOTBLK;
    probe_values(dev, true, keys, vals, 1);
    if (!type[0])
        return -ENOENT;
    snprintf(pt->type, sizeof pt->type, "%.15s", type);
    snprintf(sysdir, sizeof sysdir, "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
    /* no partitions to list is still a partition table: the message says so */
    (void)list_parts(sysdir, pt);
    return 0;
}

void blockdev_part_describe(const struct blockdev_part *p, char *buf, size_t n)
{
    int o = snprintf(buf, n, "%s", p->fstype[0] ? p->fstype : "no filesystem found");

#define ADD(fmt, v)                                                                                \
    do {                                                                                           \
        if ((v)[0] && o >= 0 && (size_t)o < n)                                                     \
            o += snprintf(buf + o, n - (size_t)o, fmt, (v));                                       \
    } while (0)
    ADD(", LABEL=%s", p->label);
    ADD(", UUID=%s", p->uuid);
    ADD(", PARTUUID=%s", p->partuuid);
    ADD(", PARTLABEL=%s", p->partlabel);
#undef ADD
}

/* Filesystems a root or an instance filesystem is not on: an EFI system partition, swap. */
static bool part_mountable(const struct blockdev_part *p)
{
    return p->fstype[0] && strcmp(p->fstype, "vfat") != 0 && strcmp(p->fstype, "swap") != 0;
}

const struct blockdev_part *blockdev_ptable_pick(const struct blockdev_ptable *pt)
{
    for (size_t i = 0; i < pt->n; i++)
        if (part_mountable(&pt->parts[i]))
            return &pt->parts[i];
    for (size_t i = 0; i < pt->n; i++)
        if (pt->parts[i].fstype[0])
            return &pt->parts[i];
    return NULL;
}

void blockdev_part_specs(const struct blockdev_part *p, const char *key, char *buf, size_t n)
{
    const char *k = key ? key : "", *eq = key ? "=" : "";
    const char *sep = p->label[0] ? ", " : " or ";
    int o = snprintf(buf, n, "%s%s%s", k, eq, p->node);

    if (p->partuuid[0] && o >= 0 && (size_t)o < n)
        o += snprintf(buf + o, n - (size_t)o, "%s%s%sPARTUUID=%s", sep, k, eq, p->partuuid);
    if (p->label[0] && o >= 0 && (size_t)o < n)
        snprintf(buf + o, n - (size_t)o, " or %s%sLABEL=%s", k, eq, p->label);
}
