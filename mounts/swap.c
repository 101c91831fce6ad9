// SPDX-License-Identifier: GPL-2.0-or-later
#include "swap.h"

#include <blkid.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cleanup.h"
#include "time-util.h"
#include "why.h"

/* What libblkid found, for the user: "ext4 filesystem", "dos partition table", ... */
static int describe_signature(blkid_probe pr, char *why, size_t n)
{
    const char *type = NULL, *usage = NULL, *pttype = NULL;

    blkid_probe_lookup_value(pr, "PTTYPE", &pttype, NULL);
    blkid_probe_lookup_value(pr, "TYPE", &type, NULL);
    blkid_probe_lookup_value(pr, "USAGE", &usage, NULL);
    if (pttype)
        return why_fail(why, n, -EEXIST, "%s partition table", pttype);
    if (!type)
        return why_fail(why, n, -ENOENT, "%s", "no signature");
    if (strcmp(type, "swap") == 0)
        return why_fail(why, n, 0, "%s", "swap signature");
    if (strcmp(type, "swsuspend") == 0)
        return why_fail(why, n, -EEXIST, "%s", "swsuspend (a hibernation image)");
    if (why && n) {
        const char *what = "signature";
        if (usage && strcmp(usage, "filesystem") == 0)
            what = "filesystem";
        else if (usage && strcmp(usage, "crypto") == 0)
            what = "encrypted volume";
        else if (usage && strcmp(usage, "raid") == 0)
            what = "RAID/LVM member";
        snprintf(why, n, "%s %s", type, what);
    }
    return -EEXIST;
}

int swap_check_target(const char *path, char *why, size_t n)
{
    struct stat st;
    blkid_probe pr;
    int r;

    if (stat(path, &st) < 0) {
        r = -errno;
        if (r == -ENOENT)
            return why_fail(why, n, -ENODEV, "%s does not exist", path);
        return why_fail(why, n, r, "cannot stat %s", path);
    }
    if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
        return why_fail(why, n, -ENOTBLK, "%s is neither a block device nor a regular file", path);
    errno = 0;
    pr = blkid_new_probe_from_filename(path);
    if (!pr)
        return why_fail(why, n, errno ? -errno : -EIO, "cannot open %s for probing", path);
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
    blkid_probe_enable_partitions(pr, 1);
    blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
    r = blkid_do_safeprobe(pr);
    if (r == 1)
        r = why_fail(why, n, -ENOENT, "%s", "no signature");
    else if (r == -2)
        r = why_fail(why, n, -EEXIST, "%s",
                     "several signatures (ambiguous; see wipefs(8) to list them)");
    else if (r < 0)
        r = why_fail(why, n, -EIO, "probing %s with libblkid failed", path);
    else
        r = describe_signature(pr, why, n);
    blkid_free_probe(pr);
    return r;
}

static const char *const mkswap_paths[] = {"/sbin/mkswap", "/usr/sbin/mkswap", "/bin/mkswap",
                                           "/usr/bin/mkswap", NULL};

