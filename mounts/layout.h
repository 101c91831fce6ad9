/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The instance layout: which partitions hold the instance's own state, which directories of
 * the base are overlaid and where their upper and work dirs live, /tmp and swap.
 * It comes from a layout file in fstab format (parsed with libmount; see sharedroot-layout(5))
 * or is made from sharedroot.instance= / volatile mode, so the boot has one code path.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Where the instance's mounts live; /run is moved into the new root, so these paths stay
 * valid after the switch. */
#define SHAREDROOT_RUN "/run/sharedroot"
#define SHAREDROOT_BASE SHAREDROOT_RUN "/base"
#define SHAREDROOT_INSTANCE SHAREDROOT_RUN "/instance"
#define LAYOUT_DEFAULT_PATH "/etc/sharedroot/layout.fstab"
#define LAYOUT_MAX_ENTRIES 64
#define LAYOUT_MAX_BYTES (1024 * 1024)

enum layout_kind {
    LAYOUT_ROOT,    /* the "/" line: documents the base; root= decides */
    LAYOUT_PART,    /* an instance partition, mounted read-write under /run/sharedroot/ */
    LAYOUT_TMP,     /* a partition for /tmp, cleaned at every boot */
    LAYOUT_SWAP,    /* a swap partition */
    LAYOUT_OVERLAY, /* a directory of the base overlaid */
};

struct layout_entry {
    enum layout_kind kind;
    char *source;  /* device spec; "tmpfs" for a volatile instance */
    char *target;  /* mount point; for overlays the directory in the root ("/etc") */
    char *fstype;  /* NULL or "auto": probe */
    char *options; /* mount options the user gave (overlay: besides lower/upper/workdir) */
    int passno;    /* fsck pass: 0 none */
    char *lower, *upper, *work; /* overlays */
    int line;                   /* in the layout file, 0 when made from the command line */
    char *device; /* set by the boot: the device source resolved to ("tmpfs"), NULL before */
};

struct layout {
    struct layout_entry entries[LAYOUT_MAX_ENTRIES];
    size_t n;
};

/* Parse an fstab-format layout file (a regular file of at most LAYOUT_MAX_BYTES). On error
 * returns a negative errno and a message naming the file, the line and the fix in err. */
int layout_parse_file(const char *path, struct layout *l, char *err, size_t errlen);
/* The same for the text of one (len bytes, NULs and all), named name in messages. Pure. */
int layout_parse_text(const char *text, size_t len, const char *name, struct layout *l, char *err,
                      size_t errlen);

/* The layout of sharedroot.instance=SPEC (source) or of volatile mode (source NULL: tmpfs)
 * with the comma-separated overlay list. */
int layout_from_instance(const char *source, const char *overlays, struct layout *l, char *err,
                         size_t errlen);

/* Check a parsed layout as a whole: overlay uppers and works on the same instance partition,
 * targets unique, at most one tmp; no upper or work dir shared with or nested in another
 * overlay's upper or work dir, any overlay's lower dir, or the partition's reconcile/, tmp/
 * and swapfile. */
int layout_validate(const struct layout *l, char *err, size_t errlen);

/* The instance partition that contains path (the longest target prefix), or NULL. */
const struct layout_entry *layout_part_for(const struct layout *l, const char *path);

/* Escape an overlaid directory into one path component, injectively (two directories never
 * get one name): '/' -> '-', '-' -> "\x2d", '\' -> "\x5c", every other byte as it is;
 * leading, doubled and trailing slashes add nothing. "/var/lib" -> "var-lib". */
int layout_dir_name(const char *dir, char *out, size_t n);

/* The name sharedroot 0.1.0 gave dir ('\' was not escaped, so "/var-lib" and
 * "/var\x2dlib" collided), when it differs from layout_dir_name's and belongs to dir alone:
 * no '-' and no "\x2d" in dir, and at least one backslash not starting "\x5c". -ENOENT
 * when there is no such name (then there is nothing to adopt). */
int layout_dir_name_legacy(const char *dir, char *out, size_t n);

/* Keep instances made by sharedroot 0.1.0 working: when overlay e's directories on its
 * (mounted) instance partition still carry the name of layout_dir_name_legacy and the new
 * name does not exist, rename overlay/OLD (when e's upper and work are the derived
 * overlay/NAME/{upper,work}) and reconcile/OLD to the new name, never through a symlink.
 * Returns how many were renamed (what says which), 0 when nothing was to do, or a negative
 * errno (what says which rename failed). */
int layout_adopt_legacy_dirs(const struct layout *l, const struct layout_entry *e, char *what,
                             size_t n);

void layout_free(struct layout *l);
