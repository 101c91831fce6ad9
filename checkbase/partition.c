// SPDX-License-Identifier: GPL-2.0-or-later
#include "partition.h"

#include <blkid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "why.h"

#define SECTOR 512ULL

/* Partition types by name; "other" marks the types that say the partition is something else
 * than a root (a /boot, an ESP, /home...): never a root candidate by its filesystem alone. */
static const struct {
    const char *type, *name;
    bool other;
} part_types[] = {
    {GPT_TYPE_ROOT_X86_64, "linux-root-x86-64", false},
    {"b921b045-1df0-41c3-af44-4c6f280d3fae", "linux-root-arm64", false},
    {"44479540-f297-41b2-9af7-d131d5f0458a", "linux-root-x86", false},
    {"0fc63daf-8483-4772-8e79-3d69d8477de4", "linux-generic", false},
    {"8484680c-9521-48c6-9c11-b0720656f69e", "linux-usr-x86-64", true},
    {"c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "esp", true},
    {"bc13c2ff-59e6-4262-a352-b275fd6f7172", "xbootldr", true},
    {"21686148-6449-6e6f-744e-656564454649", "bios-boot", true},
    {"0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", "linux-swap", true},
    {"933ac7e1-2eb4-4f13-b844-0e14e2aef915", "linux-home", true},
    {"3b8f8425-20e0-4f3b-907f-1a25a76f98e8", "linux-srv", true},
    {"4d21b016-b534-45c2-a9fb-5c16e091fd2d", "linux-var", true},
    {"7ec6f557-3bc5-4aca-b293-16ef5df639d1", "linux-var-tmp", true},
    {"e6d6d379-f507-44c2-a23c-238f2a3df928", "linux-lvm", false},
    {"0x83", "linux", false},
    {"0xef", "esp", true},
    {"0x82", "linux-swap", true},
    {"0x8e", "linux-lvm", false},
    {"0x5", "extended", true},
    {"0xf", "extended", true},
    {"0x85", "extended", true},
    {"0xee", "gpt-protective", true},
};

static const char *const root_fstypes[] = {
    "ext2", "ext3", "ext4", "xfs", "btrfs", "erofs", "squashfs",
};

bool fstype_can_be_root(const char *fstype)
{
    for (size_t i = 0; i < sizeof(root_fstypes) / sizeof(*root_fstypes); i++)
        if (strcmp(fstype, root_fstypes[i]) == 0)
            return true;
    return false;
}

static bool type_is_other(const char *type)
{
    for (size_t i = 0; i < sizeof(part_types) / sizeof(*part_types); i++)
        if (strcasecmp(type, part_types[i].type) == 0)
            return part_types[i].other;
    return false;
}

const char *part_type_name(const char *type)
{
    for (size_t i = 0; i < sizeof(part_types) / sizeof(*part_types); i++)
        if (strcasecmp(type, part_types[i].type) == 0)
            return part_types[i].name;
    return NULL;
}

/* Copy text from the image: bounded, control bytes replaced, so that it can be printed. */
static void copy_text(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
    for (unsigned char *p = (unsigned char *)dst; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            *p = '?';
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

static const char PROBLEM_EMPTY[] = "is empty";
static const char PROBLEM_PAST_END[] = "extends past the end of the image";
static const char PROBLEM_OVERLAP[] = "overlaps another partition";

/* Inside the image, not empty, not a container: what overlaps are looked for among. */
static bool in_image(const struct part *p)
{
    return !p->extended && p->problem != PROBLEM_EMPTY && p->problem != PROBLEM_PAST_END;
}

void disk_validate(struct disk *d)
{
    for (size_t i = 0; i < d->n; i++) {
        struct part *p = &d->v[i];
        if (p->size == 0)
            p->problem = PROBLEM_EMPTY;
        else if (p->start > d->size || p->size > d->size - p->start)
            p->problem = PROBLEM_PAST_END;
    }
    for (size_t i = 0; i < d->n; i++) {
        struct part *a = &d->v[i];
        for (size_t j = 0; j < d->n && in_image(a); j++) {
            struct part *b = &d->v[j];
            if (j == i || !in_image(b))
                continue;
            /* Written without a->start + a->size, which a hostile table overflows. */
            bool disjoint = b->start >= a->start ? b->start - a->start >= a->size
                                                 : a->start - b->start >= b->size;
            if (!disjoint)
                a->problem = PROBLEM_OVERLAP;
        }
    }
}

/* The filesystem in p, probed within p's range only. */
static int probe_part_fs(int fd, struct part *p)
{
    blkid_probe pr = blkid_new_probe();
    if (!pr)
        return -ENOMEM;
    int r = blkid_probe_set_device(pr, fd, (blkid_loff_t)p->start, (blkid_loff_t)p->size);
    if (r == 0) {
        blkid_probe_enable_partitions(pr, 0);
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
                                                  BLKID_SUBLKS_LABEL);
        r = blkid_do_safeprobe(pr);
    }
    const char *v = NULL;
    if (r == 0) {
        if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
            copy_text(p->fstype, sizeof p->fstype, v);
        if (blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0) {
            copy_text(p->uuid, sizeof p->uuid, v);
            lower(p->uuid);
        }
        if (blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0)
            copy_text(p->label, sizeof p->label, v);
    }
    p->fs_ambiguous = r == -2;
    blkid_free_probe(pr);
    return 0;
}

static void read_part(blkid_partition par, struct part *p)
{
    const char *s;
    p->number = blkid_partition_get_partno(par);
    /* libblkid counts in 512-byte sectors whatever the device's sector size. */
    blkid_loff_t start = blkid_partition_get_start(par), size = blkid_partition_get_size(par);
    p->start = start > 0 ? (uint64_t)start * SECTOR : 0;
    p->size = size > 0 ? (uint64_t)size * SECTOR : 0;
    if (start > 0 && (uint64_t)start > UINT64_MAX / SECTOR)
        p->start = UINT64_MAX;
    if (size > 0 && (uint64_t)size > UINT64_MAX / SECTOR)
        p->size = UINT64_MAX;
    if ((s = blkid_partition_get_type_string(par)) != NULL) {
        copy_text(p->type, sizeof p->type, s);
        lower(p->type);
    } else {
        snprintf(p->type, sizeof p->type, "0x%x", (unsigned)blkid_partition_get_type(par));
    }
    copy_text(p->name, sizeof p->name, blkid_partition_get_name(par));
    copy_text(p->partuuid, sizeof p->partuuid, blkid_partition_get_uuid(par));
    lower(p->partuuid);
    p->extended = blkid_partition_is_extended(par);
}

/* The entries of the top-level table (nested BSD or Solaris labels inside a partition are
 * left out: the root is never inside one). */
static int read_table(blkid_partlist ls, struct disk *d, char *why, size_t n)
{
    blkid_parttable top = blkid_partlist_get_table(ls);
    int k = blkid_partlist_numof_partitions(ls);
    if (!top || k < 0)
        return why_fail(why, n, -EIO, "libblkid found a partition table but could not read it");
    copy_text(d->pttype, sizeof d->pttype, blkid_parttable_get_type(top));
    if (k > DISK_MAX_PARTS)
        return why_fail(why, n, -E2BIG,
                        "the partition table lists %d partitions, more than the %d a disk "
                        "image has; a corrupt table?",
                        k, DISK_MAX_PARTS);
    d->v = calloc((size_t)k + 1, sizeof(*d->v));
    if (!d->v)
        return why_fail(why, n, -ENOMEM, "out of memory");
    for (int i = 0; i < k; i++) {
        blkid_partition par = blkid_partlist_get_partition(ls, i);
        if (par && blkid_partition_get_table(par) == top)
            read_part(par, &d->v[d->n++]);
    }
    return 0;
}

int disk_probe(int fd, uint64_t size, struct disk *d, char *why, size_t n)
{
    *d = (struct disk){.size = size};
    blkid_probe pr = blkid_new_probe();
    if (!pr)
        return why_fail(why, n, -ENOMEM, "out of memory");
    int r = blkid_probe_set_device(pr, fd, 0, (blkid_loff_t)size);
    if (r == 0) {
        blkid_probe_enable_superblocks(pr, 0);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
        r = blkid_do_safeprobe(pr);
    }
    const char *v = NULL;
    char pttype[16] = "";
    /* copied: blkid_probe_get_partitions frees the probe's values */
    if (r == 0 && blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL) == 0 && v)
        snprintf(pttype, sizeof pttype, "%s", v);
    blkid_partlist ls = r == 0 ? blkid_probe_get_partitions(pr) : NULL;
    /* libblkid says PMBR when the protective MBR of a GPT disk is there and no GPT header it
     * trusts: both headers rejected, typically because the primary's usable area ends past
     * the end of the image and the backup at its end is missing. */
    if (r == 0 && strcmp(pttype, "PMBR") == 0)
        r = why_fail(why, n, -EIO,
                     "a GPT disk (protective MBR) with no valid GPT header: a truncated image "
                     "(copy it again from the original) or a corrupt table (see sfdisk "
                     "--verify on a copy)");
    else if (r < 0)
        r = why_fail(why, n, -EIO, "libblkid could not read the partition table (%s)",
                     r == -2 ? "more than one table signature" : "probing failed");
    else if (r == 1 || !ls)
        r = 0;
    else
        r = read_table(ls, d, why, n);
    blkid_free_probe(pr);
    if (r < 0) {
        disk_done(d);
        return r;
    }
    if (!d->v)
        return 0;
    disk_validate(d);
    for (size_t i = 0; i < d->n; i++)
        if (!d->v[i].problem && !d->v[i].extended && probe_part_fs(fd, &d->v[i]) < 0) {
            disk_done(d);
            return why_fail(why, n, -ENOMEM, "out of memory");
        }
    return 1;
}

void disk_done(struct disk *d)
{
    free(d->v);
    d->v = NULL;
    d->n = 0;
}

static bool is_root_type(const struct part *p)
{
    return !p->extended && strcmp(p->type, GPT_TYPE_ROOT_X86_64) == 0;
}

static int choose_number(const struct disk *d, int want, char *why, size_t n)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct part *p = &d->v[i];
        if (p->number != want)
            continue;
        if (p->extended)
            return why_fail(why, n, -EINVAL,
                            "partition %d is an extended partition, a container of others", want);
        if (p->problem)
            return why_fail(why, n, -EINVAL, "partition %d %s", want, p->problem);
        return (int)i;
    }
    return why_fail(why, n, -ENOENT, "there is no partition %d", want);
}

