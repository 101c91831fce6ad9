/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small ELF32/ELF64 reader (either byte order): the interpreter (PT_INTERP) and the dynamic
 * section strings the loader uses (DT_NEEDED, DT_RPATH, DT_RUNPATH). Every read is bounds
 * checked; a truncated or hostile file gives -EBADMSG, never a crash. Not an ELF: -ENOEXEC.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Upper bounds for what a sane object carries. */
#define ELF_MAX_NEEDED 1024
#define ELF_MAX_STRING 4096
#define ELF_MAX_FILE (1024ULL * 1024 * 1024)

struct elf_info {
    unsigned char elf_class; /* ELFCLASS32 or ELFCLASS64 */
    unsigned char data;      /* ELFDATA2LSB or ELFDATA2MSB */
    uint16_t type;           /* ET_EXEC, ET_DYN, ... */
    uint16_t machine;        /* EM_X86_64, ... */
    char *interp;            /* NULL when static */
    char **needed;           /* n_needed names, in DT_NEEDED order */
    size_t n_needed;
    char *rpath;   /* DT_RPATH or NULL */
    char *runpath; /* DT_RUNPATH or NULL */
};

/* Parse an ELF image held in memory. On success fills *ret (release with elf_info_done). */
int elf_parse(const void *buf, size_t size, struct elf_info *ret);
/* Read and parse a file; -errno when it cannot be read. */
int elf_parse_file(const char *path, struct elf_info *ret);
/* What the loaders check before they map an object: class, byte order, type, machine. */
struct elf_ident {
    unsigned char elf_class, data;
    uint16_t type, machine;
};

/* Read only the identification of a regular file (a FIFO or device is -EINVAL, never
 * waited on or read). Not an ELF file: -ENOEXEC. */
int elf_peek_file(const char *path, struct elf_ident *ret);
void elf_info_done(struct elf_info *info);
