/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the fuzz targets share (tests/fuzz/README.md). A target is one file fuzz-NAME.c that
 * defines LLVMFuzzerTestOneInput: it hands the input to one parser of untrusted input, frees
 * everything, and returns 0. A crash, a sanitizer report or a leak is a finding.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (an embedded NUL ends it early, as it would in a
 * file read as text); free it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}
