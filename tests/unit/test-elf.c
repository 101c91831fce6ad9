/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ELF reader of sharedroot-mkinitramfs and the library search built on it. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "busybox.h"
#include "elfdeps.h"
#include "elfread.h"
#include "io-util.h"
#include "ldso.h"
#include "plan.h"
#include "testlib.h"

/* A synthetic ELF64 object: header, PT_LOAD + PT_DYNAMIC (+ PT_INTERP), string table,
 * dynamic section. Addresses equal file offsets. */
struct fake_elf {
    const char *interp;
    const char *needed[4];
    const char *rpath, *runpath;
    uint16_t machine;
    uint16_t type; /* 0: ET_DYN */
};

struct image {
    unsigned char *p;
    size_t size;
    size_t phoff, stroff, dynoff;
};

static size_t put_str(unsigned char *p, size_t *off, const char *s)
{
    size_t at = *off;
    size_t n = strlen(s) + 1;
    memcpy(p + at, s, n);
    *off += n;
    return at;
}

static void put_dyn(unsigned char *p, size_t *off, uint64_t tag, uint64_t val)
{
    Elf64_Dyn d = {.d_tag = (Elf64_Sxword)tag, .d_un.d_val = val};
    memcpy(p + *off, &d, sizeof(d));
    *off += sizeof(d);
}

static struct image build_elf(const struct fake_elf *f)
{
    struct image im = {.p = calloc(1, 16384), .phoff = sizeof(Elf64_Ehdr)};
    Elf64_Ehdr eh = {.e_type = f->type ? f->type : ET_DYN,
                     .e_machine = f->machine ? f->machine : EM_X86_64,
                     .e_version = EV_CURRENT,
                     .e_phoff = im.phoff,
                     .e_ehsize = sizeof(Elf64_Ehdr),
                     .e_phentsize = sizeof(Elf64_Phdr),
                     .e_phnum = f->interp ? 3 : 2};
    size_t off = im.phoff + 3 * sizeof(Elf64_Phdr), str0, interp_off = 0, noff[4] = {0};
    size_t rp = 0, rup = 0, n = 0;

    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    if (f->interp)
        interp_off = put_str(im.p, &off, f->interp);
    im.stroff = str0 = off;
    put_str(im.p, &off, "");
    for (; n < 4 && f->needed[n]; n++)
        noff[n] = put_str(im.p, &off, f->needed[n]) - str0;
    if (f->rpath)
        rp = put_str(im.p, &off, f->rpath) - str0;
    if (f->runpath)
        rup = put_str(im.p, &off, f->runpath) - str0;
    size_t strsz = off - str0;
    off = (off + 7) & ~(size_t)7;
    im.dynoff = off;
    for (size_t i = 0; i < n; i++)
        put_dyn(im.p, &off, DT_NEEDED, noff[i]);
    if (f->rpath)
        put_dyn(im.p, &off, DT_RPATH, rp);
    if (f->runpath)
        put_dyn(im.p, &off, DT_RUNPATH, rup);
    put_dyn(im.p, &off, DT_STRTAB, str0);
    put_dyn(im.p, &off, DT_STRSZ, strsz);
    put_dyn(im.p, &off, DT_NULL, 0);
    im.size = off;
    Elf64_Phdr ph[3] = {
        {.p_type = PT_LOAD, .p_offset = 0, .p_vaddr = 0, .p_filesz = off, .p_memsz = off},
        {.p_type = PT_DYNAMIC,
         .p_offset = im.dynoff,
         .p_vaddr = im.dynoff,
         .p_filesz = off - im.dynoff},
        {.p_type = PT_INTERP,
         .p_offset = interp_off,
         .p_vaddr = interp_off,
         .p_filesz = f->interp ? strlen(f->interp) + 1 : 0},
    };
    memcpy(im.p, &eh, sizeof(eh));
    memcpy(im.p + im.phoff, ph, sizeof(ph));
    return im;
}

