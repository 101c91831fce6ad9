/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configurations of a boot test and the run file that holds several of them
 * (sharedroot-boottest(1), RUN FILE):
 *
 *   # two kernels on one base
 *   [defaults]
 *   base = /srv/base.img
 *   instance = fresh
 *   [old]
 *   kernel = /boot/vmlinuz-6.1.0-27-cloud-amd64
 *   [new]
 *   kernel = /boot/vmlinuz-6.1.0-28-cloud-amd64
 *
 * The same keys are the command line's options for a run without a run file; given with a
 * run file, an option sets that key for every configuration that does not set it itself.
 */
#pragma once

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNFILE_MAX_BYTES (1024 * 1024)
#define RUNFILE_MAX_LINE 4096
#define RUNFILE_MAX_CONFIGS 64
#define RUNFILE_MAX_LIST 16 /* expect, fail, disk, qemu-arg entries per configuration */
#define RUNFILE_NAME_MAX 64

/* A disk: the instance disk or an extra one. */
enum disk_kind {
    DISK_NONE,  /* "none" */
    DISK_FILE,  /* a file used as it is (writable, kept across boots) */
    DISK_RO,    /* "ro:FILE", attached read-only */
    DISK_FRESH, /* "fresh[:SIZE]": a new empty ext4 per boot */
    DISK_COPY,  /* "copy:FILE": a copy of FILE per boot */
};

struct disk_spec {
    enum disk_kind kind;
    char *path;    /* FILE, RO, COPY */
    uint64_t size; /* FRESH, bytes */
};

#define DISK_FRESH_DEFAULT_SIZE (64ull << 20)
#define DISK_FRESH_LABEL "instance"

struct pattern {
    char *text;
    regex_t re;
};

/* How the base is attached (base-device =). */
enum base_device {
    BASE_DEVICE_UNSET = -1,
    BASE_DEVICE_BLK,  /* virtio-blk, read-only: /dev/vda */
    BASE_DEVICE_PMEM, /* virtio-pmem mapped from the file, private and read-only: /dev/pmem0 */
};

/* How QEMU reads the base file (base-format =). */
enum base_format {
    BASE_FORMAT_UNSET = -1,
    BASE_FORMAT_AUTO,  /* by the file's header (basic/imgformat.h): raw or qcow2 */
    BASE_FORMAT_RAW,   /* raw, whatever the header says (a warning when it names a container) */
    BASE_FORMAT_QCOW2, /* qcow2: the file must have a qcow2 header */
};

/* A virtio-pmem device is mapped in 2 MiB sections: the base file must be a multiple. */
#define PMEM_ALIGN (2ull << 20)

struct bt_config {
    char *name;
    char *kernel;
    char *initrd;      /* NULL: no initramfs */
    bool build_initrd; /* initrd = build: made with sharedroot-mkinitramfs */
    char *mkinitramfs_args;
    char *base;
    int base_device;   /* enum base_device */
    int base_format;   /* enum base_format: what was asked */
    int base_img;      /* enum img_format QEMU reads the base as (raw or qcow2), set before the
                        * boots by base_format_decide() (guest.h); raw until then */
    int base_detected; /* enum img_format the base's header says, set with base_img */
    char *root;        /* root= as given (else root_auto, else /dev/vda, /dev/pmem0 on
                        * virtio-pmem, with a base) */
    char *root_auto;   /* root= chosen from a raw base's partition table before the boots
                        * (root_decide(), guest.h), NULL when none was */
    char *root_from;   /* what that partition is: "partition 1, linux-root-x86-64, ext4" */
    struct disk_spec instance;
    struct disk_spec disks[RUNFILE_MAX_LIST];
    size_t n_disks;
    unsigned memory_mb;
    unsigned cpus;
    char *append;
    struct pattern expect[RUNFILE_MAX_LIST];
    size_t n_expect;
    struct pattern time; /* text NULL when unset */
    struct pattern fail[RUNFILE_MAX_LIST];
    size_t n_fail;
    int handoff;      /* 1 yes, 0 no, -1 unset (yes) */
    int default_fail; /* 1 yes, 0 no, -1 unset (yes) */
    int wait_exit;    /* after success, let the guest end by itself: 1, 0, -1 unset (no) */
    char *qemu_args;  /* blank-separated words */
    char *qemu_arg[RUNFILE_MAX_LIST]; /* one argument each, blanks and all */
    size_t n_qemu_arg;
    unsigned timeout_s;
    char *measure;     /* a shell command run against the guest once it succeeded */
    bool instance_set; /* "instance" was given (none counts) */
};

#define CONFIG_DEFAULT_MEMORY_MB 512
#define CONFIG_DEFAULT_CPUS 1
#define CONFIG_DEFAULT_TIMEOUT_S 120

struct bt_runfile {
    struct bt_config *configs;
    size_t n;
};

/* An empty configuration (every key unset). */
void config_init(struct bt_config *c);

/* Set key to value in c (one line of a run file, or one option). Lists grow; a scalar key
 * that is already set is replaced when replace is true, else it is an error ("set twice").
 * Error text (without location) into err. */
int config_set(struct bt_config *c, const char *key, const char *value, bool replace, char *err,
               size_t errsz);

/* Whether key names a configuration key. */
bool config_key_known(const char *key);

/* Fill what is unset in c from d (scalars; d's list entries come before c's own). */
int config_inherit(struct bt_config *c, const struct bt_config *d, char *err, size_t errsz);

/* Apply defaults for what is still unset, check what must be set. */
int config_finish(struct bt_config *c, char *err, size_t errsz);

void config_free(struct bt_config *c);

/* Parse a run file's text (len bytes, may hold anything) named path (for messages). The
 * configurations get the keys of [defaults], then those of cli (options: they win over
 * [defaults]), then their own. Errors: "PATH:LINE: what" in err, -EINVAL. */
int runfile_parse(const char *text, size_t len, const char *path, const struct bt_config *cli,
                  struct bt_runfile *out, char *err, size_t errsz);

/* Read and parse the file at path (at most RUNFILE_MAX_BYTES). */
int runfile_load(const char *path, const struct bt_config *cli, struct bt_runfile *out, char *err,
                 size_t errsz);

void runfile_free(struct bt_runfile *rf);

/* Format an error message into err (errsz bytes); returns -EINVAL, to return at once. */
int errmsg(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "64M", "1G", "65536" (bytes; K M G T suffixes are powers of 1024). -EINVAL, -ERANGE. */
int parse_size(const char *s, uint64_t *out);
/* A decimal number in [min, max]. */
int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);
