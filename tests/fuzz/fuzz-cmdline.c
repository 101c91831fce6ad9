/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel command line as sharedroot-init parses it (init/cmdline.c): the words split by
 * the kernel's next_arg() rules and every key applied. The input is /proc/cmdline. */
#include "cmdline.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cmdline c;
    char *text;

    if (size >= CMDLINE_MAX)
        return 0;
    text = fuzz_string(data, size);
    if (!text)
        return 0;
    if (cmdline_parse(text, &c) == 0) {
        /* every word the real init gets is a complete string */
        for (size_t i = 0; i < c.n_init_args; i++)
            if (strlen(c.init_args[i]) > size)
                abort();
        cmdline_free(&c);
    }
    free(text);
    return 0;
}