/* Parse a private heap copy so ASan sees every byte read past the end. */
static int parse_copy(const unsigned char *p, size_t size, struct elf_info *info)
{
    unsigned char *copy = malloc(size ? size : 1);
    int r;

    memcpy(copy, p, size);
    r = elf_parse(copy, size, info);
    free(copy);
    return r;
}

static void write_image(const char *path, const struct image *im)
{
    FILE *f = fopen(path, "we");
    if (f) {
        fwrite(im->p, 1, im->size, f);
        fclose(f);
    }
}

TEST(elf_reads_host_true)
{
    struct elf_info info = {0};
    int r = elf_parse_file("/bin/true", &info);
    bool has_libc = false;

    CHECK_INT(r, 0);
    CHECK_INT(info.elf_class, ELFCLASS64);
    CHECK_INT(info.machine, EM_X86_64);
    CHECK_STR(info.interp, "/lib64/ld-linux-x86-64.so.2");
    for (size_t i = 0; i < info.n_needed; i++)
        has_libc |= strcmp(info.needed[i], "libc.so.6") == 0;
    CHECK(has_libc);
    elf_info_done(&info);
}

TEST(elf_reads_host_library)
{
    struct elf_info info = {0};
    const char *lib = "/lib/x86_64-linux-gnu/libkmod.so.2";

    if (access(lib, R_OK) < 0)
        SKIP("no libkmod.so.2 on this host");
    CHECK_INT(elf_parse_file(lib, &info), 0);
    CHECK_INT(info.type, ET_DYN);
    CHECK(info.interp == NULL);
    CHECK(info.n_needed >= 1);
    elf_info_done(&info);
}

TEST(elf_reads_synthetic_object)
{
    struct fake_elf f = {.interp = "/lib/ld.so",
                         .needed = {"liba.so", "libb.so"},
                         .rpath = "/r",
                         .runpath = "$ORIGIN/../lib"};
    struct image im = build_elf(&f);
    struct elf_info info = {0};

    CHECK_INT(parse_copy(im.p, im.size, &info), 0);
    CHECK_STR(info.interp, "/lib/ld.so");
    CHECK_INT(info.n_needed, 2);
    if (info.n_needed == 2) {
        CHECK_STR(info.needed[0], "liba.so");
        CHECK_STR(info.needed[1], "libb.so");
    }
    CHECK_STR(info.rpath, "/r");
    CHECK_STR(info.runpath, "$ORIGIN/../lib");
    elf_info_done(&info);
    free(im.p);
}

TEST(elf_rejects_non_elf_and_garbage)
{
    struct elf_info info = {0};
    unsigned char junk[256];

    CHECK_INT(parse_copy((const unsigned char *)"#!/bin/sh\n", 10, &info), -ENOEXEC);
    CHECK_INT(parse_copy(junk, 0, &info), -ENOEXEC);
    srand(42);
    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < sizeof(junk); i++)
            junk[i] = (unsigned char)rand();
        memcpy(junk, ELFMAG, SELFMAG);
        junk[EI_CLASS] = (unsigned char)(1 + round % 2);
        junk[EI_DATA] = (unsigned char)(1 + (round / 2) % 2);
        if (parse_copy(junk, sizeof(junk), &info) == 0)
            elf_info_done(&info);
    }
    CHECK_INT(elf_parse_file("/etc/passwd", &info), -ENOEXEC);
    CHECK_INT(elf_parse_file("/nonexistent/x", &info), -ENOENT);
}

TEST(elf_survives_every_truncation)
{
    struct fake_elf f = {.interp = "/lib/ld.so", .needed = {"liba.so"}, .runpath = "/x"};
    struct image im = build_elf(&f);
    struct elf_info info = {0};

    for (size_t len = 0; len < im.size; len++) {
        int r = parse_copy(im.p, len, &info);
        CHECK(r < 0);
        if (r == 0)
            elf_info_done(&info);
    }
    free(im.p);
}

