// SPDX-License-Identifier: GPL-2.0-or-later
#include "qcow2.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "imgformat.h"
#include "why.h"

#define QCOW2_MAX_CLUSTER (2 * 1024 * 1024)
#define QCOW2_EXT_BACKING_FMT 0xE2792ACAU
#define QCOW2_EXT_DATA_FILE 0x44415441U
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
/* Deeper than any real chain (a base and a few overlays); a loop of names ends here too. */
#define CHAIN_MAX 16

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

int qcow2_header_parse(const unsigned char *buf, size_t len, struct qcow2_header *h, char *why,
                       size_t n)
{
    *h = (struct qcow2_header){0};
    if (len < 72 || memcmp(buf, "QFI\xfb", 4) != 0)
        return why_fail(why, n, -EINVAL, "no qcow2 header");
    h->version = be32(buf + 4);
    if (h->version != 2 && h->version != 3)
        return why_fail(why, n, -EINVAL, "qcow2 version %u (QEMU knows 2 and 3)", h->version);
    h->cluster_bits = be32(buf + 20);
    if (h->cluster_bits < 9 || h->cluster_bits > 21)
        return why_fail(why, n, -EINVAL,
                        "a qcow2 cluster size of 2^%u bytes (QEMU allows 2^9 "
                        "to 2^21)",
                        h->cluster_bits);
    /* QEMU reads the name and the extensions within the first cluster only */
    size_t end = len < ((size_t)1 << h->cluster_bits) ? len : (size_t)1 << h->cluster_bits;
    h->size = be64(buf + 24);
    h->crypt_method = be32(buf + 32);
    uint64_t boff = be64(buf + 8);
    uint32_t bsize = be32(buf + 16);
    if (boff != 0) {
        if (bsize >= sizeof h->backing || boff > end || bsize > end - boff)
            return why_fail(why, n, -EINVAL,
                            "the qcow2 backing file name (%u bytes at %llu) "
                            "is out of bounds",
                            bsize, (unsigned long long)boff);
        /* QEMU keeps the name up to its first NUL */
        memcpy(h->backing, buf + boff, bsize);
        h->backing[bsize] = '\0';
    }
    size_t off = 72;
    if (h->version == 3) {
        if (len < 104)
            return why_fail(why, n, -EINVAL, "a qcow2 version 3 header cut short");
        h->data_file = (be64(buf + 72) & QCOW2_INCOMPAT_DATA_FILE) != 0;
        off = be32(buf + 100);
        if (off < 104 || off > end)
            return why_fail(why, n, -EINVAL, "a qcow2 header length of %zu bytes", off);
    }
    /* the header extensions: type, length, data padded to 8 bytes; type 0 ends them */
    while (off <= end && end - off >= 8) {
        uint32_t type = be32(buf + off), elen = be32(buf + off + 4);
        if (type == 0)
            break;
        off += 8;
        if (elen > end - off)
            return why_fail(why, n, -EINVAL,
                            "a qcow2 header extension (0x%08x, %u bytes) runs "
                            "past the first cluster",
                            type, elen);
        if (type == QCOW2_EXT_BACKING_FMT) {
            if (elen >= sizeof h->backing_fmt)
                return why_fail(why, n, -EINVAL, "a qcow2 backing format name of %u bytes", elen);
            memcpy(h->backing_fmt, buf + off, elen);
            h->backing_fmt[elen] = '\0';
        } else if (type == QCOW2_EXT_DATA_FILE) {
            h->data_file = true;
        }
        off += ((size_t)elen + 7) & ~(size_t)7;
    }
    return 0;
}

bool qemu_name_has_protocol(const char *name)
{
    return name[strcspn(name, ":/")] == ':';
}

/* A name from an image, for a message: bounded, control and non-ASCII bytes as '?'. */
static const char *shown(const char *s, char *buf, size_t n)
{
    size_t len = strlen(s);
    if (len >= n && n > 4) {
        memcpy(buf, s, n - 4);
        memcpy(buf + n - 4, "...", 4);
    } else {
        memcpy(buf, s, len < n ? len + 1 : 0);
    }
    for (unsigned char *p = (unsigned char *)buf; *p; p++)
        if (*p < 0x20 || *p >= 0x7F)
            *p = '?';
    return buf;
}

static int read_header(const char *path, struct qcow2_header *h, uint64_t *allocated, char *why,
                       size_t n)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    _cleanup_free_ unsigned char *buf = malloc(QCOW2_MAX_CLUSTER);
    size_t len = 0;
    char name[256];

    if (fd < 0)
        return why_fail(why, n, -errno, "%s cannot be opened: %s", shown(path, name, sizeof name),
                        strerror(errno));
    if (!buf)
        return why_fail(why, n, -ENOMEM, "out of memory");
    struct stat st;
    if (fstat(fd, &st) == 0)
        *allocated += (uint64_t)st.st_blocks * 512;
    while (len < QCOW2_MAX_CLUSTER) {
        ssize_t k = pread(fd, buf + len, QCOW2_MAX_CLUSTER - len, (off_t)len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return why_fail(why, n, -errno, "%s cannot be read: %s", shown(path, name, sizeof name),
                            strerror(errno));
        if (k == 0)
            break;
        len += (size_t)k;
    }
    char sub[WHY_MAX];
    int r = qcow2_header_parse(buf, len, h, sub, sizeof sub);
    if (r < 0)
        return why_fail(why, n, r, "%s: %s", shown(path, name, sizeof name), sub);
    return 0;
}

