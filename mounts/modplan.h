/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The module plan: the kernel modules of an initramfs resolved at build time by
 * sharedroot-mkinitramfs (with libkmod), so that the init loads them with finit_module and
 * needs no module index and no libkmod at boot. Format (sharedroot-mkinitramfs(8), THE MODULE
 * PLAN), one record a line, words separated by blanks:
 *
 *   sharedroot-modplan 1          first line: the format and its version
 *   # ...                         comment; empty lines are allowed
 *   module NAME PATH [DEP...]     a module file, PATH relative to the module directory; DEP:
 *                                 every module it needs, each on an earlier line, in load order
 *   builtin NAME                  a module built into the kernel (nothing to load)
 *   softdep NAME pre|post MOD...  soft dependencies of NAME, loaded before or after it
 *   alias PATTERN NAME            a modalias glob (fnmatch, as libkmod's) that NAME serves
 *
 * Names are normalized module names (letters, digits, '_'; at most 55 bytes); patterns are
 * normalized as libkmod normalizes them ('-' outside of [...] becomes '_'). Because every
 * dependency is declared before the module that needs it, the hard dependencies cannot form a
 * cycle; soft dependencies may (each probe visits a module once, as libkmod does).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define MODPLAN_FILE "sharedroot.modplan" /* in the module directory */
#define MODPLAN_HEADER "sharedroot-modplan 1"
#define MODPLAN_MAX_BYTES (4u << 20)
#define MODPLAN_MAX_LINE 4096
#define MODPLAN_MAX_MODULES 4096
#define MODPLAN_MAX_ALIASES 200000
#define MODPLAN_MAX_DEPS 256 /* hard or soft dependencies of one module */
#define MODPLAN_NAME_MAX 55  /* MODULE_NAME_LEN - 1 */
#define MODPLAN_PATH_MAX 1024

struct modplan;

/* Parse a plan from text (len bytes, need not be NUL-terminated). On a malformed plan:
 * -EINVAL with the line number and what is wrong in why. */
int modplan_parse(const char *text, size_t len, struct modplan **out, char *why, size_t why_size);
/* Read and parse MODDIR/sharedroot.modplan: -ENOENT when there is none, -EFBIG when it is
 * larger than MODPLAN_MAX_BYTES, -EINVAL (why says) when it is malformed. */
int modplan_load(const char *moddir, struct modplan **out, char *why, size_t why_size);
struct modplan *modplan_free(struct modplan *p);

/* libkmod's alias normalization: '-' becomes '_' except inside [...]. -EINVAL for an
 * unbalanced bracket or an alias longer than n - 1. */
int modplan_normalize_alias(const char *alias, char *buf, size_t n);

/* Options and blacklist from the kernel command line, as libkmod takes them:
 * MODULE.PARAM[=VALUE] words are options of MODULE (quotes as the kernel splits words),
 * modprobe.blacklist=A,B blacklists modules. Replaces what an earlier call set. */
int modplan_set_cmdline(struct modplan *p, const char *cmdline);

size_t modplan_count(const struct modplan *p);
const char *modplan_name(const struct modplan *p, size_t i);
/* NULL for a built-in module */
const char *modplan_path(const struct modplan *p, size_t i);
bool modplan_builtin(const struct modplan *p, size_t i);
bool modplan_blacklisted(const struct modplan *p, size_t i);
/* The options to pass to finit_module ("" when none). */
const char *modplan_options(const struct modplan *p, size_t i);

/* The modules a name or alias means, as libkmod's lookup: a module name first (after
 * normalization), else every module with a matching alias, in plan order. Fills up to max
 * indexes; returns how many matched (0 when none), -EINVAL for an alias that cannot be
 * normalized. *by_alias says whether the match was through an alias. */
int modplan_lookup(const struct modplan *p, const char *name_or_alias, size_t *idx, size_t max,
                   bool *by_alias);

struct modplan_step {
    size_t mod;
    bool required; /* the module itself or a hard dependency: its failure fails the probe */
};

/* What probing module i inserts, in order, as libkmod's probe list: for each hard dependency
 * its pre softdeps, itself and its post softdeps (each recursively), then the same for i;
 * every module once. Returns the number of steps (at most max), -E2BIG when there are more. */
int modplan_probe_list(const struct modplan *p, size_t i, struct modplan_step *steps, size_t max);