int disk_choose(const struct disk *d, int want, char *why, size_t n)
{
    if (want > 0)
        return choose_number(d, want, why, n);
    size_t roots = 0, fses = 0, root = 0, fs = 0;
    for (size_t i = 0; i < d->n; i++) {
        const struct part *p = &d->v[i];
        if (is_root_type(p) && roots++ == 0)
            root = i;
        if (!p->problem && !p->extended && !type_is_other(p->type) &&
            fstype_can_be_root(p->fstype) && fses++ == 0)
            fs = i;
    }
    if (roots == 1 && d->v[root].problem)
        return why_fail(why, n, -EINVAL, "partition %d, of the x86-64 root type, %s",
                        d->v[root].number, d->v[root].problem);
    if (roots == 1)
        return (int)root;
    if (fses == 1)
        return (int)fs;
    if (fses == 0)
        return why_fail(why, n, -ENOENT,
                        "no partition holds a filesystem a root can be (ext2/3/4, xfs, btrfs, "
                        "erofs, squashfs) and has a type that allows a root");
    if (roots > 1)
        return why_fail(why, n, -ENOTUNIQ,
                        "%zu partitions have the x86-64 root type and %zu hold a filesystem a "
                        "root can be",
                        roots, fses);
    return why_fail(why, n, -ENOTUNIQ, "%zu partitions hold a filesystem a root can be", fses);
}

