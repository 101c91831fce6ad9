/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel command line as sharedroot-init parses it (init/cmdline.c): the words split by
 * the kernel's next_arg() rules and every key applied. The input is /proc/cmdline. Without
 * a double quote, next_arg() is a plain split at the kernel's white space: the words must be
 * exactly those (an oracle written apart from cmdline.c). */
#include <stdbool.h>

#include "cmdline.h"
#include "fuzz.h"

static bool kspace(char c)
{
    unsigned char u = (unsigned char)c;
    return u == ' ' || u == '\t' || u == '\n' || u == '\v' || u == '\f' || u == '\r' || u == 0xa0;
}

static void check_plain_split(const char *text)
{
    char **w;
    int n = cmdline_split(text, &w), k = 0;
    if (n < 0)
        return;
    for (const char *p = text; *p;) {
        while (*p && kspace(*p))
            p++;
        if (!*p)
            break;
        size_t len = 0;
        while (p[len] && !kspace(p[len]))
            len++;
        if (k >= n || strlen(w[k]) != len || memcmp(w[k], p, len) != 0)
            abort();
        k++;
        p += len;
    }
    if (k != n)
        abort();
    strv_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cmdline c;
    char *text;

    if (size >= CMDLINE_MAX)
        return 0;
    text = fuzz_string(data, size);
    if (!text)
        return 0;
    if (!strchr(text, '"'))
        check_plain_split(text);
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
