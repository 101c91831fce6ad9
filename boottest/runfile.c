// SPDX-License-Identifier: GPL-2.0-or-later
#include "runfile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int errmsg(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    unsigned long long v = 0;

    if (!*s)
        return -EINVAL;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        v = v * 10 + (unsigned)(*p - '0');
        if (v > UINT_MAX)
            return -ERANGE;
    }
    if (v < min || v > max)
        return -ERANGE;
    *out = (unsigned)v;
    return 0;
}

int parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    unsigned shift = 0;

    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -ERANGE;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    switch (*p) {
    case '\0':
        break;
    case 'K':
    case 'k':
        shift = 10;
        break;
    case 'M':
    case 'm':
        shift = 20;
        break;
    case 'G':
    case 'g':
        shift = 30;
        break;
    case 'T':
    case 't':
        shift = 40;
        break;
    default:
        return -EINVAL;
    }
    /* "64M", "64MiB" */
    if (*p && p[1] && strcmp(p + 1, "iB") != 0)
        return -EINVAL;
    if (shift && v > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = v << shift;
    return 0;
}

/* ---- keys */

enum key_type {
    K_PATH,   /* a non-empty string */
    K_TEXT,   /* any string, may be empty */
    K_INITRD, /* none | build | PATH */
    K_INSTANCE,
    K_DISK, /* list */
    K_MEMORY,
    K_CPUS,
    K_TIMEOUT,
    K_REGEX,      /* one */
    K_REGEX_LIST, /* repeatable */
    K_BOOL,
    K_ARG_LIST,    /* repeatable, one QEMU argument each */
    K_BASE_DEVICE, /* virtio-blk | virtio-pmem */
    K_BASE_FORMAT, /* auto | raw | qcow2 */
};

struct key {
    const char *name;
    enum key_type type;
    size_t off; /* of the field in struct bt_config */
};

#define F(field) offsetof(struct bt_config, field)
static const struct key keys[] = {
    {"kernel", K_PATH, F(kernel)},
    {"initrd", K_INITRD, F(initrd)},
    {"mkinitramfs-args", K_TEXT, F(mkinitramfs_args)},
    {"base", K_PATH, F(base)},
    {"base-device", K_BASE_DEVICE, F(base_device)},
    {"base-format", K_BASE_FORMAT, F(base_format)},
    {"root", K_PATH, F(root)},
    {"instance", K_INSTANCE, F(instance)},
    {"disk", K_DISK, F(disks)},
    {"memory", K_MEMORY, F(memory_mb)},
    {"cpus", K_CPUS, F(cpus)},
    {"append", K_TEXT, F(append)},
    {"expect", K_REGEX_LIST, F(expect)},
    {"time", K_REGEX, F(time)},
    {"fail", K_REGEX_LIST, F(fail)},
    {"handoff", K_BOOL, F(handoff)},
    {"default-fail", K_BOOL, F(default_fail)},
    {"wait-exit", K_BOOL, F(wait_exit)},
    {"qemu-args", K_TEXT, F(qemu_args)},
    {"qemu-arg", K_ARG_LIST, F(qemu_arg)},
    {"timeout", K_TIMEOUT, F(timeout_s)},
    {"measure", K_PATH, F(measure)},
};
#undef F

static const struct key *key_find(const char *name)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

bool config_key_known(const char *key)
{
    return key_find(key) != NULL;
}

