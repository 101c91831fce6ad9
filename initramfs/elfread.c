/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "elfread.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkutil.h"

/* A view of the file with the byte order and class of the object. */
struct elf_view {
    const unsigned char *p;
    size_t size;
    bool is64, msb;
};

/* The segments that map file bytes, for turning DT_STRTAB's address into an offset. */
struct load_seg {
    uint64_t vaddr, offset, filesz;
};

static bool in_bounds(const struct elf_view *v, uint64_t off, uint64_t len)
{
    return off <= v->size && len <= v->size - off;
}

static uint64_t rd(const struct elf_view *v, uint64_t off, unsigned width)
{
    uint64_t x = 0;

    for (unsigned i = 0; i < width; i++) {
        unsigned shift = v->msb ? 8 * (width - 1 - i) : 8 * i;
        x |= (uint64_t)v->p[off + i] << shift;
    }
    return x;
}

/* A word of the object's class: 4 bytes in ELF32, 8 in ELF64. */
static uint64_t rd_word(const struct elf_view *v, uint64_t off)
{
    return rd(v, off, v->is64 ? 8 : 4);
}

static int check_ident(const struct elf_view *v, struct elf_info *info)
{
    const unsigned char *id = v->p;

    if (v->size < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG) != 0)
        return -ENOEXEC;
    if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
        return -EBADMSG;
    if (id[EI_DATA] != ELFDATA2LSB && id[EI_DATA] != ELFDATA2MSB)
        return -EBADMSG;
    info->elf_class = id[EI_CLASS];
    info->data = id[EI_DATA];
    return 0;
}

/* Copy a NUL-terminated string that must end inside [start, end). */
static int copy_string(const struct elf_view *v, uint64_t start, uint64_t end, char **ret)
{
    const unsigned char *nul;
    uint64_t max;

    if (start >= end || end > v->size)
        return -EBADMSG;
    max = end - start;
    if (max > ELF_MAX_STRING)
        max = ELF_MAX_STRING;
    nul = memchr(v->p + start, '\0', (size_t)max);
    if (!nul)
        return -EBADMSG;
    *ret = strndup((const char *)v->p + start, (size_t)(nul - (v->p + start)));
    return *ret ? 0 : -ENOMEM;
}

struct phdr {
    uint32_t type;
    uint64_t offset, vaddr, filesz;
};

static struct phdr read_phdr(const struct elf_view *v, uint64_t off)
{
    struct phdr ph = {.type = (uint32_t)rd(v, off, 4)};

    if (v->is64) {
        ph.offset = rd(v, off + 8, 8);
        ph.vaddr = rd(v, off + 16, 8);
        ph.filesz = rd(v, off + 32, 8);
    } else {
        ph.offset = rd(v, off + 4, 4);
        ph.vaddr = rd(v, off + 8, 4);
        ph.filesz = rd(v, off + 16, 4);
    }
    return ph;
}

struct dyn_tables {
    uint64_t strtab_addr, strsz;
    bool have_strtab, have_strsz;
    uint64_t needed[ELF_MAX_NEEDED];
    size_t n_needed;
    uint64_t rpath, runpath;
    bool have_rpath, have_runpath;
};

static int scan_dynamic(const struct elf_view *v, const struct phdr *dyn, struct dyn_tables *t)
{
    unsigned esz = v->is64 ? 16 : 8;

    if (!in_bounds(v, dyn->offset, dyn->filesz))
        return -EBADMSG;
    for (uint64_t o = 0; o + esz <= dyn->filesz; o += esz) {
        uint64_t tag = rd_word(v, dyn->offset + o);
        uint64_t val = rd_word(v, dyn->offset + o + esz / 2);

        if (tag == DT_NULL)
            break;
        if (tag == DT_NEEDED) {
            if (t->n_needed >= ELF_MAX_NEEDED)
                return -E2BIG;
            t->needed[t->n_needed++] = val;
        } else if (tag == DT_STRTAB) {
            t->strtab_addr = val;
            t->have_strtab = true;
        } else if (tag == DT_STRSZ) {
            t->strsz = val;
            t->have_strsz = true;
        } else if (tag == DT_RPATH) {
            t->rpath = val;
            t->have_rpath = true;
        } else if (tag == DT_RUNPATH) {
            t->runpath = val;
            t->have_runpath = true;
        }
    }
    return 0;
}

/* Map the string table's address to a file range through the PT_LOAD segments. */
static int strtab_range(const struct load_seg *segs, size_t n, const struct dyn_tables *t,
                        uint64_t *ret_start, uint64_t *ret_end)
{
    for (size_t i = 0; i < n; i++) {
        const struct load_seg *s = &segs[i];
        uint64_t delta, avail;

        if (t->strtab_addr < s->vaddr || t->strtab_addr - s->vaddr >= s->filesz)
            continue;
        delta = t->strtab_addr - s->vaddr;
        avail = s->filesz - delta;
        if (s->offset > UINT64_MAX - delta)
            return -EBADMSG;
        *ret_start = s->offset + delta;
        *ret_end = *ret_start + (t->strsz < avail ? t->strsz : avail);
        if (*ret_end < *ret_start)
            return -EBADMSG;
        return 0;
    }
    return -EBADMSG;
}

static int dyn_string(const struct elf_view *v, uint64_t start, uint64_t end, uint64_t idx,
                      char **ret)
{
    if (idx >= end - start)
        return -EBADMSG;
    return copy_string(v, start + idx, end, ret);
}

