/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Full writes: write(2) may write less than asked (pipes, signals). */
#pragma once

#include <stddef.h>

/* Write all n bytes of buf to fd, retrying short writes and EINTR. Returns 0, or a negative
 * errno (-EIO when write(2) wrote nothing without an error). */
int write_all(int fd, const void *buf, size_t n);
