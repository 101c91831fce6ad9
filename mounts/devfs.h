/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /dev without devtmpfs: a tmpfs holding the minimal nodes a boot needs, and nodes for the
 * devices sysfs lists (SYSDIR/dev/{block,char}/MAJOR:MINOR), made the way devtmpfs would.
 * No udev: the init calls devfs_sync again whenever it waits for a device.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* true when the running kernel lists devtmpfs in /proc/filesystems. */
bool devfs_have_devtmpfs(void);

/* true when text, in /proc/filesystems format ("nodev\tNAME\n" or "\tNAME\n" lines), lists
 * fstype. Pure, for tests. */
bool devfs_filesystems_list(const char *text, const char *fstype);

/* Mount a tmpfs at target (mode=0755, nosuid) and create the minimal nodes: console (5:1,
 * 0600), null (1:3), zero (1:5), full (1:7), random (1:8), urandom (1:9), tty (5:0, gid tty),
 * ptmx (5:2) all 0666, kmsg (1:11, 0644); directories pts (0755) and shm (1777); symlinks
 * fd -> /proc/self/fd, stdin/stdout/stderr -> /proc/self/fd/0..2. Modes are exact whatever
 * the umask. On failure the tmpfs is detached again and a negative errno returned; the _full
 * variant also writes the failing step (e.g. "mknod console") to why. */
int devfs_mount_tmpfs(const char *target);
int devfs_mount_tmpfs_full(const char *target, char *why, size_t n);

/* true when name is a DEVNAME= value devfs_sync may create below /dev: relative, not empty,
 * at most 255 bytes, no empty, "." or ".." component, no trailing '/', no control bytes.
 * Subdirectories ("input/event0", "dri/card0") are fine. */
bool devfs_devname_valid(const char *name);

struct devfs_sync_stats {
    int created;             /* new nodes, including replaced ones */
    int replaced;            /* a wrong node (type, numbers, a file or symlink) replaced */
    int existing;            /* already right: left alone */
    int skipped;             /* unsafe or missing DEVNAME, numbers disagreeing with the uevent,
                                a directory in the way, a symlink among the parent directories */
    int failed;              /* mknod, mkdir, chown, chmod or unlink failed */
    char first_failure[256]; /* "NAME: what failed: strerror", empty when failed == 0 */
};

/* Create a node in devdir for every device listed in SYSDIR/dev/block and SYSDIR/dev/char,
 * named by DEVNAME= of its uevent file (parent directories are created 0755). Never follows
 * a symlink inside devdir, never writes outside it. Idempotent: a correct node is left alone,
 * a wrong one replaced. Modes: block devices 0660 root:disk; char devices from a table
 * (null, zero, full, random, urandom, tty, ptmx 0666; console 0600; kmsg 0644; tty* 0620
 * root:tty), else DEVMODE= of the uevent when the kernel gives one (as devtmpfs does, e.g.
 * fuse 0666), else 0600 root:root.
 * Returns the number of nodes created, or a negative errno when devdir cannot be opened or
 * neither SYSDIR/dev/block nor SYSDIR/dev/char can be read. stats may be NULL. */
int devfs_sync(const char *devdir, const char *sysdir);
int devfs_sync_full(const char *devdir, const char *sysdir, struct devfs_sync_stats *stats);