static int collect_strings(const struct elf_view *v, const struct load_seg *segs, size_t nsegs,
                           const struct dyn_tables *t, struct elf_info *info)
{
    uint64_t start, end;
    int r;

    if (t->n_needed == 0 && !t->have_rpath && !t->have_runpath)
        return 0;
    if (!t->have_strtab || !t->have_strsz)
        return -EBADMSG;
    r = strtab_range(segs, nsegs, t, &start, &end);
    if (r < 0)
        return r;
    if (end > v->size)
        return -EBADMSG;
    if (t->n_needed > 0) {
        info->needed = calloc(t->n_needed, sizeof(char *));
        if (!info->needed)
            return -ENOMEM;
    }
    for (size_t i = 0; i < t->n_needed; i++) {
        r = dyn_string(v, start, end, t->needed[i], &info->needed[i]);
        if (r < 0)
            return r;
        info->n_needed++;
    }
    if (t->have_rpath && (r = dyn_string(v, start, end, t->rpath, &info->rpath)) < 0)
        return r;
    if (t->have_runpath && (r = dyn_string(v, start, end, t->runpath, &info->runpath)) < 0)
        return r;
    return 0;
}

static int parse_headers(const struct elf_view *v, struct elf_info *info)
{
    uint64_t phoff, phentsize, phnum, need = v->is64 ? 56 : 32;
    struct load_seg *segs = NULL;
    struct dyn_tables *t = NULL;
    struct phdr dyn = {0};
    bool have_dyn = false;
    size_t nsegs = 0;
    int r = -EBADMSG;

    if (v->size < (v->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
        return -EBADMSG;
    info->type = (uint16_t)rd(v, 16, 2);
    info->machine = (uint16_t)rd(v, 18, 2);
    phoff = v->is64 ? rd(v, 32, 8) : rd(v, 28, 4);
    phentsize = rd(v, v->is64 ? 54 : 42, 2);
    phnum = rd(v, v->is64 ? 56 : 44, 2);
    if (phnum == 0)
        return 0;
    if (phentsize < need || phnum > v->size / phentsize || !in_bounds(v, phoff, phnum * phentsize))
        return -EBADMSG;
    segs = calloc(phnum, sizeof(*segs));
    t = calloc(1, sizeof(*t));
    if (!segs || !t) {
        r = -ENOMEM;
        goto out;
    }
    for (uint64_t i = 0; i < phnum; i++) {
        struct phdr ph = read_phdr(v, phoff + i * phentsize);

        if (ph.type == PT_LOAD) {
            segs[nsegs++] = (struct load_seg){ph.vaddr, ph.offset, ph.filesz};
        } else if (ph.type == PT_INTERP && !info->interp) {
            if (!in_bounds(v, ph.offset, ph.filesz))
                goto out;
            r = copy_string(v, ph.offset, ph.offset + ph.filesz, &info->interp);
            if (r < 0)
                goto out;
            r = -EBADMSG;
            if (info->interp[0] == '\0')
                goto out;
        } else if (ph.type == PT_DYNAMIC && !have_dyn) {
            dyn = ph;
            have_dyn = true;
        }
    }
    r = 0;
    if (have_dyn) {
        r = scan_dynamic(v, &dyn, t);
        if (r >= 0)
            r = collect_strings(v, segs, nsegs, t, info);
    }
out:
    free(segs);
    free(t);
    return r;
}

int elf_parse(const void *buf, size_t size, struct elf_info *ret)
{
    struct elf_view v = {.p = buf, .size = size};
    struct elf_info info = {0};
    int r;

    r = check_ident(&v, &info);
    if (r < 0)
        return r;
    v.is64 = info.elf_class == ELFCLASS64;
    v.msb = info.data == ELFDATA2MSB;
    r = parse_headers(&v, &info);
    if (r < 0) {
        elf_info_done(&info);
        return r;
    }
    *ret = info;
    return 0;
}

int elf_parse_file(const char *path, struct elf_info *ret)
{
    _cleanup_free_ void *buf = NULL;
    size_t size;
    int r;

    r = read_file(path, ELF_MAX_FILE, &buf, &size);
    if (r < 0)
        return r;
    return elf_parse(buf, size, ret);
}

int elf_peek_file(const char *path, struct elf_ident *ret)
{
    /* O_NONBLOCK: a FIFO named by a hostile DT_NEEDED or PT_INTERP must not hang the build. */
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    unsigned char hdr[20];
    struct elf_info info = {0};
    struct elf_view v = {.p = hdr, .size = sizeof(hdr)};
    struct stat st;
    ssize_t k;
    int r;

    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    k = pread(fd, hdr, sizeof(hdr), 0);
    if (k < 0)
        return -errno;
    if ((size_t)k < sizeof(hdr))
        return -ENOEXEC;
    r = check_ident(&v, &info);
    if (r < 0)
        return r;
    v.msb = info.data == ELFDATA2MSB;
    *ret = (struct elf_ident){.elf_class = info.elf_class,
                              .data = info.data,
                              .type = (uint16_t)rd(&v, 16, 2),
                              .machine = (uint16_t)rd(&v, 18, 2)};
    return 0;
}

void elf_info_done(struct elf_info *info)
{
    for (size_t i = 0; i < info->n_needed; i++)
        free(info->needed[i]);
    free(info->needed);
    free(info->interp);
    free(info->rpath);
    free(info->runpath);
    *info = (struct elf_info){0};
}