/* The header of the image at path (absolute), and that every file QEMU would open to read it
 * is a plain file in raw or qcow2 format; the bytes they take on disk added to *allocated. */
static int check_chain(const char *path, struct qcow2_header *top, uint64_t *allocated, char *why,
                       size_t n)
{
    char cur[PATH_MAX], next[PATH_MAX], name[256], name2[256];
    struct qcow2_header h;

    snprintf(cur, sizeof cur, "%s", path);
    for (int depth = 0; depth < CHAIN_MAX; depth++) {
        int r = read_header(cur, depth == 0 ? top : &h, allocated, why, n);
        const struct qcow2_header *c = depth == 0 ? top : &h;
        if (r < 0)
            return r;
        if (c->crypt_method != 0)
            return why_fail(why, n, -EPERM, "%s is encrypted (qemu-img would need its secret)",
                            shown(cur, name, sizeof name));
        if (c->data_file)
            return why_fail(why, n, -EPERM,
                            "%s keeps its data in an external data file, "
                            "which is not followed",
                            shown(cur, name, sizeof name));
        if (!c->backing[0])
            return 0;
        if (qemu_name_has_protocol(c->backing))
            return why_fail(why, n, -EPERM,
                            "the backing file of %s is named '%s', a protocol "
                            "or json: name (QEMU would open a connection or whatever the name "
                            "describes), which is not opened",
                            depth == 0 ? "the image" : shown(cur, name2, sizeof name2),
                            shown(c->backing, name, sizeof name));
        /* as QEMU resolves it: beside the image that names it */
        const char *slash = strrchr(cur, '/');
        int k = c->backing[0] == '/'
                    ? snprintf(next, sizeof next, "%s", c->backing)
                    : snprintf(next, sizeof next, "%.*s/%s", (int)(slash - cur), cur, c->backing);
        if (k < 0 || (size_t)k >= sizeof next)
            return why_fail(why, n, -ENAMETOOLONG, "the backing file's name is too long");
        /* not blocking: a FIFO would hang the open */
        _cleanup_close_ int fd = open(next, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
            return why_fail(why, n, -errno, "its backing file %s cannot be read: %s",
                            shown(next, name, sizeof name), strerror(errno));
        if (!S_ISREG(st.st_mode))
            return why_fail(why, n, -EPERM,
                            "its backing file %s is not a regular file (a device, FIFO or "
                            "socket), which is not read",
                            shown(next, name, sizeof name));
        const char *fmt = c->backing_fmt;
        enum img_format detected = IMG_FORMAT_RAW;
        if (!fmt[0]) {
            r = img_format_detect(fd, &detected);
            if (r < 0)
                return why_fail(why, n, r, "its backing file %s cannot be read: %s",
                                shown(next, name, sizeof name), strerror(-r));
            fmt = img_format_name(detected);
        }
        if (strcmp(fmt, "raw") == 0) {
            *allocated += (uint64_t)st.st_blocks * 512;
            return 0;
        }
        if (strcmp(fmt, "qcow2") != 0)
            return why_fail(why, n, -EPERM,
                            "its backing file %s is in %s format; only raw and "
                            "qcow2 backing files are followed",
                            shown(next, name, sizeof name), shown(fmt, name2, sizeof name2));
        memcpy(cur, next, sizeof cur);
    }
    return why_fail(why, n, -ELOOP, "its chain of backing files is deeper than %d (a loop?)",
                    CHAIN_MAX);
}

char *qemu_img_find(void)
{
    const char *path = getenv("PATH"), *name = "qemu-img";
    char buf[PATH_MAX];

    for (const char *p = path; p && *p;) {
        size_t k = strcspn(p, ":");
        if (k > 0 && (size_t)snprintf(buf, sizeof buf, "%.*s/%s", (int)k, p, name) < sizeof buf &&
            access(buf, X_OK) == 0)
            return strdup(buf);
        p += k + (p[k] == ':');
    }
    return NULL;
}

char *qemu_path(const char *path)
{
    char *out = NULL;

    if (path[0] == '/')
        return strdup(path);
    _cleanup_free_ char *cwd = getcwd(NULL, 0);
    if (!cwd || asprintf(&out, "%s/%s", cwd, path) < 0)
        return NULL;
    return out;
}

int qcow2_chain_check(const char *path, struct qcow2_chain *chain, char *why, size_t n)
{
    _cleanup_free_ char *abs = qemu_path(path);
    struct qcow2_chain c = {0};

    if (!abs)
        return why_fail(why, n, -errno, "cannot resolve its path: %s", strerror(errno));
    int r = check_chain(abs, &c.top, &c.allocated, why, n);
    if (r >= 0 && chain)
        *chain = c;
    return r;
}

char *qemu_escape(const char *s)
{
    size_t n = strlen(s), commas = 0;
    char *out, *o;

    for (size_t i = 0; i < n; i++)
        commas += s[i] == ',';
    out = malloc(n + commas + 1);
    if (!out)
        return NULL;
    o = out;
    for (size_t i = 0; i < n; i++) {
        *o++ = s[i];
        if (s[i] == ',')
            *o++ = ',';
    }
    *o = '\0';
    return out;
}
