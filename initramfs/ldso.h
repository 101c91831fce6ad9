/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the dynamic loader finds a library, as glibc's ld.so does it: DT_RPATH (of the object,
 * then of the executable) when the object has no DT_RUNPATH, DT_RUNPATH, /etc/ld.so.cache
 * (or, when that cannot be parsed, the directories of /etc/ld.so.conf and its includes), then
 * the default directories. LD_LIBRARY_PATH is deliberately ignored: the initramfs must not
 * depend on the environment of the build.
 *
 * $ORIGIN is expanded twice: with the object's directory on the host (where the file is read)
 * and with its directory inside the image (where the guest's loader will look), so a library
 * found through $ORIGIN lands where the guest finds it again.
 */
#pragma once

#include <stdint.h>

#include "mkutil.h"

struct ldso {
    struct strv cache_names, cache_paths; /* parallel: soname -> path, from ld.so.cache */
    struct strv conf_dirs;                /* from ld.so.conf, only when there is no cache */
    struct strv default_dirs;
    char *triplet; /* multiarch triplet, e.g. x86_64-linux-gnu, or NULL */
};

/* A search path string of one object with the origins to expand $ORIGIN with. */
struct ldso_path {
    const char *list; /* colon separated, may be NULL */
    const char *host_origin, *guest_origin;
};

struct ldso_request {
    const char *name; /* DT_NEEDED value */
    unsigned char elf_class;
    uint16_t machine;
    struct ldso_path rpath, exec_rpath, runpath;
};

/* Set up: cache_path and conf_path may be NULL (not used). default_dirs NULL means the
 * standard list for triplet: /lib/TRIPLET /usr/lib/TRIPLET /lib /usr/lib. */
int ldso_init(struct ldso *l, const char *cache_path, const char *conf_path, const char *triplet,
              const char *const *default_dirs);
void ldso_done(struct ldso *l);

/* Parse an ld.so.cache image (new "glibc-ld.so.cache1.1" format, alone or after the old one).
 * Entries for glibc-hwcaps subdirectories are left out: the guest CPU may differ. */
int ldso_parse_cache(const void *buf, size_t size, struct strv *names, struct strv *paths);

/* Resolve req: *ret_host is the file to read, *ret_guest the path to place it at. -ENOENT
 * when no candidate of the right class and machine exists. */
int ldso_find(const struct ldso *l, const struct ldso_request *req, char **ret_host,
              char **ret_guest);

/* The multiarch triplet for an ELF machine and class, or NULL if unknown. */
const char *ldso_triplet_for(uint16_t machine, unsigned char elf_class);
