// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy.h"

#include <errno.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int copy_range(int in, int out, off_t from, off_t to)
{
    while (from < to) {
        off64_t a = from, b = from;
        ssize_t n = copy_file_range(in, &a, out, &b, (size_t)(to - from), 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP)) {
            char buf[1 << 16];
            size_t want = (size_t)(to - from) < sizeof buf ? (size_t)(to - from) : sizeof buf;
            n = pread(in, buf, want, from);
            if (n > 0 && pwrite(out, buf, (size_t)n, from) != n)
                return errno ? -errno : -EIO;
        }
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO; /* in shrank under us */
        from += n;
    }
    return 0;
}

int copy_sparse(int in, int out)
{
    struct stat st;
    off_t pos = 0;

    if (fstat(in, &st) < 0)
        return -errno;
    if (ioctl(out, FICLONE, in) == 0)
        return 0;
    if (ftruncate(out, st.st_size) < 0)
        return -errno;
    while (pos < st.st_size) {
        off_t data = lseek(in, pos, SEEK_DATA), hole;
        int r;

        if (data < 0)
            return errno == ENXIO ? 0 : -errno; /* only a hole is left */
        hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0)
            return -errno;
        r = copy_range(in, out, data, hole);
        if (r < 0)
            return r;
        pos = hole;
    }
    return 0;
}