TEST(elf_survives_truncated_host_binary)
{
    _cleanup_free_ void *buf = NULL;
    size_t size;
    struct elf_info info = {0};

    CHECK_INT(read_file("/bin/true", 1 << 24, &buf, &size), 0);
    for (size_t len = 0; buf && len < size; len += (len < 4096 ? 1 : 997))
        if (parse_copy(buf, len, &info) == 0)
            elf_info_done(&info);
}

TEST(elf_rejects_huge_offsets)
{
    struct fake_elf f = {.needed = {"liba.so"}};
    struct image im = build_elf(&f);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)im.p;
    Elf64_Phdr *ph = (Elf64_Phdr *)(im.p + im.phoff);
    struct elf_info info = {0};

    eh->e_phoff = UINT64_MAX - 8;
    CHECK_INT(parse_copy(im.p, im.size, &info), -EBADMSG);
    eh->e_phoff = im.phoff;
    eh->e_phnum = 0xffff;
    CHECK_INT(parse_copy(im.p, im.size, &info), -EBADMSG);
    eh->e_phnum = 2;
    ph[1].p_offset = UINT64_MAX - 4;
    CHECK_INT(parse_copy(im.p, im.size, &info), -EBADMSG);
    ph[1].p_offset = im.dynoff;
    ph[1].p_filesz = UINT64_MAX;
    CHECK_INT(parse_copy(im.p, im.size, &info), -EBADMSG);
    ph[1].p_filesz = im.size - im.dynoff;
    ph[0].p_offset = UINT64_MAX - 2; /* the string table maps outside the file */
    CHECK_INT(parse_copy(im.p, im.size, &info), -EBADMSG);
    ph[0].p_offset = 0;
    /* DT_NEEDED index far past the string table */
    Elf64_Dyn *d = (Elf64_Dyn *)(im.p + im.dynoff);
    d[0].d_un.d_val = 0x7fffffff;
    CHECK_INT(parse_copy(im.p, im.size, &info), -EBADMSG);
    free(im.p);
}

TEST(elf_rejects_unterminated_and_overlong_strings)
{
    char long_name[ELF_MAX_STRING + 100];
    struct elf_info info = {0};

    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    struct fake_elf f = {.needed = {long_name}};
    struct image im = build_elf(&f);
    CHECK_INT(parse_copy(im.p, im.size, &info), -EBADMSG);
    free(im.p);

    /* interpreter without its NUL inside the segment */
    struct fake_elf g = {.interp = "/lib/ld.so"};
    im = build_elf(&g);
    Elf64_Phdr *ph = (Elf64_Phdr *)(im.p + im.phoff);
    ph[2].p_filesz -= 1;
    CHECK_INT(parse_copy(im.p, im.size, &info), -EBADMSG);
    free(im.p);

    /* a string table (DT_STRSZ) that ends in the middle of a name */
    struct fake_elf h = {.needed = {"libxyz.so"}};
    im = build_elf(&h);
    Elf64_Dyn *d = (Elf64_Dyn *)(im.p + im.dynoff);
    for (; d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_STRSZ)
            d->d_un.d_val = 4;
    CHECK_INT(parse_copy(im.p, im.size, &info), -EBADMSG);
    free(im.p);
}

TEST(elf_reads_minimal_elf32)
{
    Elf32_Ehdr eh = {.e_type = ET_EXEC, .e_machine = EM_386, .e_ehsize = sizeof(Elf32_Ehdr)};
    struct elf_info info = {0};

    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    CHECK_INT(parse_copy((unsigned char *)&eh, sizeof(eh), &info), 0);
    CHECK_INT(info.elf_class, ELFCLASS32);
    CHECK_INT(info.machine, EM_386);
    CHECK_INT(parse_copy((unsigned char *)&eh, sizeof(eh) - 1, &info), -EBADMSG);
}

/* ---- library search ---- */

static char *tmpdir_new(void)
{
    char *d = strdup("/tmp/test-elf.XXXXXX");
    return mkdtemp(d) ? d : NULL;
}

