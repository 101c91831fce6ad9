/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ldso.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "elfread.h"

#define CACHE_OLD_MAGIC "ld.so-1.7.0"
#define CACHE_NEW_MAGIC "glibc-ld.so.cache1.1"
#define CACHE_NEW_HEADER 48
#define CACHE_NEW_ENTRY 24
#define CACHE_OLD_HEADER 16
#define CACHE_OLD_ENTRY 12
#define CACHE_FLAG_TYPE_MASK 0x00ff
#define CACHE_FLAG_ELF_LIBC6 0x0003
#define CONF_MAX_DEPTH 8

static const struct {
    uint16_t machine;
    unsigned char elf_class;
    const char *triplet;
} triplets[] = {
    {EM_X86_64, ELFCLASS64, "x86_64-linux-gnu"},     {EM_X86_64, ELFCLASS32, "x86_64-linux-gnux32"},
    {EM_386, ELFCLASS32, "i386-linux-gnu"},          {EM_AARCH64, ELFCLASS64, "aarch64-linux-gnu"},
    {EM_ARM, ELFCLASS32, "arm-linux-gnueabihf"},     {EM_RISCV, ELFCLASS64, "riscv64-linux-gnu"},
    {EM_PPC64, ELFCLASS64, "powerpc64le-linux-gnu"}, {EM_S390, ELFCLASS64, "s390x-linux-gnu"},
};

const char *ldso_triplet_for(uint16_t machine, unsigned char elf_class)
{
    for (size_t i = 0; i < sizeof(triplets) / sizeof(triplets[0]); i++)
        if (triplets[i].machine == machine && triplets[i].elf_class == elf_class)
            return triplets[i].triplet;
    return NULL;
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t x;
    memcpy(&x, p, sizeof(x));
    return x;
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t x;
    memcpy(&x, p, sizeof(x));
    return x;
}

/* A string at offset off of the table that starts at base and ends at the end of the file. */
static const char *cache_string(const unsigned char *base, size_t avail, uint32_t off)
{
    if (off >= avail || !memchr(base + off, '\0', avail - off))
        return NULL;
    return (const char *)base + off;
}

static int parse_new_cache(const unsigned char *p, size_t size, struct strv *names,
                           struct strv *paths)
{
    uint32_t nlibs;

    if (size < CACHE_NEW_HEADER || memcmp(p, CACHE_NEW_MAGIC, strlen(CACHE_NEW_MAGIC)) != 0)
        return -EBADMSG;
    nlibs = get32(p + 20);
    if (nlibs > (size - CACHE_NEW_HEADER) / CACHE_NEW_ENTRY)
        return -EBADMSG;
    for (uint32_t i = 0; i < nlibs; i++) {
        const unsigned char *e = p + CACHE_NEW_HEADER + (size_t)i * CACHE_NEW_ENTRY;
        const char *key = cache_string(p, size, get32(e + 4));
        const char *value = cache_string(p, size, get32(e + 8));
        int r;

        if (!key || !value)
            return -EBADMSG;
        if ((get32(e) & CACHE_FLAG_TYPE_MASK) != CACHE_FLAG_ELF_LIBC6 || get64(e + 16) != 0)
            continue;
        if ((r = strv_push(names, key)) < 0 || (r = strv_push(paths, value)) < 0)
            return r;
    }
    return 0;
}

int ldso_parse_cache(const void *buf, size_t size, struct strv *names, struct strv *paths)
{
    const unsigned char *p = buf;
    size_t off;
    uint32_t nold;

    if (size >= strlen(CACHE_NEW_MAGIC) && memcmp(p, CACHE_NEW_MAGIC, strlen(CACHE_NEW_MAGIC)) == 0)
        return parse_new_cache(p, size, names, paths);
    if (size < CACHE_OLD_HEADER || memcmp(p, CACHE_OLD_MAGIC, strlen(CACHE_OLD_MAGIC)) != 0)
        return -EBADMSG;
    /* The old format is followed by the new one, 8-byte aligned; only the new one is used. */
    nold = get32(p + 12);
    if (nold > (size - CACHE_OLD_HEADER) / CACHE_OLD_ENTRY)
        return -EBADMSG;
    off = (CACHE_OLD_HEADER + (size_t)nold * CACHE_OLD_ENTRY + 7) & ~(size_t)7;
    if (off > size)
        return -EBADMSG;
    return parse_new_cache(p + off, size - off, names, paths);
}

static int conf_parse_file(const char *path, struct strv *dirs, unsigned depth);

static int conf_include(const char *conf_path, const char *pattern, struct strv *dirs,
                        unsigned depth)
{
    _cleanup_free_ char *dir = path_dirname(conf_path);
    _cleanup_free_ char *full = NULL;
    glob_t g;
    int r = 0;

    if (!dir)
        return -ENOMEM;
    full = pattern[0] == '/' ? strdup(pattern) : path_join(dir, pattern);
    if (!full)
        return -ENOMEM;
    if (glob(full, 0, NULL, &g) != 0)
        return 0;
    for (size_t i = 0; i < g.gl_pathc && r >= 0; i++)
        r = conf_parse_file(g.gl_pathv[i], dirs, depth + 1);
    globfree(&g);
    return r;
}

