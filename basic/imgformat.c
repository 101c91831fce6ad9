// SPDX-License-Identifier: GPL-2.0-or-later
#include "imgformat.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD_BYTES 512
#define VHD_FOOTER 512

static const char *const names[IMG_FORMAT_COUNT] = {
    [IMG_FORMAT_RAW] = "raw",   [IMG_FORMAT_QCOW2] = "qcow2", [IMG_FORMAT_QCOW] = "qcow",
    [IMG_FORMAT_QED] = "qed",   [IMG_FORMAT_VMDK] = "vmdk",   [IMG_FORMAT_VDI] = "vdi",
    [IMG_FORMAT_VHDX] = "vhdx", [IMG_FORMAT_VPC] = "vpc",
};

const char *img_format_name(enum img_format fmt)
{
    return (unsigned)fmt < IMG_FORMAT_COUNT ? names[fmt] : "unknown";
}

/* Read up to n bytes at off; the count read (short at the end of the file), or -errno. */
static ssize_t read_at(int fd, void *buf, size_t n, off_t off)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static bool starts(const unsigned char *h, ssize_t n, const char *magic, size_t len)
{
    return n >= (ssize_t)len && memcmp(h, magic, len) == 0;
}

/* A fixed VHD is the raw disk followed by a 512-byte footer starting "conectix". */
static int vhd_footer(int fd, bool *found)
{
    unsigned char foot[8];
    struct stat st;
    ssize_t n;

    *found = false;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode) || st.st_size < VHD_FOOTER)
        return 0;
    n = read_at(fd, foot, sizeof foot, st.st_size - VHD_FOOTER);
    if (n < 0)
        return (int)n;
    *found = starts(foot, n, "conectix", 8);
    return 0;
}

int img_format_detect(int fd, enum img_format *fmt)
{
    unsigned char h[HEAD_BYTES];
    ssize_t n = read_at(fd, h, sizeof h, 0);
    bool footer;
    int r;

    if (n < 0)
        return (int)n;
    *fmt = IMG_FORMAT_RAW;
    if (starts(h, n, "QFI\xfb", 4) && n >= 8) {
        uint32_t version = be32(h + 4);
        if (version == 1)
            *fmt = IMG_FORMAT_QCOW;
        else if (version == 2 || version == 3)
            *fmt = IMG_FORMAT_QCOW2;
    } else if (starts(h, n, "QED\0", 4)) {
        *fmt = IMG_FORMAT_QED;
    } else if (starts(h, n, "KDMV", 4) || starts(h, n, "COWD", 4) ||
               starts(h, n, "# Disk DescriptorFile", 21)) {
        *fmt = IMG_FORMAT_VMDK;
    } else if (n >= 0x44 && le32(h + 0x40) == 0xbeda107fu) {
        *fmt = IMG_FORMAT_VDI;
    } else if (starts(h, n, "vhdxfile", 8)) {
        *fmt = IMG_FORMAT_VHDX;
    } else if (starts(h, n, "conectix", 8)) {
        *fmt = IMG_FORMAT_VPC;
    } else {
        r = vhd_footer(fd, &footer);
        if (r < 0)
            return r;
        if (footer)
            *fmt = IMG_FORMAT_VPC;
    }
    return 0;
}
