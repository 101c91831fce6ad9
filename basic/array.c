// SPDX-License-Identifier: GPL-2.0-or-later
#include "array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int array_grow(void *v, size_t n, size_t more, size_t *cap, size_t elem)
{
    void **pv = v;
    size_t ncap = *cap ? *cap : 8;

    if (more > SIZE_MAX / 2 - n)
        return -ENOMEM;
    if (n + more <= *cap)
        return 0;
    while (ncap < n + more)
        ncap *= 2;
    if (elem && ncap > SIZE_MAX / elem)
        return -ENOMEM;
    void *nv = reallocarray(*pv, ncap, elem);
    if (!nv)
        return -ENOMEM;
    *pv = nv;
    *cap = ncap;
    return 0;
}