static int conf_parse_line(const char *conf_path, char *line, struct strv *dirs, unsigned depth)
{
    char *save = NULL, *tok;

    line[strcspn(line, "#\n")] = '\0';
    tok = strtok_r(line, " \t", &save);
    if (!tok || strcmp(tok, "hwcap") == 0)
        return 0;
    if (strcmp(tok, "include") == 0) {
        int r = 0;
        while (r >= 0 && (tok = strtok_r(NULL, " \t", &save)))
            r = conf_include(conf_path, tok, dirs, depth);
        return r;
    }
    for (; tok; tok = strtok_r(NULL, " \t:,", &save)) {
        tok[strcspn(tok, "=")] = '\0';
        if (tok[0] == '/' && !strv_contains(dirs, tok)) {
            int r = strv_push(dirs, tok);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static int conf_parse_file(const char *path, struct strv *dirs, unsigned depth)
{
    _cleanup_free_ char *buf = NULL;
    size_t size;
    char *save = NULL;
    int r;

    if (depth > CONF_MAX_DEPTH)
        return 0;
    r = read_file(path, 1024 * 1024, (void **)&buf, &size);
    if (r < 0)
        return r == -ENOENT ? 0 : r;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        r = conf_parse_line(path, line, dirs, depth);
        if (r < 0)
            return r;
    }
    return 0;
}

static int set_default_dirs(struct ldso *l, const char *const *default_dirs)
{
    static const char *const bases[] = {"/lib", "/usr/lib"};
    int r;

    if (default_dirs) {
        for (; *default_dirs; default_dirs++)
            if ((r = strv_push(&l->default_dirs, *default_dirs)) < 0)
                return r;
        return 0;
    }
    for (size_t i = 0; l->triplet && i < 2; i++) {
        _cleanup_free_ char *d = path_join(bases[i], l->triplet);
        if (!d)
            return -ENOMEM;
        if ((r = strv_push(&l->default_dirs, d)) < 0)
            return r;
    }
    for (size_t i = 0; i < 2; i++)
        if ((r = strv_push(&l->default_dirs, bases[i])) < 0)
            return r;
    return 0;
}

static int load_cache(struct ldso *l, const char *cache_path)
{
    _cleanup_free_ void *buf = NULL;
    size_t size;
    int r;

    r = read_file(cache_path, 256 * 1024 * 1024, &buf, &size);
    if (r < 0)
        return r;
    r = ldso_parse_cache(buf, size, &l->cache_names, &l->cache_paths);
    if (r < 0) {
        strv_done(&l->cache_names);
        strv_done(&l->cache_paths);
    }
    return r;
}

int ldso_init(struct ldso *l, const char *cache_path, const char *conf_path, const char *triplet,
              const char *const *default_dirs)
{
    int r = 0;

    *l = (struct ldso){0};
    if (triplet && !(l->triplet = strdup(triplet)))
        return -ENOMEM;
    /* Without a usable cache the loader would fail where ldconfig's directories matter;
     * reading ld.so.conf is the next best description of them. */
    if (!cache_path || load_cache(l, cache_path) < 0)
        if (conf_path)
            r = conf_parse_file(conf_path, &l->conf_dirs, 0);
    if (r >= 0)
        r = set_default_dirs(l, default_dirs);
    if (r < 0)
        ldso_done(l);
    return r;
}

void ldso_done(struct ldso *l)
{
    strv_done(&l->cache_names);
    strv_done(&l->cache_paths);
    strv_done(&l->conf_dirs);
    strv_done(&l->default_dirs);
    free(l->triplet);
    *l = (struct ldso){0};
}

/* Replace $ORIGIN, $LIB and $PLATFORM (also in ${} form); other text is kept as is. */
static char *expand_tokens(const char *dir, const char *origin, const struct ldso *l)
{
    const char *platform = l->triplet ? l->triplet : "";
    _cleanup_free_ char *lib = NULL;
    static const char *const names[] = {"ORIGIN", "LIB", "PLATFORM"};
    char *out = NULL;
    size_t len = 0;
    FILE *f;

    if (asprintf(&lib, "lib%s%s", l->triplet ? "/" : "", l->triplet ? l->triplet : "") < 0)
        return NULL;
    f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    for (const char *p = dir; *p;) {
        const char *values[] = {origin, lib, platform};
        size_t i, skip = 0;

        for (i = 0; *p == '$' && i < 3; i++) {
            size_t n = strlen(names[i]);
            if (strncmp(p + 1, names[i], n) == 0 &&
                !(p[1 + n] == '_' || isalnum((unsigned char)p[1 + n]))) {
                skip = 1 + n;
                break;
            }
            if (p[1] == '{' && strncmp(p + 2, names[i], n) == 0 && p[2 + n] == '}') {
                skip = 3 + n;
                break;
            }
        }
        if (skip) {
            fputs(i == 2 ? strndupa(platform, strcspn(platform, "-")) : values[i], f);
            p += skip;
        } else {
            fputc(*p++, f);
        }
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* What ld.so itself accepts (glibc open_verify): an ELF shared object (ET_DYN) of the class
 * and machine of the object that needs it. Anything else at a DT_NEEDED path (a text file,
 * a relocatable object, a core dump, a FIFO) is no library and never goes into the image. */
static bool candidate_ok(const char *path, const struct ldso_request *req)
{
    struct elf_ident id;

    if (elf_peek_file(path, &id) < 0)
        return false;
    return id.type == ET_DYN && id.elf_class == req->elf_class && id.machine == req->machine;
}

/* Try name in one directory; host_dir is read, guest_dir names the place in the image. */
static int try_dir(const char *host_dir, const char *guest_dir, const struct ldso_request *req,
                   char **ret_host, char **ret_guest)
{
    _cleanup_free_ char *h = NULL, *g = NULL;
    char *hn, *gn;

    if (host_dir[0] != '/' || guest_dir[0] != '/')
        return -ENOENT; /* relative to the loader's cwd: not reproducible, not followed */
    h = path_join(host_dir, req->name);
    g = path_join(guest_dir, req->name);
    if (!h || !g)
        return -ENOMEM;
    if (!candidate_ok(h, req))
        return -ENOENT;
    hn = path_normalize(h);
    gn = path_normalize(g);
    if (!hn || !gn) {
        free(hn);
        free(gn);
        return -ENOMEM;
    }
    *ret_host = hn;
    *ret_guest = gn;
    return 0;
}

static int try_path_list(const struct ldso *l, const struct ldso_path *path,
                         const struct ldso_request *req, char **ret_host, char **ret_guest)
{
    _cleanup_free_ char *copy = NULL;
    char *save = NULL;

    if (!path->list)
        return -ENOENT;
    copy = strdup(path->list);
    if (!copy)
        return -ENOMEM;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        _cleanup_free_ char *h = expand_tokens(d, path->host_origin, l);
        _cleanup_free_ char *g = expand_tokens(d, path->guest_origin, l);
        int r;

        if (!h || !g)
            return -ENOMEM;
        r = try_dir(h, g, req, ret_host, ret_guest);
        if (r != -ENOENT)
            return r;
    }
    return -ENOENT;
}

static int try_dirs(const struct strv *dirs, const struct ldso_request *req, char **ret_host,
                    char **ret_guest)
{
    for (size_t i = 0; i < dirs->n; i++) {
        int r = try_dir(dirs->v[i], dirs->v[i], req, ret_host, ret_guest);
        if (r != -ENOENT)
            return r;
    }
    return -ENOENT;
}

static int try_cache(const struct ldso *l, const struct ldso_request *req, char **ret_host,
                     char **ret_guest)
{
    for (size_t i = 0; i < l->cache_names.n; i++) {
        char *h, *g;

        if (strcmp(l->cache_names.v[i], req->name) != 0 || l->cache_paths.v[i][0] != '/')
            continue;
        if (!candidate_ok(l->cache_paths.v[i], req))
            continue;
        h = path_normalize(l->cache_paths.v[i]);
        g = path_normalize(l->cache_paths.v[i]);
        if (!h || !g) {
            free(h);
            free(g);
            return -ENOMEM;
        }
        *ret_host = h;
        *ret_guest = g;
        return 0;
    }
    return -ENOENT;
}

int ldso_find(const struct ldso *l, const struct ldso_request *req, char **ret_host,
              char **ret_guest)
{
    int r;

    if (strchr(req->name, '/')) {
        /* A path, not a name: the loader takes it as is (relative ones depend on cwd). */
        if (req->name[0] != '/')
            return -ENOENT;
        return try_dir("/", "/",
                       &(struct ldso_request){.name = req->name + 1,
                                              .elf_class = req->elf_class,
                                              .machine = req->machine},
                       ret_host, ret_guest);
    }
    if (!req->runpath.list) {
        r = try_path_list(l, &req->rpath, req, ret_host, ret_guest);
        if (r != -ENOENT)
            return r;
        r = try_path_list(l, &req->exec_rpath, req, ret_host, ret_guest);
        if (r != -ENOENT)
            return r;
    }
    r = try_path_list(l, &req->runpath, req, ret_host, ret_guest);
    if (r != -ENOENT)
        return r;
    r = try_cache(l, req, ret_host, ret_guest);
    if (r != -ENOENT)
        return r;
    r = try_dirs(&l->conf_dirs, req, ret_host, ret_guest);
    if (r != -ENOENT)
        return r;
    return try_dirs(&l->default_dirs, req, ret_host, ret_guest);
}
