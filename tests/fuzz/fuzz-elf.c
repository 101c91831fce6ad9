/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ELF reader of sharedroot-mkinitramfs (initramfs/elfread.c: PT_INTERP, DT_NEEDED,
 * DT_RPATH, DT_RUNPATH of ELF32/ELF64 in either byte order), which reads every --binary an
 * admin names and every library it pulls in, and the ld.so.cache reader (initramfs/ldso.c)
 * on the same bytes. */
#include "elfread.h"
#include "fuzz.h"
#include "ldso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct elf_info info;
    struct strv names = {0}, paths = {0};
    /* a copy of exactly size bytes, so that ASan sees a read past the end */
    uint8_t *copy = malloc(size ? size : 1);

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (elf_parse(copy, size, &info) == 0) {
        for (size_t i = 0; i < info.n_needed; i++)
            if (!info.needed[i] || strlen(info.needed[i]) > ELF_MAX_STRING)
                abort();
        elf_info_done(&info);
    }
    (void)ldso_parse_cache(copy, size, &names, &paths);
    if (names.n != paths.n)
        abort();
    strv_done(&names);
    strv_done(&paths);
    free(copy);
    return 0;
}
