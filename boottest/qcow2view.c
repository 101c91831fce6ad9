// SPDX-License-Identifier: GPL-2.0-or-later
#include "qcow2view.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "guest.h"
#include "imgformat.h"
#include "time-util.h"
#include "why.h"

#define MIB (1024ULL * 1024)
#define QCOW2_MAX_CLUSTER (2 * MIB)
#define QCOW2_EXT_BACKING_FMT 0xE2792ACAU
#define QCOW2_EXT_DATA_FILE 0x44415441U
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
/* Deeper than any real chain (a base and a few overlays); a loop of names ends here too. */
#define CHAIN_MAX 16
/* One qemu-img run copies at most a MiB: this is for a hung one (a locked NFS file). */
#define QIMG_TIMEOUT_MS 60000
/* Rounds of reading the table, then the regions it names: two for any disk (the second reads
 * the filesystems of partitions the first found); a bound against a table that changes. */
#define ROUNDS_MAX 8
#define REGIONS_MAX (4 * DISK_MAX_PARTS + 2)

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

static int read_header(const char *path, struct qcow2_header *h, char *why, size_t n)
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
 * is a plain file in raw or qcow2 format. */
static int check_chain(const char *path, struct qcow2_header *top, char *why, size_t n)
{
    char cur[PATH_MAX], next[PATH_MAX], name[256], name2[256];
    struct qcow2_header h;

    snprintf(cur, sizeof cur, "%s", path);
    for (int depth = 0; depth < CHAIN_MAX; depth++) {
        int r = read_header(cur, depth == 0 ? top : &h, why, n);
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
        if (strcmp(fmt, "raw") == 0)
            return 0;
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

/* The first line of qemu-img's complaint, printable. */
static void first_line(char *s)
{
    s[strcspn(s, "\n")] = '\0';
    for (unsigned char *p = (unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            *p = '?';
}

/* Run qemu-img to its end, within QIMG_TIMEOUT_MS (else it is killed): 0 when it exited 0,
 * else a negative errno with its first line of stderr in why. */
static int qimg_run(char **argv, char *why, size_t n)
{
    char err[1024] = "";
    size_t elen = 0;
    int p[2], status = 0;
    bool timed_out = false;

    if (pipe2(p, O_CLOEXEC) < 0)
        return why_fail(why, n, -errno, "cannot make a pipe: %s", strerror(errno));
    pid_t pid = spawn_helper(argv, -1, p[1]);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return why_fail(why, n, (int)pid, "cannot start qemu-img: %s", strerror((int)-pid));
    }
    /* qemu-img closes its stderr when it ends: wait for that, or the deadline */
    int64_t deadline = (int64_t)now_ms() + QIMG_TIMEOUT_MS;
    for (;;) {
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        int64_t left = deadline - (int64_t)now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int k = poll(&pfd, 1, (int)left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            continue;
        char chunk[512];
        ssize_t got = read(p[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        size_t take = (size_t)got < sizeof err - 1 - elen ? (size_t)got : sizeof err - 1 - elen;
        memcpy(err + elen, chunk, take);
        elen += take;
        err[elen] = '\0';
    }
    close(p[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return why_fail(why, n, -errno, "cannot wait for qemu-img: %s", strerror(errno));
    if (timed_out)
        return why_fail(why, n, -ETIMEDOUT, "qemu-img did not finish in %d s (killed)",
                        QIMG_TIMEOUT_MS / 1000);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    first_line(err);
    return why_fail(
        why, n, -EIO, "qemu-img failed (%s %d): %s", WIFEXITED(status) ? "exit status" : "signal",
        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), err[0] ? err : "no message");
}

struct view {
    const char *qimg;
    char *src, *dst; /* escaped file names of the image and of the sparse raw file */
    uint64_t size;
    uint64_t done[REGIONS_MAX];
    size_t n_done;
};

/* Copy [off, off + MIB) of the virtual disk (clamped to its size) into the same place of the
 * sparse file: qemu-img convert from a raw window on the qcow2 image into a raw window on the
 * file. The qcow2 image is named with driver=file, so QEMU never reads its name as a protocol,
 * and opened with force-share (a running guest's lock does not stop a read). 1 copied, 0
 * already copied or outside the disk, negative errno. */
static int copy_region(struct view *v, uint64_t off, char *why, size_t n)
{
    char *src = NULL, *dst = NULL;
    int r;

    if (off >= v->size)
        return 0;
    for (size_t i = 0; i < v->n_done; i++)
        if (v->done[i] == off)
            return 0;
    if (v->n_done == REGIONS_MAX)
        return 0;
    v->done[v->n_done++] = off;
    uint64_t len = v->size - off < MIB ? v->size - off : MIB;
    if (asprintf(&src,
                 "driver=raw,offset=%llu,size=%llu,force-share=on,read-only=on,"
                 "file.driver=qcow2,file.file.driver=file,file.file.filename=%s",
                 (unsigned long long)off, (unsigned long long)len, v->src) < 0)
        src = NULL;
    if (asprintf(&dst, "driver=raw,offset=%llu,size=%llu,file.driver=file,file.filename=%s",
                 (unsigned long long)off, (unsigned long long)len, v->dst) < 0)
        dst = NULL;
    if (!src || !dst) {
        free(src);
        free(dst);
        return why_fail(why, n, -ENOMEM, "out of memory");
    }
    char *argv[] = {(char *)v->qimg,       "convert", "-n", "--image-opts",
                    "--target-image-opts", src,       dst,  NULL};
    r = qimg_run(argv, why, n);
    free(src);
    free(dst);
    return r < 0 ? r : 1;
}

/* An MBR extended partition's chain of extended boot records (EBRs), from its start: each
 * EBR's second entry links the next, relative to the extended partition's start. Only their
 * places are read here, to copy them (libblkid reads them, as it reads any table, but does not
 * say where they are); the sparse file holds each once copied. Number copied, or -errno. */
static int copy_ebr_chain(struct view *v, int fd, uint64_t ext, char *why, size_t n)
{
    uint64_t ebr = ext;
    int copied = 0;

    for (int k = 0; k < DISK_MAX_PARTS; k++) {
        unsigned char sec[512];
        int r = copy_region(v, ebr, why, n);
        if (r < 0)
            return r;
        copied += r;
        if (pread(fd, sec, sizeof sec, (off_t)ebr) != (ssize_t)sizeof sec || sec[510] != 0x55 ||
            sec[511] != 0xAA)
            break;
        const unsigned char *link = sec + 446 + 16;
        uint64_t rel = (uint64_t)link[8] | (uint64_t)link[9] << 8 | (uint64_t)link[10] << 16 |
                       (uint64_t)link[11] << 24;
        /* a link backwards or to itself would loop */
        if (link[4] == 0 || rel == 0 || ext + rel * 512 <= ebr)
            break;
        ebr = ext + rel * 512;
    }
    return copied;
}

/* The regions the table in d names, beyond the disk's ends: each usable partition's first
 * and last MiB (superblocks at either end: ext4 and xfs at the start, md 1.0 at the end), and
 * an MBR extended partition's chain of EBRs. Number copied, or a negative errno. */
static int copy_named_regions(struct view *v, int fd, const struct disk *d, char *why, size_t n)
{
    int copied = 0, r;

    for (size_t i = 0; i < d->n; i++) {
        const struct part *p = &d->v[i];
        if (p->problem)
            continue;
        if (p->extended)
            r = copy_ebr_chain(v, fd, p->start, why, n);
        else if ((r = copy_region(v, p->start, why, n)) >= 0 && p->size > MIB) {
            int e = copy_region(v, (p->start + p->size - MIB) & ~(uint64_t)511, why, n);
            r = e < 0 ? e : r + e;
        }
        if (r < 0)
            return r;
        copied += r;
    }
    return copied;
}

static char *tool_in_path(const char *name)
{
    const char *path = getenv("PATH");
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

static int probe_view(struct view *v, int fd, struct disk *d, char *why, size_t n)
{
    int r;

    if ((r = copy_region(v, 0, why, n)) < 0 ||
        (r = copy_region(v, v->size > MIB ? (v->size - MIB) & ~(uint64_t)511 : 0, why, n)) < 0)
        return r;
    for (int round = 0; round < ROUNDS_MAX; round++) {
        r = disk_probe(fd, v->size, d, why, n);
        if (r <= 0)
            return r;
        r = copy_named_regions(v, fd, d, why, n);
        if (r <= 0) {
            if (r < 0)
                disk_done(d);
            return r < 0 ? r : 1;
        }
        disk_done(d);
    }
    return why_fail(why, n, -ELOOP, "its partition table kept naming more regions to read");
}

/* path as QEMU names it when given path: made absolute against the working directory, its
 * symbolic links kept (QEMU looks for a relative backing name beside the name it was given,
 * not beside the link's target). NULL with errno set. */
static char *qemu_path(const char *path)
{
    char *out = NULL;

    if (path[0] == '/')
        return strdup(path);
    _cleanup_free_ char *cwd = getcwd(NULL, 0);
    if (!cwd || asprintf(&out, "%s/%s", cwd, path) < 0)
        return NULL;
    return out;
}

int qcow2_chain_check(const char *path, char *why, size_t n)
{
    _cleanup_free_ char *abs = qemu_path(path);
    struct qcow2_header h;

    if (!abs)
        return why_fail(why, n, -errno, "cannot resolve its path: %s", strerror(errno));
    return check_chain(abs, &h, why, n);
}

int qcow2_disk_probe(const char *path, struct disk *d, char *why, size_t n)
{
    _cleanup_free_ char *abs = qemu_path(path), *qimg = NULL, *tmp = NULL;
    struct qcow2_header h;
    struct view v = {0};
    const char *dir = getenv("TMPDIR");
    int r;

    *d = (struct disk){0};
    if (!abs)
        return why_fail(why, n, -errno, "cannot resolve its path: %s", strerror(errno));
    r = check_chain(abs, &h, why, n);
    if (r < 0)
        return r;
    qimg = tool_in_path("qemu-img");
    if (!qimg)
        return why_fail(why, n, -ENOPKG,
                        "qemu-img, which reads inside a qcow2 image, is not "
                        "installed (package qemu-utils)");
    if (asprintf(&tmp, "%s/sharedroot-boottest-qcow2.XXXXXX", dir && *dir ? dir : "/tmp") < 0)
        return tmp = NULL, why_fail(why, n, -ENOMEM, "out of memory");
    _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return why_fail(why, n, -errno, "cannot make a temporary file %s: %s", tmp,
                        strerror(errno));
    if (ftruncate(fd, (off_t)h.size) < 0) {
        r = why_fail(why, n, -errno,
                     "cannot make a sparse file of its virtual size (%llu "
                     "bytes) in %s: %s",
                     (unsigned long long)h.size, tmp, strerror(errno));
        unlink(tmp);
        return r;
    }
    v.qimg = qimg;
    v.size = h.size;
    v.src = qemu_escape(abs);
    v.dst = qemu_escape(tmp);
    r = v.src && v.dst ? probe_view(&v, fd, d, why, n) : why_fail(why, n, -ENOMEM, "out of memory");
    free(v.src);
    free(v.dst);
    unlink(tmp);
    return r;
}