static void child_exec(const char *bin, const char *path, int err_fd)
{
    char *const argv[] = {(char *)"mkswap", (char *)path, NULL};
    char *const envp[] = {(char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LC_ALL=C", NULL};
    sigset_t none;
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
    }
    dup2(err_fd, 2);
    execve(bin, argv, envp);
    _exit(127);
}

/* Drain the child's stderr into buf until EOF or the deadline. */
static void collect_stderr(int fd, char *buf, size_t n, long long deadline)
{
    size_t len = 0;

    for (;;) {
        long long left = deadline - (long long)now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char tmp[512];

        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t got = read(fd, tmp, sizeof(tmp));
        if (got <= 0)
            break;
        for (ssize_t i = 0; i < got && len + 1 < n; i++)
            buf[len++] = (tmp[i] == '\n' || !isprint((unsigned char)tmp[i])) ? ' ' : tmp[i];
    }
    if (n)
        buf[len] = '\0';
}

static int run_mkswap(const char *bin, const char *path, int timeout_ms, char *why, size_t n)
{
    char err[512];
    int pipefd[2], status = 0, r;
    long long deadline = (long long)now_ms() + timeout_ms;
    pid_t pid;

    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return why_fail(why, n, -errno, "%s", "cannot create a pipe for mkswap");
    _cleanup_close_ int rfd = pipefd[0], wfd = pipefd[1];
    pid = fork();
    if (pid < 0)
        return why_fail(why, n, -errno, "%s", "cannot fork mkswap");
    if (pid == 0)
        child_exec(bin, path, wfd);
    close(take_fd(&wfd)); /* mkswap's end: stderr ends when mkswap does */
    collect_stderr(rfd, err, sizeof(err), deadline);
    close(take_fd(&rfd));
    long long left = deadline - (long long)now_ms();
    r = child_wait_bounded(pid, left > 0 ? (int)left : 0, &status);
    if (r == -ETIMEDOUT) {
        if (why && n)
            snprintf(why, n, "%s %s did not finish within %d ms; killed", bin, path, timeout_ms);
        return r;
    }
    if (r < 0)
        return why_fail(why, n, r, "%s", "waiting for mkswap failed");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return why_fail(why, n, -ENOPKG, "cannot execute %s", bin);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (why && n)
            snprintf(why, n, "%s %s failed (%s %d): %s", bin, path,
                     WIFEXITED(status) ? "exit status" : "signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), err);
        return -EIO;
    }
    return 0;
}

int swap_mkswap_full(const char *path, bool allowed, const char *mkswap, int timeout_ms, char *why,
                     size_t n)
{
    char found[200];
    int r;

    if (!allowed)
        return why_fail(why, n, -EPERM, "%s",
                        "initialising swap is not allowed "
                        "(add sharedroot.mkswap to the command line)");
    r = swap_check_target(path, found, sizeof(found));
    if (r < 0 && r != -ENOENT) {
        if (why && n)
            snprintf(why, n, "%s holds %s; refusing to run mkswap over it", path, found);
        return r;
    }
    if (!mkswap) {
        for (const char *const *p = mkswap_paths; *p && !mkswap; p++)
            if (access(*p, X_OK) == 0)
                mkswap = *p;
        if (!mkswap)
            return why_fail(why, n, -ENOPKG, "%s",
                            "no mkswap in /sbin, /usr/sbin, /bin or "
                            "/usr/bin (not in the initramfs?)");
    }
    r = run_mkswap(mkswap, path, timeout_ms > 0 ? timeout_ms : SWAP_MKSWAP_TIMEOUT_MS, why, n);
    if (r < 0)
        return r;
    /* mkswap said yes; believe libblkid. */
    r = swap_check_target(path, found, sizeof(found));
    if (r < 0) {
        if (why && n)
            snprintf(why, n, "after mkswap %s holds %s, not a swap signature", path, found);
        return -EIO;
    }
    return 0;
}

int swap_mkswap(const char *path, bool allowed)
{
    return swap_mkswap_full(path, allowed, NULL, 0, NULL, 0);
}

/* Write zeros over [0, bytes) for filesystems without fallocate: real blocks, no holes. */
static int write_zeros(int fd, unsigned long long bytes)
{
    const size_t chunk = 1 << 20;
    _cleanup_free_ char *buf = calloc(1, chunk);
    unsigned long long done = 0;

    if (!buf)
        return -ENOMEM;
    while (done < bytes) {
        size_t want = bytes - done < chunk ? (size_t)(bytes - done) : chunk;
        ssize_t w = pwrite(fd, buf, want, (off_t)done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        done += (unsigned long long)w;
    }
    return 0;
}

/* Make the swap file's content: mode 0600, no copy-on-write, real blocks, on disk. */
static int fill_swap_file(int fd, unsigned long long bytes)
{
    int r, flags = 0;

    /* btrfs swaps only on no-copy-on-write files, and the flag only sticks while the file is
     * empty; elsewhere it fails harmlessly. */
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
        flags |= FS_NOCOW_FL;
        (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
    if (fchmod(fd, 0600) < 0)
        return -errno;
    if (fallocate(fd, 0, 0, (off_t)bytes) < 0) {
        r = -errno;
        if (r != -EOPNOTSUPP && r != -ENOSYS)
            return r;
        r = write_zeros(fd, bytes);
        if (r < 0)
            return r;
    }
    return fsync(fd) < 0 ? -errno : 0;
}

int swap_create_file(const char *path, unsigned long long bytes)
{
    if (bytes < SWAP_MIN_BYTES || bytes > SWAP_MAX_BYTES)
        return -ERANGE;
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int r = fill_swap_file(fd, bytes);
    if (r < 0)
        unlink(path); /* we created it (O_EXCL): nothing of the user's is removed */
    return r;
}

int swap_on(const char *path)
{
    if (swapon(path, 0) < 0)
        return -errno;
    return 0;
}

int swap_parse_size(const char *s, unsigned long long *bytes)
{
    unsigned long long v = 0, mul = 1;
    const char *p = s;

    if (!s || !isdigit((unsigned char)*p))
        return -EINVAL;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (~0ULL - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    if (*p) {
        switch (*p) {
        case 'K':
        case 'k':
            mul = 1ULL << 10;
            break;
        case 'M':
        case 'm':
            mul = 1ULL << 20;
            break;
        case 'G':
        case 'g':
            mul = 1ULL << 30;
            break;
        case 'T':
        case 't':
            mul = 1ULL << 40;
            break;
        default:
            return -EINVAL;
        }
        if (p[1])
            return -EINVAL;
    }
    if (v == 0)
        return -EINVAL;
    if (v > ~0ULL / mul)
        return -ERANGE;
    v *= mul;
    if (v < SWAP_MIN_BYTES || v > SWAP_MAX_BYTES)
        return -ERANGE;
    *bytes = v;
    return 0;
}
