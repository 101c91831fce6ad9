/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Full writes (write(2) may write less than asked: pipes, signals), small reads (sysfs and /proc
 * files) and directory chains. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Write all n bytes of buf to fd, retrying short writes and EINTR. Returns 0, or a negative
 * errno (-EIO when write(2) wrote nothing without an error). */
int write_all(int fd, const void *buf, size_t n);

/* A small file (a sysfs attribute, a /proc file) into buf with one read(2), NUL-terminated and
 * cut at n - 1 bytes; path relative to dirfd (AT_FDCWD: the working directory). Returns the
 * number of bytes read, or the negative errno of the open or the read. */
ssize_t read_small_file_at(int dirfd, const char *path, char *buf, size_t n);

/* The same, cut at the first newline (buf "" when it cannot be read). Returns 0 or the
 * negative errno of the open or the read. */
int read_first_line_at(int dirfd, const char *path, char *buf, size_t n);

/* Create path and every missing parent with mode (an existing directory is fine), as
 * `mkdir -p`. No allocation: path must be shorter than PATH_MAX (-ENAMETOOLONG otherwise).
 * Returns 0 or the negative errno of the first mkdir(2) that failed. */
int mkdir_p(const char *path, mode_t mode);
