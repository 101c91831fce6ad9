/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON string output and the UTF-8 decoding it needs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Length (1..4) of the well-formed UTF-8 sequence at s (no overlongs, no surrogates, at most
 * U+10FFFF), or 0 when s does not start one. */
size_t utf8_len(const unsigned char *s);
/* Whether the whole NUL-terminated string is well-formed UTF-8. */
bool utf8_valid(const char *s);

/* s as a JSON string, quotes included: valid UTF-8 kept, quote and backslash escaped,
 * controls and DEL as \u00XX, each byte that is not valid UTF-8 as U+FFFD. NULL is "". */
void json_string(FILE *f, const char *s);
/* json_string(s), or the literal null when s is NULL (an absent value, not an empty one). */
void json_string_or_null(FILE *f, const char *s);
