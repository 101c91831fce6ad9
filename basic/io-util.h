/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Full writes (write(2) may write less than asked: pipes, signals) and directory chains. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Write all n bytes of buf to fd, retrying short writes and EINTR. Returns 0, or a negative
 * errno (-EIO when write(2) wrote nothing without an error). */
int write_all(int fd, const void *buf, size_t n);

/* Create path and every missing parent with mode (an existing directory is fine), as
 * `mkdir -p`. No allocation: path must be shorter than PATH_MAX (-ENAMETOOLONG otherwise).
 * Returns 0 or the negative errno of the first mkdir(2) that failed. */
int mkdir_p(const char *path, mode_t mode);