static void make_lib(const char *root, const char *rel, const struct fake_elf *f)
{
    _cleanup_free_ char *path = path_join(root, rel);
    _cleanup_free_ char *dir = path_dirname(path);
    struct image im = build_elf(f);

    mkdir_p(dir, 0755);
    write_image(path, &im);
    free(im.p);
}

static struct ldso ldso_for(const char *root, const char *defdir)
{
    _cleanup_free_ char *d = path_join(root, defdir);
    const char *dirs[] = {d, NULL};
    struct ldso l;

    CHECK_INT(ldso_init(&l, NULL, NULL, "x86_64-linux-gnu", dirs), 0);
    return l;
}

static const struct plan_entry *find_in(const struct plan *p, const char *root, const char *rel)
{
    _cleanup_free_ char *path = path_join(root, rel);
    return plan_find(p, path);
}

TEST(ldso_runpath_origin_lands_where_guest_looks)
{
    _cleanup_free_ char *root = tmpdir_new(), *prog = NULL;
    struct plan p = {0};
    struct ldso l;

    make_lib(root, "app/bin/prog",
             &(struct fake_elf){.needed = {"liba.so"}, .runpath = "$ORIGIN/../lib"});
    make_lib(root, "app/lib/liba.so", &(struct fake_elf){.needed = {"libb.so"}});
    make_lib(root, "default/libb.so", &(struct fake_elf){0});
    l = ldso_for(root, "default");
    prog = path_join(root, "app/bin/prog");
    CHECK_INT(elfdeps_add_binary(&p, &l, prog, "/sbin/init", "init", "test"), 0);
    const struct plan_entry *a = plan_find(&p, "/lib/liba.so");
    CHECK(a != NULL);
    if (a)
        CHECK(strstr(a->source, "/app/lib/liba.so") != NULL);
    CHECK(find_in(&p, root, "default/libb.so") != NULL);
    CHECK(plan_find(&p, "/sbin/init") != NULL);
    plan_done(&p);
    ldso_done(&l);
    rm_rf(root);
}

TEST(ldso_rpath_ignored_when_runpath_present)
{
    _cleanup_free_ char *root = tmpdir_new(), *prog = NULL, *rp = NULL, *rup = NULL;
    struct plan p = {0};
    struct ldso l;

    rp = path_join(root, "rpath");
    rup = path_join(root, "runpath");
    make_lib(root, "prog", &(struct fake_elf){.needed = {"libc1.so"}, .rpath = rp, .runpath = rup});
    make_lib(root, "rpath/libc1.so", &(struct fake_elf){0});
    make_lib(root, "runpath/libc1.so", &(struct fake_elf){0});
    l = ldso_for(root, "default");
    prog = path_join(root, "prog");
    CHECK_INT(elfdeps_add_binary(&p, &l, prog, "/init", "init", "test"), 0);
    CHECK(find_in(&p, root, "runpath/libc1.so") != NULL);
    CHECK(find_in(&p, root, "rpath/libc1.so") == NULL);
    plan_done(&p);
    ldso_done(&l);
    rm_rf(root);
}

TEST(ldso_executable_rpath_applies_to_its_libraries)
{
    _cleanup_free_ char *root = tmpdir_new(), *prog = NULL, *rp = NULL;
    struct plan p = {0};
    struct ldso l;

    rp = path_join(root, "rpath");
    make_lib(root, "prog", &(struct fake_elf){.needed = {"liba.so"}, .rpath = rp});
    make_lib(root, "rpath/liba.so", &(struct fake_elf){.needed = {"libdeep.so"}});
    make_lib(root, "rpath/libdeep.so", &(struct fake_elf){0});
    make_lib(root, "default/libdeep.so", &(struct fake_elf){0});
    l = ldso_for(root, "default");
    prog = path_join(root, "prog");
    CHECK_INT(elfdeps_add_binary(&p, &l, prog, "/init", "init", "test"), 0);
    CHECK(find_in(&p, root, "rpath/libdeep.so") != NULL);
    CHECK(find_in(&p, root, "default/libdeep.so") == NULL);
    plan_done(&p);
    ldso_done(&l);
    rm_rf(root);
}