static int parse_disk(const char *v, bool allow_none, struct disk_spec *d, char *err, size_t errsz)
{
    memset(d, 0, sizeof *d);
    if (strcmp(v, "none") == 0) {
        if (!allow_none)
            return errmsg(err, errsz, "'none' is not a disk; leave the entry out");
        d->kind = DISK_NONE;
        return 0;
    }
    if (strcmp(v, "fresh") == 0 || strncmp(v, "fresh:", 6) == 0) {
        d->kind = DISK_FRESH;
        d->size = DISK_FRESH_DEFAULT_SIZE;
        if (v[5] == ':' && parse_size(v + 6, &d->size) < 0)
            return errmsg(err, errsz, "'%s': the size after fresh: is a number with K, M, G or T",
                          v);
        if (d->size < (1u << 20))
            return errmsg(err, errsz, "'%s': a fresh disk needs at least 1M", v);
        return 0;
    }
    if (strncmp(v, "copy:", 5) == 0) {
        d->kind = DISK_COPY;
        v += 5;
    } else if (strncmp(v, "ro:", 3) == 0) {
        d->kind = DISK_RO;
        v += 3;
    } else {
        d->kind = DISK_FILE;
    }
    if (!*v)
        return errmsg(err, errsz, "a file name is missing");
    d->path = strdup(v);
    return d->path ? 0 : -ENOMEM;
}

static void disk_free(struct disk_spec *d)
{
    free(d->path);
    memset(d, 0, sizeof *d);
}

static int disk_copy(struct disk_spec *to, const struct disk_spec *from)
{
    *to = *from;
    if (from->path && !(to->path = strdup(from->path)))
        return -ENOMEM;
    return 0;
}

static int pattern_set(struct pattern *p, const char *v, char *err, size_t errsz)
{
    int r;

    if (!*v)
        return errmsg(err, errsz, "an empty pattern matches every line");
    r = regcomp(&p->re, v, REG_EXTENDED | REG_NEWLINE);
    if (r != 0) {
        char msg[128];
        regerror(r, &p->re, msg, sizeof msg);
        return errmsg(err, errsz, "'%s' is not an extended regular expression: %s", v, msg);
    }
    p->text = strdup(v);
    if (!p->text) {
        regfree(&p->re);
        return -ENOMEM;
    }
    return 0;
}

static void pattern_free(struct pattern *p)
{
    if (p->text) {
        regfree(&p->re);
        free(p->text);
    }
    p->text = NULL;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return -EINVAL;
}

