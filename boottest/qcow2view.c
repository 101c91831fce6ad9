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
#include "time-util.h"
#include "why.h"

#define MIB (1024ULL * 1024)
/* One qemu-img run copies at most a MiB: this is for a hung one (a locked NFS file). */
#define QIMG_TIMEOUT_MS 60000
/* Rounds of reading the table, then the regions it names: two for any disk (the second reads
 * the filesystems of partitions the first found); a bound against a table that changes. */
#define ROUNDS_MAX 8
#define REGIONS_MAX (4 * DISK_MAX_PARTS + 2)

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
int qcow2_disk_probe(const char *path, struct disk *d, char *why, size_t n)
{
    _cleanup_free_ char *abs = qemu_path(path), *qimg = NULL, *tmp = NULL;
    struct qcow2_chain chain;
    struct view v = {0};
    const char *dir = getenv("TMPDIR");
    int r;

    *d = (struct disk){0};
    if (!abs)
        return why_fail(why, n, -errno, "cannot resolve its path: %s", strerror(errno));
    r = qcow2_chain_check(abs, &chain, why, n);
    if (r < 0)
        return r;
    qimg = qemu_img_find();
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
    if (ftruncate(fd, (off_t)chain.top.size) < 0) {
        r = why_fail(why, n, -errno,
                     "cannot make a sparse file of its virtual size (%llu "
                     "bytes) in %s: %s",
                     (unsigned long long)chain.top.size, tmp, strerror(errno));
        unlink(tmp);
        return r;
    }
    v.qimg = qimg;
    v.size = chain.top.size;
    v.src = qemu_escape(abs);
    v.dst = qemu_escape(tmp);
    r = v.src && v.dst ? probe_view(&v, fd, d, why, n) : why_fail(why, n, -ENOMEM, "out of memory");
    free(v.src);
    free(v.dst);
    unlink(tmp);
    return r;
}