TEST(ldso_skips_wrong_machine_and_survives_cycles)
{
    _cleanup_free_ char *root = tmpdir_new(), *prog = NULL, *d1 = NULL, *d2 = NULL;
    struct plan p = {0};
    struct ldso l;

    d1 = path_join(root, "d1");
    d2 = path_join(root, "d2");
    const char *dirs[] = {d1, d2, NULL};
    make_lib(root, "prog", &(struct fake_elf){.needed = {"liba.so"}});
    make_lib(root, "d1/liba.so", &(struct fake_elf){.machine = EM_AARCH64});
    make_lib(root, "d2/liba.so", &(struct fake_elf){.needed = {"libb.so"}});
    make_lib(root, "d2/libb.so", &(struct fake_elf){.needed = {"liba.so", "libb.so"}});
    CHECK_INT(ldso_init(&l, NULL, NULL, NULL, dirs), 0);
    prog = path_join(root, "prog");
    CHECK_INT(elfdeps_add_binary(&p, &l, prog, "/init", "init", "test"), 0);
    CHECK(find_in(&p, root, "d2/liba.so") != NULL);
    CHECK(find_in(&p, root, "d2/libb.so") != NULL);
    CHECK(find_in(&p, root, "d1/liba.so") == NULL);
    plan_done(&p);
    ldso_done(&l);
    rm_rf(root);
}

/* One host file reached by two paths (a PT_INTERP that is a symbolic link, and the same
 * library as a DT_NEEDED) goes into the image once: the second path is a link to the first.
 * Two different files with the same name in two directories stay two files. */
TEST(elfdeps_stores_one_host_file_once)
{
    _cleanup_free_ char *root = tmpdir_new(), *prog = NULL, *interp = NULL, *lib = NULL;
    _cleanup_free_ char *other = NULL, *dir64 = NULL;
    struct plan p = {0};
    struct ldso l;
    size_t files = 0;

    make_lib(root, "default/ld.so", &(struct fake_elf){0});
    make_lib(root, "default/libc.so", &(struct fake_elf){.needed = {"ld.so"}});
    make_lib(root, "opt/libc.so", &(struct fake_elf){0});
    interp = path_join(root, "lib64/ld.so");
    lib = path_join(root, "default/ld.so");
    other = path_join(root, "opt/libc.so");
    dir64 = path_join(root, "lib64");
    CHECK_INT(mkdir(dir64, 0755), 0);
    CHECK_INT(symlink(lib, interp), 0);
    make_lib(root, "prog", &(struct fake_elf){.interp = interp, .needed = {"libc.so"}});
    l = ldso_for(root, "default");
    prog = path_join(root, "prog");
    CHECK_INT(elfdeps_add_binary(&p, &l, prog, "/init", "init", "test"), 0);
    const struct plan_entry *i = plan_find(&p, interp), *d = plan_find(&p, lib);
    CHECK(i && i->type == PLAN_FILE);
    CHECK(d && d->type == PLAN_SYMLINK);
    if (d) {
        CHECK_STR(d->target, interp);
        CHECK(strstr(d->reason, "the same file as") != NULL);
    }
    for (size_t k = 0; k < p.n; k++)
        if (p.v[k].type == PLAN_FILE && p.v[k].source && strcmp(p.v[k].source, lib) == 0)
            files++;
    CHECK_INT((int)files, 1);
    /* a different file under the same name elsewhere is its own file */
    CHECK_INT(elfdeps_add_binary(&p, &l, other, "/opt/libc.so", "binary", "test"), 0);
    const struct plan_entry *o = plan_find(&p, "/opt/libc.so");
    CHECK(o && o->type == PLAN_FILE);
    plan_done(&p);
    ldso_done(&l);
    rm_rf(root);
}

