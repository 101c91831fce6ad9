/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One QEMU guest: its command line, its per-boot disks, starting it in its own process
 * group (so a terminal's Ctrl-C reaches the runner, which ends it, and so it can be ended
 * with everything it started), and ending it. The kernel side: its version from the bzImage
 * header, and an initramfs built for it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/filter.h>

#include "boottest.h"
#include "imgformat.h"

/* The kernel version inside a bzImage (the header's kernel_version string, its first word).
 * -EINVAL when buf is not a bzImage with a version string. Pure. */
int kernel_version_from_image(const unsigned char *buf, size_t len, char *out, size_t outsz);
int kernel_version_of(const char *kernel, char *out, size_t outsz);

/* The guest's name of the base disk: /dev/pmem0 on virtio-pmem, else /dev/vda; and the
 * start of its partitions' names (/dev/pmem0p, /dev/vda: /dev/pmem0p1, /dev/vda1). Pure. */
const char *base_disk_name(const struct bt_config *c);
const char *base_part_prefix(const struct bt_config *c);

/* The kernel command line for a configuration: console=ttyS0 and panic=-1 unless append
 * has its own, no_timer_check under TCG (tcg true) unless append has it, root= (c's root,
 * else c's root_auto, else /dev/vda with a base, /dev/pmem0 with a virtio-pmem base),
 * sharedroot.instance=/dev/vdb (/dev/vda with a virtio-pmem base) for an instance disk unless
 * append names one, then append. Newly allocated. */
char *guest_cmdline(const struct bt_config *c, bool tcg);

/* Whether the blank-separated words of line hold one starting with prefix ("root="). Pure. */
bool cmdline_has(const char *line, const char *prefix);

struct disk; /* a partition table (checkbase/partition.h) */

/* root= for a configuration whose base holds a partition table (d: as disk_probe() read it
 * from a raw base; NULL when the base has none or is not raw): with c's root (--root, root =)
 * or a root= in its append, or without d, 0 and nothing chosen (guest_cmdline() writes what
 * it wrote before). Else disk_choose()'s partition: 1, spec its PARTUUID=... (/dev/vdaN,
 * /dev/pmem0pN on virtio-pmem when the table gives it none) and from what it is
 * ("partition 1, linux-root-x86-64, ext4"). None: -ENOENT, -ENOTUNIQ or -EINVAL with the
 * reason, the fix and the partitions, one per line, in msg. Pure. */
int root_decide(const struct disk *d, const struct bt_config *c, char *spec, size_t spec_n,
                char *msg, size_t msg_n);

/* How the base is attached, from c's base-format and base-device and what the file's header
 * says (detected, basic/imgformat.h): 0 and *use, IMG_FORMAT_RAW or IMG_FORMAT_QCOW2 (a qcow2
 * base is attached read-only: QEMU reads it, a guest never writes it), with *warn set when
 * base-format = raw is used on a file whose header names a container (the user's choice; the
 * caller says so once, msg holds the sentence). -EINVAL, the reason and the fix in msg, for a
 * base that cannot be booted as asked: a container other than qcow2, base-format = qcow2 on
 * a file that is not qcow2, a container on virtio-pmem. Pure. */
int base_format_decide(const struct bt_config *c, enum img_format detected, enum img_format *use,
                       bool *warn, char *msg, size_t n);

/* Disks made for one boot (fresh or copied), removed after it. */
#define PMEM_ID "srbase" /* the QEMU ids of the base's virtio-pmem memory backend and device */

struct boot_disks {
    uint64_t base_size;      /* bytes of a virtio-pmem base (its memory backend's size) */
    char instance[PATH_MAX]; /* the instance disk to attach, "" for none */
    char disks[RUNFILE_MAX_LIST][PATH_MAX];
    bool made[RUNFILE_MAX_LIST + 1]; /* [0] instance, [1..] disks: made for this boot */
};

/* Make the per-boot disks of c in workdir (names from tag), and take a virtio-pmem base's
 * size. Errors in err. */
int boot_disks_make(const struct bt_config *c, const char *workdir, const char *tag,
                    struct boot_disks *d, char *err, size_t errsz);
void boot_disks_remove(struct boot_disks *d);

/* The QEMU argument vector (NULL-terminated, newly allocated strings) for a boot of c with
 * the initrd (NULL: none), accel "kvm" or "tcg", its console on stdout. */
char **guest_argv(const char *qemu, const struct bt_config *c, const char *initrd,
                  const struct boot_disks *d, const char *accel);
void argv_free(char **argv);

/* Start argv[0] (looked up in PATH) with stdin /dev/null, stdout console_w, stderr err_fd,
 * in a new process group, killed by the kernel when this process dies
 * (PR_SET_PDEATHSIG), under filter (thp.h; NULL or empty for none). Returns the pid or
 * -errno. */
pid_t spawn_guest(char **argv, int console_w, int err_fd, const struct sock_fprog *filter);

/* Start /bin/sh -c command as spawn_guest() starts a guest (own process group, killed with
 * this process), with env's NAME=VALUE strings added to the environment (they must live
 * until it has started). Returns the pid or -errno. */
pid_t spawn_command(const char *command, char **env, int out_fd, int err_fd);

/* Start a helper program as spawn_guest() starts a guest but in this process group, stdout
 * to out_fd and stderr to err_fd (/dev/null when -1). Returns the pid or -errno. */
pid_t spawn_helper(char **argv, int out_fd, int err_fd);

/* Run a helper program to its end (mkfs, cp, mkinitramfs), output to out_fd (or /dev/null
 * when -1). Its exit status, or -errno when it could not be started. */
int run_helper(char **argv, int out_fd);

/* A program beside this one (the build tree: ../initramfs/NAME too), or in PATH, or in
 * /usr/sbin:/sbin. Newly allocated, NULL when not found. */
char *find_program(const char *name, const char *beside_rel);
