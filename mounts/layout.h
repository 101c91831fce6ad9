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
};

struct layout {
    struct layout_entry entries[LAYOUT_MAX_ENTRIES];
    size_t n;
};

/* Parse an fstab-format layout file. On error returns a negative errno and a message naming
 * the file, the line and the fix in err. */
int layout_parse_file(const char *path, struct layout *l, char *err, size_t errlen);

/* The layout of sharedroot.instance=SPEC (source) or of volatile mode (source NULL: tmpfs)
 * with the comma-separated overlay list. */
int layout_from_instance(const char *source, const char *overlays, struct layout *l, char *err,
                         size_t errlen);

/* Check a parsed layout as a whole: overlay uppers and works on the same instance partition,
 * targets unique, at most one tmp. */
int layout_validate(const struct layout *l, char *err, size_t errlen);

/* The instance partition that contains path (the longest target prefix), or NULL. */
const struct layout_entry *layout_part_for(const struct layout *l, const char *path);

/* Escape an overlaid directory into one path component: "/var/lib" -> "var-lib",
 * '-' -> "\x2d" (as systemd does for unit names). */
int layout_dir_name(const char *dir, char *out, size_t n);

void layout_free(struct layout *l);