/* --list says when the emergency shell is a statically linked busybox (1.9 MB in Debian's
 * busybox-static) and what would be smaller; a dynamically linked one, or a file that is no
 * ELF program, gets the plain reason. */
TEST(busybox_reason_names_a_static_busybox)
{
    _cleanup_free_ char *root = tmpdir_new(), *st = NULL, *dyn = NULL, *r1 = NULL, *r2 = NULL;
    _cleanup_free_ char *r3 = NULL, *r4 = NULL;

    make_lib(root, "static/busybox", &(struct fake_elf){.type = ET_EXEC});
    make_lib(root, "dynamic/busybox", &(struct fake_elf){.interp = "/lib64/ld.so"});
    st = path_join(root, "static/busybox");
    dyn = path_join(root, "dynamic/busybox");
    r1 = busybox_reason(st);
    CHECK(r1 && strstr(r1, "statically linked") && strstr(r1, "--shell PATH") && strstr(r1, st));
    r2 = busybox_reason(dyn);
    CHECK(r2 && strstr(r2, "emergency shell, from ") && !strstr(r2, "statically"));
    r3 = busybox_reason("/etc/passwd");
    CHECK(r3 && !strstr(r3, "statically"));
    r4 = busybox_reason("/nonexistent/busybox");
    CHECK(r4 && !strstr(r4, "statically"));
    rm_rf(root);
}

TEST(ldso_missing_library_is_an_error)
{
    _cleanup_free_ char *root = tmpdir_new(), *prog = NULL;
    struct plan p = {0};
    struct ldso l;

    make_lib(root, "prog", &(struct fake_elf){.needed = {"libnothere.so"}});
    l = ldso_for(root, "default");
    prog = path_join(root, "prog");
    CHECK_INT(elfdeps_add_binary(&p, &l, prog, "/init", "init", "test"), -ENOENT);
    CHECK_INT(elfdeps_add_binary(&p, &l, "/nonexistent", "/init", "init", "test"), -ENOENT);
    CHECK_INT(elfdeps_add_binary(&p, &l, "/etc/passwd", "/init", "init", "test"), -ENOEXEC);
    plan_done(&p);
    ldso_done(&l);
    rm_rf(root);
}