static void format_size(uint64_t b, char *buf, size_t n)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    size_t u = 0;
    uint64_t whole = b, tenth = 0;
    while (whole >= 1024 && u + 1 < sizeof(units) / sizeof(*units)) {
        tenth = (whole % 1024) * 10 / 1024;
        whole /= 1024;
        u++;
    }
    if (u && tenth)
        snprintf(buf, n, "%llu.%llu %s", (unsigned long long)whole, (unsigned long long)tenth,
                 units[u]);
    else
        snprintf(buf, n, "%llu %s", (unsigned long long)whole, units[u]);
}

void part_describe(const struct part *p, char *buf, size_t n)
{
    char size[32];
    const char *tname = part_type_name(p->type);
    format_size(p->size, size, sizeof size);
    int k = snprintf(buf, n, "%d: %s, type %s%s%s%s", p->number, size, tname ? tname : p->type,
                     tname ? " (" : "", tname ? p->type : "", tname ? ")" : "");
    size_t len = k < 0 ? 0 : (size_t)k;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (len < n) {                                                                             \
            k = snprintf(buf + len, n - len, __VA_ARGS__);                                         \
            len += k < 0 ? 0 : (size_t)k;                                                          \
        }                                                                                          \
    } while (0)
    if (p->extended)
        ADD(", extended");
    else if (p->problem)
        ADD(", not usable: it %s", p->problem);
    else if (p->fs_ambiguous)
        ADD(", more than one filesystem signature");
    else
        ADD(", %s", p->fstype[0] ? p->fstype : "no filesystem");
    if (p->label[0])
        ADD(", label \"%s\"", p->label);
    if (p->name[0])
        ADD(", name \"%s\"", p->name);
    if (p->partuuid[0])
        ADD(", PARTUUID %s", p->partuuid);
#undef ADD
}

void disk_list(const struct disk *d, FILE *out)
{
    char line[512];
    for (size_t i = 0; i < d->n; i++) {
        part_describe(&d->v[i], line, sizeof line);
        fprintf(out, "  %s\n", line);
    }
}

int disk_find(const struct disk *d, const char *tag, const char *value)
{
    if (!d || !tag || !value || !*value)
        return -1;
    for (size_t i = 0; i < d->n; i++) {
        const struct part *p = &d->v[i];
        bool hit = strcmp(tag, "PARTUUID") == 0    ? strcasecmp(p->partuuid, value) == 0
                   : strcmp(tag, "PARTLABEL") == 0 ? strcmp(p->name, value) == 0
                   : strcmp(tag, "UUID") == 0      ? strcasecmp(p->uuid, value) == 0
                   : strcmp(tag, "LABEL") == 0     ? strcmp(p->label, value) == 0
                                                   : false;
        if (hit)
            return (int)i;
    }
    return -1;
}
