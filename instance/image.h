/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An existing instance image (a file): refused while anything uses it, locked while we work
 * on it, and mounted only inside a private mount namespace of this process (libmount's loop
 * option, autoclear), so it is never left mounted or attached: when the process ends, so do
 * the namespace, the mount and the loop device.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct image {
    const char *path;
    char fstype[32];
    int lock_fd;      /* holds our OFD lock on the image */
    char *mountpoint; /* while mounted */
    int rootfd;       /* O_PATH fd of the mounted root, or -1 */
};

/* Check that path is an image file nothing uses (not attached to a loop device, not locked
 * by another process such as a running QEMU), probe its filesystem, and take a lock on it
 * (write: exclusive, else shared) for as long as img lives. Logs why it refuses. */
int image_open(struct image *img, const char *path, bool write);

/* Mount it (read-only without journal replay, or read-write) in the private namespace;
 * img->rootfd is the root. Then check the marker: a filesystem without it is unmounted and
 * refused (-EMEDIUMTYPE), nothing written (a read-write mount is only made after a
 * read-only look). Logs why. */
int image_mount(struct image *img, bool write);

/* Mount a scratch copy of ours (clone's new image, not yet renamed into place) read-write at
 * once, then check the marker: a foreign copy is only ever thrown away, so the read-only look
 * image_mount makes first is not needed. -EMEDIUMTYPE, not logged, without the marker. */
int image_mount_scratch(struct image *img);

/* Mount the image read-write instead of read-only (it was opened for writing and mounted by
 * image_mount): for commands that look before they change anything, so that a refusal leaves
 * the image byte-identical (a read-write mount alone writes to the superblock). */
int image_make_writable(struct image *img);

/* The filesystem's label and UUID ("" when it has none). */
void image_probe_ids(const char *path, char *label, size_t ln, char *uuid, size_t un);

/* Unmount (the loop device detaches itself), drop the lock. */
void image_close(struct image *img);

/* Enter a private mount namespace (once per process). */
int image_private_namespace(const char *what);

/* Whether path (an image file) is attached to a loop device: 1 and the device in dev, 0, or
 * negative errno. */
int image_loop_attached(const char *path, char *dev, size_t n);

/* Whether another process holds a lock on the open file fd (QEMU locks its images): 1 (pid in
 * *pid, when known), 0, negative errno. */
int image_locked_by_other(int fd, int *pid);

/* The instance at dir, the top of a mounted instance filesystem as an admin typed it: resolved
 * with rc_open_typed (no symlink from the mount point holding it down, the dirs above it
 * root's), and it must carry the marker. With in_use_ok false it is refused (-EBUSY) while an
 * overlay uses one of its upper dirs. what names the command in messages. Returns an fd of
 * the dir; logs why it refuses. */
int image_open_dir(const char *dir, bool in_use_ok, const char *what);

/* Whether the instance dir (its top) is the home of an overlay upper mounted anywhere in
 * this mount namespace: 1 and the upper in upper, 0, negative errno. */
int image_dir_in_use(int rootfd, const char *root, char *upper, size_t n);