static void write_text(const char *root, const char *rel, const char *text)
{
    _cleanup_free_ char *path = path_join(root, rel);
    FILE *f = fopen(path, "we");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* A PT_INTERP of /etc/shadow once put the host's shadow file into a world-readable image. */
TEST(elfdeps_refuses_interpreter_that_is_no_elf_loader)
{
    _cleanup_free_ char *root = tmpdir_new(), *prog = NULL, *secret = NULL, *fifo = NULL;
    _cleanup_free_ char *arm = NULL, *rel = NULL;
    struct plan p = {0};
    struct ldso l;

    secret = path_join(root, "shadow");
    fifo = path_join(root, "fifo");
    arm = path_join(root, "ld-arm.so");
    rel = path_join(root, "ld.o");
    write_text(root, "shadow", "root:$6$secret:19000:0:99999:7:::\n");
    CHECK_INT(mkfifo(fifo, 0600), 0);
    make_lib(root, "ld-arm.so", &(struct fake_elf){.machine = EM_AARCH64});
    make_lib(root, "ld.o", &(struct fake_elf){.type = ET_REL});
    make_lib(root, "ld.so", &(struct fake_elf){0});
    l = ldso_for(root, "default");
    const char *bad[] = {secret, fifo, arm, rel, "lib64/ld.so", "/nonexistent/ld.so"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        make_lib(root, "prog", &(struct fake_elf){.interp = bad[i]});
        free(prog);
        prog = path_join(root, "prog");
        CHECK(elfdeps_add_binary(&p, &l, prog, "/init", "init", "test") < 0);
        CHECK(plan_find(&p, bad[i]) == NULL);
        for (size_t k = 0; k < p.n; k++)
            if (p.v[k].source && strcmp(p.v[k].source, secret) == 0)
                CHECK(!"the secret went into the plan");
        plan_done(&p);
    }
    /* the control: a real loader of the same class and machine is taken */
    _cleanup_free_ char *good = path_join(root, "ld.so");
    make_lib(root, "prog", &(struct fake_elf){.interp = good});
    CHECK_INT(elfdeps_add_binary(&p, &l, prog, "/init", "init", "test"), 0);
    CHECK(plan_find(&p, good) != NULL);
    plan_done(&p);
    ldso_done(&l);
    rm_rf(root);
}

/* A DT_NEEDED is only ever an ET_DYN of the right class and machine: not a relocatable
 * object, a core dump or an executable found first in the search path, not a FIFO (which
 * must not hang the build), not a text file named by an absolute DT_NEEDED. */
TEST(ldso_takes_only_shared_objects)
{
    _cleanup_free_ char *root = tmpdir_new(), *prog = NULL, *d1 = NULL, *d2 = NULL;
    _cleanup_free_ char *fifo = NULL, *core = NULL, *text = NULL;
    struct plan p = {0};
    struct ldso l;

    d1 = path_join(root, "d1");
    d2 = path_join(root, "d2");
    fifo = path_join(root, "d1/libfifo.so");
    core = path_join(root, "core");
    text = path_join(root, "secret.txt");
    const char *dirs[] = {d1, d2, NULL};
    make_lib(root, "d1/libr.so", &(struct fake_elf){.type = ET_REL});
    make_lib(root, "d1/libc.so", &(struct fake_elf){.type = ET_CORE});
    make_lib(root, "d1/libe.so", &(struct fake_elf){.type = ET_EXEC});
    make_lib(root, "d2/libr.so", &(struct fake_elf){0});
    make_lib(root, "d2/libc.so", &(struct fake_elf){0});
    make_lib(root, "d2/libe.so", &(struct fake_elf){0});
    make_lib(root, "d2/libfifo.so", &(struct fake_elf){0});
    CHECK_INT(mkfifo(fifo, 0600), 0);
    CHECK_INT(ldso_init(&l, NULL, NULL, NULL, dirs), 0);
    make_lib(root, "prog",
             &(struct fake_elf){.needed = {"libr.so", "libc.so", "libe.so", "libfifo.so"}});
    prog = path_join(root, "prog");
    CHECK_INT(elfdeps_add_binary(&p, &l, prog, "/init", "init", "test"), 0);
    const char *want[] = {"d2/libr.so", "d2/libc.so", "d2/libe.so", "d2/libfifo.so"};
    const char *never[] = {"d1/libr.so", "d1/libc.so", "d1/libe.so", "d1/libfifo.so"};
    for (size_t i = 0; i < 4; i++) {
        CHECK(find_in(&p, root, want[i]) != NULL);
        CHECK(find_in(&p, root, never[i]) == NULL);
    }
    plan_done(&p);
    /* absolute DT_NEEDED paths: taken as is by the loader, so they must be libraries */
    make_lib(root, "core", &(struct fake_elf){.type = ET_CORE});
    write_text(root, "secret.txt", "password\n");
    const char *bad[] = {core, text, fifo};
    for (size_t i = 0; i < 3; i++) {
        make_lib(root, "prog", &(struct fake_elf){.needed = {bad[i]}});
        CHECK_INT(elfdeps_add_binary(&p, &l, prog, "/init", "init", "test"), -ENOENT);
        CHECK(plan_find(&p, bad[i]) == NULL);
        plan_done(&p);
    }
    ldso_done(&l);
    rm_rf(root);
}

TEST(elfdeps_refuses_objects_that_are_no_program)
{
    _cleanup_free_ char *root = tmpdir_new(), *obj = NULL;
    struct plan p = {0};
    struct ldso l;

    make_lib(root, "x.o", &(struct fake_elf){.type = ET_REL});
    l = ldso_for(root, "default");
    obj = path_join(root, "x.o");
    CHECK_INT(elfdeps_add_binary(&p, &l, obj, "/init", "init", "test"), -ENOEXEC);
    CHECK(p.n == 0);
    plan_done(&p);
    ldso_done(&l);
    rm_rf(root);
}

TEST(ldso_host_closure_of_true_via_cache)
{
    struct plan p = {0};
    struct ldso l;

    CHECK_INT(ldso_init(&l, "/etc/ld.so.cache", "/etc/ld.so.conf", "x86_64-linux-gnu", NULL), 0);
    CHECK(l.cache_names.n > 0);
    CHECK_INT(elfdeps_add_binary(&p, &l, "/bin/true", "/init", "init", "test"), 0);
    CHECK(plan_find(&p, "/lib64/ld-linux-x86-64.so.2") != NULL);
    CHECK(plan_find(&p, "/lib/x86_64-linux-gnu/libc.so.6") != NULL);
    const struct plan_entry *e = plan_find(&p, "/lib/x86_64-linux-gnu/libc.so.6");
    if (e)
        CHECK(e->type == PLAN_FILE && e->source && e->source[0] == '/');
    /* libc needs the loader by its soname: the same file as the PT_INTERP path, stored once */
    e = plan_find(&p, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    if (e) {
        CHECK(e->type == PLAN_SYMLINK);
        CHECK_STR(e->target, "/lib64/ld-linux-x86-64.so.2");
    }
    e = plan_find(&p, "/lib64/ld-linux-x86-64.so.2");
    if (e)
        CHECK(e->type == PLAN_FILE);
    plan_done(&p);
    ldso_done(&l);
}

TEST(ldso_cache_parser_survives_hostile_input)
{
    _cleanup_free_ void *buf = NULL;
    size_t size = 0;
    struct strv names = {0}, paths = {0};

    if (read_file("/etc/ld.so.cache", 1 << 26, &buf, &size) < 0)
        SKIP("no /etc/ld.so.cache");
    for (size_t len = 0; len < size; len += (len < 200 ? 1 : 101)) {
        unsigned char *copy = malloc(len ? len : 1);
        memcpy(copy, buf, len);
        (void)ldso_parse_cache(copy, len, &names, &paths);
        strv_done(&names);
        strv_done(&paths);
        free(copy);
    }
    unsigned char *copy = malloc(size);
    memcpy(copy, buf, size);
    memset(copy + 48, 0xff, size > 200 ? 150 : 0); /* offsets of the first entries */
    CHECK(ldso_parse_cache(copy, size, &names, &paths) < 0);
    strv_done(&names);
    strv_done(&paths);
    free(copy);
    CHECK_INT(ldso_parse_cache("garbage", 7, &names, &paths), -EBADMSG);
}

TEST(ldso_conf_fallback_follows_includes)
{
    _cleanup_free_ char *root = tmpdir_new(), *conf = NULL, *inc = NULL, *text = NULL;
    struct ldso l;
    FILE *f;

    conf = path_join(root, "ld.so.conf");
    inc = path_join(root, "conf.d/a.conf");
    mkdir_p(root, 0755);
    CHECK(asprintf(&text, "include conf.d/*.conf\n/opt/x # comment\ninclude ld.so.conf\n") > 0);
    f = fopen(conf, "we");
    fputs(text, f);
    fclose(f);
    _cleanup_free_ char *d = path_dirname(inc);
    mkdir_p(d, 0755);
    f = fopen(inc, "we");
    fputs("/opt/y\n", f);
    fclose(f);
    CHECK_INT(ldso_init(&l, "/nonexistent/ld.so.cache", conf, NULL, NULL), 0);
    CHECK_INT(l.conf_dirs.n, 2);
    if (l.conf_dirs.n == 2) {
        CHECK_STR(l.conf_dirs.v[0], "/opt/y");
        CHECK_STR(l.conf_dirs.v[1], "/opt/x");
    }
    CHECK_INT(l.default_dirs.n, 2);
    ldso_done(&l);
    rm_rf(root);
}

int main(void)
{
    return test_main();
}
