/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The set of kernel modules the image carries, resolved with libkmod against one module
 * directory: each name (or alias) with its dependencies and its soft dependencies (pre and
 * post), recursively. Built-in modules are kept in the set (for --list) but have no file.
 * Only the directory's own modules.softdep is used, not the host's /etc/modprobe.d: the image
 * must not depend on the build host's configuration.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct kmod_ctx;

struct kmod_item {
    char *name;
    char *path;    /* absolute path of the .ko(.xz/.zst), NULL when built in */
    char *relpath; /* path relative to the module directory, NULL when built in */
    char *reason;  /* "default", "requested", "dependency of X", "softdep of X" */
    bool builtin;
};

struct kmodset {
    struct kmod_item *v;
    size_t n, cap;
    struct kmod_ctx *ctx;
};

/* -ENOENT when moddir has no modules.dep(.bin). */
int kmodset_init(struct kmodset *s, const char *moddir);
/* Add a module by name or alias with its dependencies; -ENOENT (no message) when unknown. */
int kmodset_add(struct kmodset *s, const char *name, const char *reason);
const struct kmod_item *kmodset_find(const struct kmodset *s, const char *name);
void kmodset_done(struct kmodset *s);
