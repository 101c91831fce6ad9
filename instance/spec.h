/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where things live on an instance filesystem, relative to its root, exactly as the init
 * makes them (mounts/layout.c, init/stage-*.c): the marker, overlay/NAME/{upper,work} for
 * each overlaid dir (NAME from layout_dir_name: "/var/lib" -> "var-lib"), the reconcile store
 * reconcile/NAME next to the upper, and tmp. With a layout file the uppers are where its
 * upperdir= options say, on the partition chosen.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "layout.h"

struct inst_overlay {
    char dir[PATH_MAX];   /* the overlaid dir, "/etc" */
    char name[256];       /* its escaped name, "etc" */
    char upper[PATH_MAX]; /* relative to the filesystem root: "overlay/etc/upper" */
    char work[PATH_MAX];
    char store[PATH_MAX]; /* "reconcile/etc" */
};

struct inst_spec {
    struct inst_overlay ov[LAYOUT_MAX_ENTRIES];
    size_t n;
    bool tmp; /* this filesystem holds the instance's tmp (and a swap file) */
};

/* The layout of sharedroot.instance= with a comma-separated overlay list (NULL: /etc,/var). */
int spec_from_overlays(const char *overlays, struct inst_spec *s, char *err, size_t n);

/* The part of layout file path that lives on the partition mounted at part (NULL: the one
 * holding the /etc upper, else the first partition). */
int spec_from_layout(const char *path, const char *part, struct inst_spec *s, char *err, size_t n);

/* The overlays an existing instance filesystem has (overlay/NAME/upper dirs below rootfd),
 * names unescaped ("var-lib" -> "/var/lib"). */
int spec_discover(int rootfd, struct inst_spec *s, char *err, size_t n);

/* The overlay holding the absolute path p ("/etc/ssh/x"); *rel is set to the path below it
 * ("ssh/x", "" for the dir itself). NULL when no overlay holds it. */
const struct inst_overlay *spec_overlay_for(const struct inst_spec *s, const char *p,
                                            const char **rel);

/* Inverse of layout_dir_name: "var-lib" -> "/var/lib", "a\x2db" -> "/a-b". -EINVAL for a
 * name layout_dir_name cannot have made. */
int spec_unescape_name(const char *name, char *out, size_t n);
