/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growing arrays: one doubling helper for every growing array in the tree. */
#pragma once

#include <stddef.h>

/* Make room for `more` more elements of elem bytes in the array *v points to, of which n are
 * used and *cap allocated (the capacity doubles, from 8). v is the address of the array
 * pointer. Returns 0 or -ENOMEM (the array is unchanged then). */
int array_grow(void *v, size_t n, size_t more, size_t *cap, size_t elem);