/* Whether a value may be taken at all: printable text, no control bytes. */
static bool value_clean(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

int config_set(struct bt_config *c, const char *key, const char *value, bool replace, char *err,
               size_t errsz)
{
    const struct key *k = key_find(key);
    char *base = (char *)c;
    int r = 0;

    if (!k)
        return errmsg(
            err, errsz,
            "unknown key '%s' (keys: kernel, initrd, mkinitramfs-args, base, "
            "base-device, base-format, root, instance, disk, memory, cpus, append, expect, time, "
            "fail, handoff, default-fail, wait-exit, qemu-args, qemu-arg, timeout, "
            "measure)",
            key);
    if (!value_clean(value))
        return errmsg(err, errsz, "%s: the value holds control characters", key);
    if (strlen(value) > RUNFILE_MAX_LINE)
        return errmsg(err, errsz, "%s: the value is longer than %d bytes", key, RUNFILE_MAX_LINE);

    switch (k->type) {
    case K_PATH:
    case K_TEXT: {
        char **f = (char **)(base + k->off);
        if (k->type == K_PATH && !*value)
            return errmsg(err, errsz, "%s: the value is empty", key);
        if (*f && !replace)
            return errmsg(err, errsz, "%s is set twice", key);
        free(*f);
        *f = strdup(value);
        return *f ? 0 : -ENOMEM;
    }
    case K_INITRD:
        if (!*value)
            return errmsg(err, errsz, "initrd: the value is empty (use 'none' for no initramfs)");
        if ((c->initrd || c->build_initrd) && !replace)
            return errmsg(err, errsz, "initrd is set twice");
        free(c->initrd);
        c->initrd = NULL;
        c->build_initrd = strcmp(value, "build") == 0;
        if (!c->build_initrd && !(c->initrd = strdup(value)))
            return -ENOMEM;
        return 0;
    case K_INSTANCE: {
        struct disk_spec d;
        if (c->instance_set && !replace)
            return errmsg(err, errsz, "instance is set twice");
        r = parse_disk(value, true, &d, err, errsz);
        if (r == 0 && d.kind == DISK_RO) {
            disk_free(&d);
            return errmsg(err, errsz,
                          "instance: an instance disk is written by the guest; ro: "
                          "makes no sense here (use disk = ro:FILE)");
        }
        if (r < 0)
            return r;
        disk_free(&c->instance);
        c->instance = d;
        c->instance_set = true;
        return 0;
    }
    case K_DISK:
        if (c->n_disks >= RUNFILE_MAX_LIST)
            return errmsg(err, errsz, "disk: at most %d disks", RUNFILE_MAX_LIST);
        r = parse_disk(value, false, &c->disks[c->n_disks], err, errsz);
        if (r == 0)
            c->n_disks++;
        return r;
    case K_MEMORY: {
        uint64_t bytes;
        unsigned *f = (unsigned *)(base + k->off);
        if (*f && !replace)
            return errmsg(err, errsz, "memory is set twice");
        /* a plain number is MiB, as QEMU's -m takes it */
        if (parse_uint(value, 16, 1u << 22, f) == 0)
            return 0;
        if (parse_size(value, &bytes) < 0 || bytes < (16u << 20) || bytes > (1ull << 42))
            return errmsg(err, errsz,
                          "memory: '%s' is not a size between 16M and 4T (a plain number is MiB)",
                          value);
        *f = (unsigned)(bytes >> 20);
        return 0;
    }
    case K_CPUS:
    case K_TIMEOUT: {
        unsigned *f = (unsigned *)(base + k->off);
        unsigned max = k->type == K_CPUS ? 256 : 86400;
        if (*f && !replace)
            return errmsg(err, errsz, "%s is set twice", key);
        if (parse_uint(value, 1, max, f) < 0)
            return errmsg(err, errsz, "%s: '%s' is not a number from 1 to %u", key, value, max);
        return 0;
    }
    case K_REGEX: {
        struct pattern *p = (struct pattern *)(base + k->off), np = {0};
        if (p->text && !replace)
            return errmsg(err, errsz, "%s is set twice", key);
        r = pattern_set(&np, value, err, errsz);
        if (r < 0)
            return r;
        pattern_free(p);
        *p = np;
        return 0;
    }
    case K_REGEX_LIST: {
        struct pattern *p = (struct pattern *)(base + k->off);
        size_t *n = k->off == offsetof(struct bt_config, expect) ? &c->n_expect : &c->n_fail;
        if (*n >= RUNFILE_MAX_LIST)
            return errmsg(err, errsz, "%s: at most %d patterns", key, RUNFILE_MAX_LIST);
        r = pattern_set(&p[*n], value, err, errsz);
        if (r == 0)
            (*n)++;
        return r;
    }
    case K_ARG_LIST:
        if (!*value)
            return errmsg(err, errsz, "%s: the value is empty", key);
        if (c->n_qemu_arg >= RUNFILE_MAX_LIST)
            return errmsg(err, errsz, "%s: at most %d arguments", key, RUNFILE_MAX_LIST);
        if (!(c->qemu_arg[c->n_qemu_arg] = strdup(value)))
            return -ENOMEM;
        c->n_qemu_arg++;
        return 0;
    case K_BASE_DEVICE:
        if (c->base_device != BASE_DEVICE_UNSET && !replace)
            return errmsg(err, errsz, "%s is set twice", key);
        if (strcmp(value, "virtio-blk") == 0)
            c->base_device = BASE_DEVICE_BLK;
        else if (strcmp(value, "virtio-pmem") == 0)
            c->base_device = BASE_DEVICE_PMEM;
        else
            return errmsg(err, errsz, "%s: '%s' is not virtio-blk or virtio-pmem", key, value);
        return 0;
    case K_BASE_FORMAT: {
        static const char *const names[] = {"auto", "raw", "qcow2"};
        if (c->base_format != BASE_FORMAT_UNSET && !replace)
            return errmsg(err, errsz, "%s is set twice", key);
        for (int i = 0; i < 3; i++)
            if (strcmp(value, names[i]) == 0)
                return c->base_format = i, 0;
        return errmsg(err, errsz,
                      "%s: '%s' is not auto, raw or qcow2 (convert other images with "
                      "'qemu-img convert -O qcow2')",
                      key, value);
    }
    case K_BOOL: {
        int *f = (int *)(base + k->off);
        if (*f >= 0 && !replace)
            return errmsg(err, errsz, "%s is set twice", key);
        if (parse_bool(value, f) < 0)
            return errmsg(err, errsz, "%s: '%s' is not yes or no", key, value);
        return 0;
    }
    }
    return -EINVAL;
}

static int dup_if_unset(char **to, const char *from)
{
    if (*to || !from)
        return 0;
    *to = strdup(from);
    return *to ? 0 : -ENOMEM;
}

/* d's entries first, then c's own */
static int inherit_patterns(struct pattern *c, size_t *nc, const struct pattern *d, size_t nd,
                            const char *key, char *err, size_t errsz)
{
    struct pattern merged[RUNFILE_MAX_LIST] = {{0}};
    size_t n = 0;
    int r = 0;

    if (nd == 0)
        return 0;
    if (nd + *nc > RUNFILE_MAX_LIST)
        return errmsg(err, errsz, "%s: at most %d patterns with those of [defaults]", key,
                      RUNFILE_MAX_LIST);
    for (; n < nd && r == 0; n++)
        r = pattern_set(&merged[n], d[n].text, err, errsz);
    if (r < 0) {
        for (size_t i = 0; i < n; i++)
            pattern_free(&merged[i]);
        return r;
    }
    for (size_t i = 0; i < *nc; i++)
        merged[n++] = c[i];
    memcpy(c, merged, n * sizeof *c);
    *nc = n;
    return 0;
}

int config_inherit(struct bt_config *c, const struct bt_config *d, char *err, size_t errsz)
{
    int r = 0;

    r = r ?: dup_if_unset(&c->kernel, d->kernel);
    if (!c->initrd && !c->build_initrd) {
        c->build_initrd = d->build_initrd;
        r = r ?: dup_if_unset(&c->initrd, d->initrd);
    }
    r = r ?: dup_if_unset(&c->mkinitramfs_args, d->mkinitramfs_args);
    r = r ?: dup_if_unset(&c->base, d->base);
    r = r ?: dup_if_unset(&c->root, d->root);
    r = r ?: dup_if_unset(&c->append, d->append);
    r = r ?: dup_if_unset(&c->qemu_args, d->qemu_args);
    r = r ?: dup_if_unset(&c->measure, d->measure);
    if (r < 0)
        return r;
    if (c->base_device == BASE_DEVICE_UNSET)
        c->base_device = d->base_device;
    if (c->base_format == BASE_FORMAT_UNSET)
        c->base_format = d->base_format;
    if (!c->instance_set && d->instance_set) {
        r = disk_copy(&c->instance, &d->instance);
        if (r < 0)
            return r;
        c->instance_set = true;
    }
    if (d->n_disks) {
        struct disk_spec merged[RUNFILE_MAX_LIST];
        size_t n = 0;
        if (d->n_disks + c->n_disks > RUNFILE_MAX_LIST)
            return errmsg(err, errsz, "disk: at most %d disks with those of [defaults]",
                          RUNFILE_MAX_LIST);
        for (size_t i = 0; i < d->n_disks; i++) {
            r = disk_copy(&merged[n], &d->disks[i]);
            if (r < 0) {
                while (n > 0)
                    disk_free(&merged[--n]);
                return r;
            }
            n++;
        }
        for (size_t i = 0; i < c->n_disks; i++)
            merged[n++] = c->disks[i];
        memcpy(c->disks, merged, n * sizeof merged[0]);
        c->n_disks = n;
    }
    if (!c->memory_mb)
        c->memory_mb = d->memory_mb;
    if (!c->cpus)
        c->cpus = d->cpus;
    if (!c->timeout_s)
        c->timeout_s = d->timeout_s;
    if (c->handoff < 0)
        c->handoff = d->handoff;
    if (c->default_fail < 0)
        c->default_fail = d->default_fail;
    if (c->wait_exit < 0)
        c->wait_exit = d->wait_exit;
    if (!c->time.text && d->time.text) {
        r = pattern_set(&c->time, d->time.text, err, errsz);
        if (r < 0)
            return r;
    }
    if (d->n_qemu_arg) {
        char *merged[RUNFILE_MAX_LIST];
        size_t n = 0;
        if (d->n_qemu_arg + c->n_qemu_arg > RUNFILE_MAX_LIST)
            return errmsg(err, errsz, "qemu-arg: at most %d arguments with those of [defaults]",
                          RUNFILE_MAX_LIST);
        for (; n < d->n_qemu_arg; n++)
            if (!(merged[n] = strdup(d->qemu_arg[n]))) {
                while (n > 0)
                    free(merged[--n]);
                return -ENOMEM;
            }
        for (size_t i = 0; i < c->n_qemu_arg; i++)
            merged[n++] = c->qemu_arg[i];
        memcpy(c->qemu_arg, merged, n * sizeof merged[0]);
        c->n_qemu_arg = n;
    }
    r = inherit_patterns(c->expect, &c->n_expect, d->expect, d->n_expect, "expect", err, errsz);
    if (r < 0)
        return r;
    return inherit_patterns(c->fail, &c->n_fail, d->fail, d->n_fail, "fail", err, errsz);
}

int config_finish(struct bt_config *c, char *err, size_t errsz)
{
    if (!c->kernel)
        return errmsg(err, errsz, "no kernel (kernel = FILE, or --kernel FILE)");
    if (c->handoff < 0)
        c->handoff = 1;
    if (c->default_fail < 0)
        c->default_fail = 1;
    if (c->wait_exit < 0)
        c->wait_exit = 0;
    if (!c->memory_mb)
        c->memory_mb = CONFIG_DEFAULT_MEMORY_MB;
    if (!c->cpus)
        c->cpus = CONFIG_DEFAULT_CPUS;
    if (!c->timeout_s)
        c->timeout_s = CONFIG_DEFAULT_TIMEOUT_S;
    if (c->initrd && strcmp(c->initrd, "none") == 0) {
        free(c->initrd);
        c->initrd = NULL;
    }
    if (!c->handoff && c->n_expect == 0 && !c->time.text)
        return errmsg(err, errsz,
                      "handoff = no leaves nothing that tells a good boot: give expect = REGEX "
                      "or time = REGEX (a line the booted system prints)");
    if (c->mkinitramfs_args && !c->build_initrd)
        return errmsg(err, errsz, "mkinitramfs-args is set but initrd is not 'build'");
    if (c->instance.kind != DISK_NONE && !c->base && c->handoff)
        return errmsg(err, errsz, "an instance disk without a base: set base = FILE");
    if (c->base_device == BASE_DEVICE_PMEM && !c->base)
        return errmsg(err, errsz, "base-device = virtio-pmem without a base: set base = FILE");
    if (c->base_device == BASE_DEVICE_UNSET)
        c->base_device = BASE_DEVICE_BLK;
    if (c->base_format > BASE_FORMAT_AUTO && !c->base)
        return errmsg(err, errsz, "base-format = %s without a base: set base = FILE",
                      c->base_format == BASE_FORMAT_RAW ? "raw" : "qcow2");
    if (c->base_format == BASE_FORMAT_UNSET)
        c->base_format = BASE_FORMAT_AUTO;
    return 0;
}

void config_free(struct bt_config *c)
{
    free(c->name);
    free(c->kernel);
    free(c->initrd);
    free(c->mkinitramfs_args);
    free(c->base);
    free(c->root);
    free(c->root_auto);
    free(c->root_from);
    disk_free(&c->instance);
    for (size_t i = 0; i < c->n_disks; i++)
        disk_free(&c->disks[i]);
    free(c->append);
    for (size_t i = 0; i < c->n_expect; i++)
        pattern_free(&c->expect[i]);
    pattern_free(&c->time);
    for (size_t i = 0; i < c->n_fail; i++)
        pattern_free(&c->fail[i]);
    free(c->qemu_args);
    free(c->measure);
    for (size_t i = 0; i < c->n_qemu_arg; i++)
        free(c->qemu_arg[i]);
    config_init(c);
}

void config_init(struct bt_config *c)
{
    memset(c, 0, sizeof *c);
    c->handoff = c->default_fail = c->wait_exit = -1;
    c->base_device = BASE_DEVICE_UNSET;
    c->base_format = BASE_FORMAT_UNSET;
}

void runfile_free(struct bt_runfile *rf)
{
    for (size_t i = 0; i < rf->n; i++)
        config_free(&rf->configs[i]);
    free(rf->configs);
    rf->configs = NULL;
    rf->n = 0;
}

/* ---- the file */

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > RUNFILE_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-+", s[i]))
            return false;
    return s[0] != '.' && s[0] != '-';
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

struct parse_state {
    const char *path;
    unsigned line;
    char *err;
    size_t errsz;
    struct bt_config defaults;
    bool in_defaults, seen_config, any_section;
    struct bt_runfile *out;
};

static int located(struct parse_state *st, int r, const char *what)
{
    snprintf(st->err, st->errsz, "%s:%u: %s", st->path, st->line, what);
    return r;
}

static int section(struct parse_state *st, char *l)
{
    char *end = strchr(l, ']');
    char *name;

    if (!end || trim(end + 1)[0])
        return located(st, -EINVAL, "a section line is [NAME] and nothing after it");
    *end = '\0';
    name = trim(l + 1);
    st->any_section = true;
    if (strcmp(name, "defaults") == 0) {
        if (st->seen_config)
            return located(st, -EINVAL, "[defaults] must come before the first configuration");
        if (st->in_defaults)
            return located(st, -EINVAL, "[defaults] is given twice");
        st->in_defaults = true;
        return 0;
    }
    st->in_defaults = false;
    if (!name_ok(name, strlen(name)))
        return located(st, -EINVAL,
                       "a configuration name is 1 to 64 letters, digits, '.', '_', '-' or '+', "
                       "not starting with '.' or '-'");
    for (size_t i = 0; i < st->out->n; i++)
        if (strcmp(st->out->configs[i].name, name) == 0)
            return located(st, -EINVAL, "this configuration name is used twice");
    if (st->out->n >= RUNFILE_MAX_CONFIGS)
        return located(st, -EINVAL, "too many configurations (at most 64)");
    if (!st->out->configs) {
        st->out->configs = calloc(RUNFILE_MAX_CONFIGS, sizeof *st->out->configs);
        if (!st->out->configs)
            return -ENOMEM;
    }
    struct bt_config *c = &st->out->configs[st->out->n++];
    config_init(c);
    c->name = strdup(name);
    st->seen_config = true;
    return c->name ? 0 : -ENOMEM;
}

static int assignment(struct parse_state *st, char *l)
{
    char *eq = strchr(l, '=');
    char msg[600];
    struct bt_config *c;
    int r;

    if (!eq)
        return located(st, -EINVAL, "expected KEY = VALUE, [NAME] or a # comment");
    *eq = '\0';
    l = trim(l);
    if (!st->any_section)
        return located(st, -EINVAL, "a key before any [section]: start with [defaults] or [NAME]");
    c = st->in_defaults ? &st->defaults : &st->out->configs[st->out->n - 1];
    r = config_set(c, l, trim(eq + 1), false, msg, sizeof msg);
    if (r < 0)
        return located(st, r, msg);
    return 0;
}

int runfile_parse(const char *text, size_t len, const char *path, const struct bt_config *cli,
                  struct bt_runfile *out, char *err, size_t errsz)
{
    struct parse_state st = {.path = path, .err = err, .errsz = errsz, .out = out};
    char *line = NULL;
    size_t pos = 0;
    int r = 0;

    memset(out, 0, sizeof *out);
    config_init(&st.defaults);
    if (len > RUNFILE_MAX_BYTES) {
        snprintf(err, errsz, "%s: larger than %d bytes", path, RUNFILE_MAX_BYTES);
        return -EFBIG;
    }
    if (memchr(text, '\0', len)) {
        snprintf(err, errsz, "%s: holds a NUL byte: not a run file", path);
        return -EINVAL;
    }
    line = malloc(RUNFILE_MAX_LINE + 1);
    if (!line)
        return -ENOMEM;
    while (pos < len && r == 0) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        char *l;

        st.line++;
        if (n > RUNFILE_MAX_LINE) {
            r = located(&st, -EINVAL, "line longer than 4096 bytes");
            break;
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos += n + 1;
        if (n && line[n - 1] == '\r')
            line[n - 1] = '\0';
        l = trim(line);
        if (!*l || *l == '#' || *l == ';')
            continue;
        r = *l == '[' ? section(&st, l) : assignment(&st, l);
    }
    free(line);

    if (r == 0 && out->n == 0)
        r = located(&st, -EINVAL, "no configuration: add a [NAME] section");
    /* [defaults] < options < the configuration's own keys */
    if (r == 0 && cli) {
        char msg[600];
        struct bt_config merged;
        config_init(&merged);
        r = config_inherit(&merged, cli, msg, sizeof msg);
        r = r ?: config_inherit(&merged, &st.defaults, msg, sizeof msg);
        if (r < 0)
            snprintf(err, errsz, "%s: %s", path, msg);
        config_free(&st.defaults);
        st.defaults = merged;
    }
    for (size_t i = 0; r == 0 && i < out->n; i++) {
        char msg[600];
        struct bt_config *c = &out->configs[i];
        r = config_inherit(c, &st.defaults, msg, sizeof msg);
        r = r ?: config_finish(c, msg, sizeof msg);
        if (r < 0)
            snprintf(err, errsz, "%s: [%s]: %s", path, c->name, msg);
    }
    config_free(&st.defaults);
    if (r < 0)
        runfile_free(out);
    return r;
}

int runfile_load(const char *path, const struct bt_config *cli, struct bt_runfile *out, char *err,
                 size_t errsz)
{
    struct stat st;
    _cleanup_free_ char *buf = NULL;
    ssize_t n;
    size_t got = 0;
    int r;

    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        r = -errno;
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return r;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errsz, "%s: not a regular file", path);
        return -EINVAL;
    }
    buf = malloc(RUNFILE_MAX_BYTES + 1);
    if (!buf)
        return -ENOMEM;
    while ((n = read(fd, buf + got, RUNFILE_MAX_BYTES + 1 - got)) > 0 &&
           got + (size_t)n <= RUNFILE_MAX_BYTES)
        got += (size_t)n;
    r = n < 0 ? -errno : 0;
    if (n > 0)
        got += (size_t)n; /* over the limit: runfile_parse says so */
    if (r < 0)
        snprintf(err, errsz, "%s: %s", path, strerror(-r));
    else
        r = runfile_parse(buf, got, path, cli, out, err, errsz);
    return r;
}
