// SPDX-License-Identifier: GPL-2.0-or-later
#include "shutdown.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <time.h>
#include <unistd.h>

#include "io-util.h"
#include "kmsg.h"
#include "netroot.h"
#include "rmtree.h"
#include "time-util.h"

#define KEEP_MAX_FILES 64
#define UNMOUNT_MAX 256   /* mounts below the old root handled per pass */
#define UNMOUNT_PASSES 16 /* passes that make progress */
#define UNMOUNT_RETRIES 5 /* passes without progress, RETRY_MS apart, before giving up */
#define UNMOUNT_RETRY_MS 200

/* Directories systemd's switch to /run/initramfs mounts on (it would create them, but the
 * kept directory is read-only). */
static const char *const keep_dirs[] = {"/dev", "/proc", "/sys", "/run", "/oldroot", NULL};

static const struct {
    const char *verb;
    int cmd;
} verbs[] = {
    {"poweroff", RB_POWER_OFF}, {"reboot", RB_AUTOBOOT}, {"halt", RB_HALT_SYSTEM},
    {"kexec", RB_KEXEC},        {"exit", RB_POWER_OFF},
};

int shutdown_verb_command(const char *verb, int *cmd)
{
    for (size_t i = 0; verb && i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(verbs[i].verb, verb) == 0) {
            *cmd = verbs[i].cmd;
            return 0;
        }
    return -EINVAL;
}

int shutdown_maps_path(const char *line, char *out, size_t n)
{
    const char *p = line;
    size_t len;

    /* address perms offset dev inode: five fields, then the path after spaces */
    for (int field = 0; field < 5; field++) {
        p += strspn(p, " ");
        if (!*p)
            return 0;
        p += strcspn(p, " ");
    }
    p += strspn(p, " ");
    if (*p != '/')
        return 0;
    len = strcspn(p, "\n");
    if (len >= 10 && memcmp(p + len - 10, " (deleted)", 10) == 0)
        return 0;
    if (len >= n)
        return -ENAMETOOLONG;
    memcpy(out, p, len);
    out[len] = 0;
    return 1;
}

bool shutdown_path_below(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);

    if (n == 1 && prefix[0] == '/')
        return path[0] == '/';
    return strncmp(path, prefix, n) == 0 && (path[n] == 0 || path[n] == '/');
}

int shutdown_unit_name(const char *path, char *out, size_t n)
{
    static const char suffix[] = ".mount";
    size_t o = 0;

    if (path[0] != '/')
        return -EINVAL;
    while (*path == '/')
        path++;
    if (!*path) {
        if (n < sizeof suffix + 1)
            return -ENAMETOOLONG;
        snprintf(out, n, "-%s", suffix);
        return 0;
    }
    for (const char *p = path; *p; p++) {
        unsigned char c = (unsigned char)*p;
        char esc[8];
        const char *rep = esc;

        if (c == '/') {
            if (p[1] == '/' || p[1] == 0)
                continue; /* "//" and a trailing slash add nothing */
            rep = "-";
        } else if ((isascii(c) && isalnum(c)) || c == ':' || c == '_' || (c == '.' && o > 0)) {
            esc[0] = (char)c;
            esc[1] = 0;
        } else {
            snprintf(esc, sizeof esc, "\\x%02x", c);
        }
        if (o + strlen(rep) >= n)
            return -ENAMETOOLONG;
        memcpy(out + o, rep, strlen(rep));
        o += strlen(rep);
    }
    if (o + sizeof suffix > n)
        return -ENAMETOOLONG;
    memcpy(out + o, suffix, sizeof suffix);
    return 0;
}

/* --- at the switch: mounts systemd must leave to the shutdown program */

static int mkdirs_in(const char *root, const char *path);

#define UNIT_DIR "/run/systemd/system"

/* A mount unit for a mount the initramfs made. A drop-in is not enough: systemd loads the
 * units of /var and /tmp early (for RequiresMountsFor=), finds no file, and when it then sees
 * the mount it marks the unit loaded without reading drop-ins. A unit file is read then. */
static int write_unit(const char *where, const char *what, const char *type)
{
    char unit[PATH_MAX], file[PATH_MAX + 32];
    FILE *f;
    int fd, r = shutdown_unit_name(where, unit, sizeof unit);

    if (r < 0)
        return r;
    /* values go into the unit file as they are: no specifiers, no line breaks */
    for (const char *const *v = (const char *const[]){where, what, type, NULL}; *v; v++)
        if (strpbrk(*v, "%\n\\\" \t"))
            return -EINVAL;
    r = mkdirs_in("", UNIT_DIR);
    if (r < 0)
        return r;
    snprintf(file, sizeof file, "%s/%s", UNIT_DIR, unit);
    fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -ENOMEM;
    }
    fprintf(f,
            "# Written by sharedroot-init: mounted in the initramfs, busy until every process is\n"
            "# gone, so not unmounted when units stop (no Conflicts=umount.target); the shutdown\n"
            "# program, /run/initramfs/shutdown, unmounts it at the very end.\n"
            "[Unit]\n"
            "Description=%s (sharedroot)\n"
            "Documentation=man:sharedroot-init(8)\n"
            "DefaultDependencies=no\n"
            "\n"
            "[Mount]\n"
            "What=%s\n"
            "Where=%s\n"
            "Type=%s\n",
            where, what, where, type);
    r = fflush(f) == 0 ? 0 : -errno;
    fclose(f);
    return r;
}

/* The path a mount of the boot will have in the booted system, or NULL when it is not one of
 * ours: the overlays and /tmp (below the new root until the switch), the base bind and the
 * instance filesystems (below /run/sharedroot). */
static const char *final_path(const struct boot_ctx *ctx, const char *target)
{
    size_t sl = strlen(ctx->sysroot);
    const char *p = target;

    if (shutdown_path_below(target, SHAREDROOT_RUN))
        return strcmp(target, SHAREDROOT_RUN) == 0 ? NULL : target;
    if (!ctx->in_root) {
        if (strncmp(target, ctx->sysroot, sl) != 0 || target[sl] != '/')
            return NULL;
        p = target + sl;
    }
    if (strcmp(p, "/tmp") == 0)
        return strcmp(ctx->tmp_desc, "keep") == 0 ? NULL : p;
    for (size_t i = 0; i < ctx->layout.n; i++)
        if (ctx->layout.entries[i].kind == LAYOUT_OVERLAY &&
            strcmp(ctx->layout.entries[i].target, p) == 0)
            return p;
    return NULL;
}

void shutdown_mark_mounts(struct boot_ctx *ctx)
{
    struct libmnt_table *tb;
    struct libmnt_iter *it;
    struct libmnt_fs *fs;
    unsigned n = 0;

    if (!ctx->pid1 || ctx->mode == MODE_OFF || !ctx->init_is_systemd)
        return;
    tb = mnt_new_table_from_file("/proc/self/mountinfo");
    it = mnt_new_iter(MNT_ITER_FORWARD);
    while (tb && it && mnt_table_next_fs(tb, it, &fs) == 0) {
        const char *tg = mnt_fs_get_target(fs), *where = tg ? final_path(ctx, tg) : NULL;
        const char *what = mnt_fs_get_source(fs), *type = mnt_fs_get_fstype(fs);
        int r;

        if (!where)
            continue;
        r = write_unit(where, what ? what : "none", type ? type : "none");
        if (r < 0)
            log_warning_errno(r,
                              "switch: cannot write the systemd unit for %s: %m; systemd will "
                              "try to unmount it while it is busy",
                              where);
        else
            n++;
    }
    mnt_free_iter(it);
    mnt_unref_table(tb);
    log_info("switch: %u mounts left to the shutdown program (systemd units in %s)", n, UNIT_DIR);
}

/* --- at the switch: keep what the init runs from */

static int mkdirs_in(const char *root, const char *path)
{
    char buf[PATH_MAX];

    if ((size_t)snprintf(buf, sizeof buf, "%s%s", root, path) >= sizeof buf)
        return -ENAMETOOLONG;
    return mkdir_p(buf, 0755);
}

/* Hard link path (a file of the initramfs) to SHUTDOWN_KEEP/as: no copy, the pages are the
 * ones the init already runs from. */
static int keep_file(const char *path, const char *as, unsigned long long *bytes)
{
    char dst[PATH_MAX], dir[PATH_MAX];
    struct stat st;
    int r;

    if ((size_t)snprintf(dst, sizeof dst, "%s%s", SHUTDOWN_KEEP, as) >= sizeof dst)
        return -ENAMETOOLONG;
    snprintf(dir, sizeof dir, "%s", as);
    *strrchr(dir, '/') = 0;
    if (dir[0] && (r = mkdirs_in(SHUTDOWN_KEEP, dir)) < 0)
        return r;
    if (lstat(path, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if (link(path, dst) < 0 && errno != EEXIST)
        return -errno;
    *bytes += (unsigned long long)st.st_size;
    return 0;
}

/* Programs and libraries only: libkmod maps the module index too, which the shutdown does not
 * need. */
static bool is_elf(const char *path)
{
    char magic[4];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    bool elf = fd >= 0 && read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0;

    if (fd >= 0)
        close(fd);
    return elf;
}

/* Every file the running init is mapped from: the executable (kept as /shutdown), the
 * dynamic loader and the libraries, at their paths. */
static int keep_mapped_files(unsigned *files, unsigned long long *bytes)
{
    char exe[PATH_MAX], path[PATH_MAX], seen[KEEP_MAX_FILES][PATH_MAX / 16];
    unsigned n_seen = 0;
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *line = NULL;
    size_t cap = 0;
    FILE *f;
    int r = 0;

    if (l < 0)
        return -errno;
    exe[l] = 0;
    f = fopen("/proc/self/maps", "re");
    if (!f)
        return -errno;
    while (r >= 0 && getline(&line, &cap, f) > 0) {
        bool dup = false;

        r = shutdown_maps_path(line, path, sizeof path);
        if (r <= 0 || !is_elf(path))
            continue;
        for (unsigned i = 0; i < n_seen && !dup; i++)
            dup = strcmp(seen[i], path) == 0;
        if (dup)
            continue;
        if (n_seen == KEEP_MAX_FILES || strlen(path) >= sizeof seen[0]) {
            r = -E2BIG;
            break;
        }
        snprintf(seen[n_seen++], sizeof seen[0], "%s", path);
        r = keep_file(path, strcmp(path, exe) == 0 ? "/shutdown" : path, bytes);
        log_debug("switch: kept %s for the shutdown", path);
        if (r < 0)
            log_debug("switch: cannot keep %s for the shutdown: %s", path, strerror(-r));
    }
    free(line);
    fclose(f);
    *files = n_seen;
    return r < 0 ? r : 0;
}

static int keep_mount(void)
{
    for (const char *const *d = keep_dirs; *d; d++) {
        int r = mkdirs_in(SHUTDOWN_KEEP, *d);
        if (r < 0)
            return r;
    }
    /* A mount of its own: freeing the initramfs never enters another mount. Read-only, so the
     * running system cannot change the program that unmounts it. */
    if (mount(SHUTDOWN_KEEP, SHUTDOWN_KEEP, "none", MS_BIND, NULL) < 0)
        return -errno;
    if (mount("none", SHUTDOWN_KEEP, "none", MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NODEV, NULL) <
        0) {
        int r = -errno;
        umount2(SHUTDOWN_KEEP, MNT_DETACH);
        return r;
    }
    return 0;
}

int shutdown_mode_parse(const char *value)
{
    static const char *const names[] = {
        [SHUTDOWN_AUTO] = "auto", [SHUTDOWN_ON] = "on", [SHUTDOWN_OFF] = "off"};

    if (!value)
        return SHUTDOWN_AUTO;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i], value) == 0)
            return (int)i;
    return -EINVAL;
}

/* auto: when the real init is systemd, the one init that returns to /run/initramfs */
static bool keep_wanted(const struct boot_ctx *ctx)
{
    int mode = shutdown_mode_parse(ctx->cmd.shutdown);

    if (mode < 0) {
        log_warning("sharedroot.shutdown=%s: use auto, on or off; using auto", ctx->cmd.shutdown);
        mode = SHUTDOWN_AUTO;
    }
    return mode == SHUTDOWN_ON || (mode == SHUTDOWN_AUTO && ctx->init_is_systemd);
}

void shutdown_keep(struct boot_ctx *ctx)
{
    uint64_t t0 = now_ms();
    unsigned files = 0;
    unsigned long long bytes = 0;
    int r;

    /* sharedroot=off has no overlays or instance disk: the real system unmounts the rest. */
    if (!ctx->pid1 || ctx->in_root || ctx->mode == MODE_OFF || !keep_wanted(ctx))
        return;
    if (mkdir(SHUTDOWN_KEEP, 0755) < 0 && errno != EEXIST)
        r = -errno;
    else
        r = keep_mapped_files(&files, &bytes);
    if (r == 0)
        r = keep_mount();
    if (r < 0) {
        log_warning_errno(r,
                          "switch: cannot keep the shutdown program for %s: %m; at shutdown "
                          "the overlays and the instance filesystem will not be unmounted "
                          "cleanly (the next boot's fsck replays their journal)",
                          SHUTDOWN_DIR);
        return;
    }
    ctx->shutdown_kept = true;
    log_info("switch: kept %u files (%llu KiB, shared with the initramfs: no copy) for %s/shutdown "
             "in %llu ms",
             files, bytes / 1024, SHUTDOWN_DIR, (unsigned long long)(now_ms() - t0));
}

static void free_kept(void)
{
    int fd = open(SHUTDOWN_KEEP, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;

    if (fd >= 0 && fstat(fd, &st) == 0)
        (void)rmtree_contents(fd, st.st_dev, NULL);
    if (fd >= 0)
        close(fd);
    (void)rmdir(SHUTDOWN_KEEP);
}

void shutdown_publish(struct boot_ctx *ctx)
{
    char target[PATH_MAX];
    struct stat st;

    if (!ctx->shutdown_kept)
        return;
    snprintf(target, sizeof target, "%s%s", ctx->sysroot, SHUTDOWN_DIR);
    if ((mkdir(target, 0755) < 0 && errno != EEXIST) || stat(target, &st) < 0 ||
        !S_ISDIR(st.st_mode) || mount(SHUTDOWN_KEEP, target, "none", MS_MOVE, NULL) < 0) {
        log_warning_errno(errno,
                          "switch: cannot move the shutdown program to %s: %m; at shutdown the "
                          "overlays and the instance filesystem will not be unmounted cleanly",
                          target);
        /* the initramfs is freed already: free what was kept */
        umount2(SHUTDOWN_KEEP, MNT_DETACH);
        free_kept();
        ctx->shutdown_kept = false;
    }
}

/* --- the shutdown program */

struct target {
    char *path;
    bool blockdev;  /* its source is a block device (not tmpfs, proc, an overlay...) */
    unsigned order; /* position in mountinfo (the order of mounting): later mounts first */
};

enum phase {
    PHASE_OVERLAYS, /* first: they hold the instance filesystems below their upper dirs */
    PHASE_REST,
};

/* Mounted last, unmounted first: a mount comes after its parent, and the overlays after the
 * instance filesystem they use. (Mounts moved into place keep their position, so a parent can
 * come later than a child: that unmount fails with EBUSY and the next pass takes it.) */
static int target_cmp(const void *a, const void *b)
{
    const struct target *x = a, *y = b;
    return x->order > y->order ? -1 : x->order < y->order;
}

static void targets_free(struct target *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(t[i].path);
}

/* The mounts of phase ph at or below oldroot, in the order to unmount them. */
static int list_targets(const char *oldroot, enum phase ph, struct target *t, size_t max, size_t *n)
{
    struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
    struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
    struct libmnt_fs *fs;
    unsigned order = 0;
    int r = 0;

    *n = 0;
    if (!tb || !it) {
        r = -ENOMEM;
        goto out;
    }
    while (mnt_table_next_fs(tb, it, &fs) == 0) {
        const char *tg = mnt_fs_get_target(fs), *type = mnt_fs_get_fstype(fs);
        const char *src = mnt_fs_get_srcpath(fs);
        bool overlay = type && strcmp(type, "overlay") == 0;

        order++;
        if (!tg || !shutdown_path_below(tg, oldroot) || overlay != (ph == PHASE_OVERLAYS))
            continue;
        if (*n == max) {
            r = -E2BIG;
            break;
        }
        t[*n].path = strdup(tg);
        if (!t[*n].path) {
            r = -ENOMEM;
            break;
        }
        t[*n].order = order;
        t[*n].blockdev = src && strncmp(src, "/dev/", 5) == 0;
        (*n)++;
    }
    qsort(t, *n, sizeof *t, target_cmp);
out:
    mnt_free_iter(it);
    mnt_unref_table(tb);
    return r;
}

/* One pass: unmount what can be. Returns how many went (and how many are left), or a
 * negative errno. With ro_first, a block device filesystem is remounted read-only before:
 * an overlay that had to be detached lazily may still hold it after its mount point is gone,
 * and read-only it is clean whatever happens later. */
static int unmount_pass(const char *oldroot, enum phase ph, bool ro_first, size_t *left)
{
    struct target t[UNMOUNT_MAX];
    size_t n;
    int done = 0, r = list_targets(oldroot, ph, t, UNMOUNT_MAX, &n);

    if (r < 0) {
        targets_free(t, n);
        return r;
    }
    for (size_t i = 0; i < n; i++) {
        if (ro_first && t[i].blockdev)
            (void)mount("none", t[i].path, "none", MS_REMOUNT | MS_RDONLY, NULL);
        if (umount2(t[i].path, UMOUNT_NOFOLLOW) == 0) {
            log_info("shutdown: unmounted %s", t[i].path);
            done++;
        } else {
            log_debug("shutdown: unmounting %s: %s", t[i].path, strerror(errno));
        }
    }
    *left = n - (size_t)done;
    targets_free(t, n);
    return done;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* What could not be unmounted: read-only (which makes a filesystem clean), then out of the
 * way. Returns how many were detached lazily. */
static unsigned give_up(const char *oldroot, enum phase ph)
{
    struct target t[UNMOUNT_MAX];
    size_t n;
    unsigned left = 0;

    if (list_targets(oldroot, ph, t, UNMOUNT_MAX, &n) < 0) {
        targets_free(t, n);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        int ro = mount("none", t[i].path, "none", MS_REMOUNT | MS_RDONLY, NULL) == 0 ? 0 : errno;

        if (umount2(t[i].path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
            continue; /* below a mount detached just before: gone with it */
        left++;
        if (ro == 0)
            log_warning("shutdown: %s is still busy: remounted read-only, then detached lazily "
                        "(MNT_DETACH) as a last resort",
                        t[i].path);
        else
            log_warning("shutdown: %s is still busy and cannot be remounted read-only (%s): "
                        "detached lazily (MNT_DETACH) as a last resort; its filesystem may need "
                        "a journal replay or fsck at the next mount",
                        t[i].path, strerror(ro));
    }
    targets_free(t, n);
    return left;
}

/* Unmount the mounts of phase ph at or below oldroot, as long as that makes progress; a mount
 * that stays busy is retried a few times (a process still exiting). Returns how many had to
 * be detached lazily. */
static unsigned unmount_phase(const char *oldroot, enum phase ph, bool ro_first,
                              unsigned *unmounted)
{
    unsigned retries = 0;
    size_t left = 0;

    for (unsigned pass = 0; pass < UNMOUNT_PASSES + UNMOUNT_RETRIES; pass++) {
        int r = unmount_pass(oldroot, ph, ro_first, &left);

        if (r < 0) {
            log_error_errno(r, "shutdown: cannot read the mount table: %m");
            break;
        }
        *unmounted += (unsigned)r;
        if (left == 0)
            return 0;
        if (r == 0) {
            if (++retries > UNMOUNT_RETRIES)
                break;
            sleep_ms(UNMOUNT_RETRY_MS);
        }
    }
    return give_up(oldroot, ph);
}

/* The overlays first, then the instance filesystems, the base bind, the API filesystems and
 * the base. Returns how many mounts had to be detached lazily. */
static unsigned unmount_below(const char *oldroot, unsigned *unmounted)
{
    unsigned lazy;

    *unmounted = 0;
    lazy = unmount_phase(oldroot, PHASE_OVERLAYS, false, unmounted);
    return lazy + unmount_phase(oldroot, PHASE_REST, lazy > 0, unmounted);
}

/* systemd-shutdown has turned swap off already; a swap file on an instance disk that is still
 * active would keep that filesystem busy. PID 1 only: a test run must not touch the host. */
static void swapoff_all(void)
{
    FILE *f = fopen("/proc/swaps", "re");
    char line[PATH_MAX + 128], path[PATH_MAX];

    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (line[0] == '/' && sscanf(line, "%4095s", path) == 1 && swapoff(path) < 0)
            log_warning_errno(errno, "shutdown: swapoff %s: %m", path);
    fclose(f);
}

/* Standard input, output and error on this root's /dev/console: descriptors inherited from the
 * old root (a console opened through its /dev) would keep its mounts busy. */
static void console_stdio(void)
{
    int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (fd < 0)
        return;
    for (int i = 0; i < 3; i++)
        (void)dup2(fd, i);
    if (fd > 2)
        close(fd);
}

bool shutdown_invoked(const char *argv0)
{
    const char *base = strrchr(argv0, '/');
    return getpid() == 1 && strcmp(base ? base + 1 : argv0, "shutdown") == 0;
}

int shutdown_main(const char *verb, const char *oldroot)
{
    bool pid1 = getpid() == 1;
    unsigned unmounted, lazy;
    int cmd = RB_POWER_OFF;

    if (pid1) {
        console_stdio();
        log_open("/dev/kmsg", "/dev/console");
        log_kmsg_ratelimit(false);
    }
    if (shutdown_verb_command(verb, &cmd) < 0) {
        log_error("shutdown: unknown verb '%s' (poweroff, reboot, halt, kexec); powering off",
                  verb ? verb : "(none)");
        verb = "poweroff";
    }
    if (pid1)
        swapoff_all();
    if (pid1)
        netroot_shutdown_prepare();
    lazy = unmount_below(oldroot, &unmounted);
    sync();
    /* Network root: the resident '@' helpers are still alive (systemd-shutdown spares them);
     * with the filesystems unmounted, the NBD devices are flushed and disconnected, then the
     * helpers stopped. */
    if (pid1)
        netroot_shutdown(lazy == 0);
    if (lazy == 0)
        log_console("shutdown: %u filesystems below %s unmounted cleanly; %s", unmounted, oldroot,
                    verb);
    else
        log_warning("shutdown: %u filesystems unmounted, %u detached lazily (see above); %s",
                    unmounted, lazy, verb);
    if (!pid1) {
        printf("test run: would %s\n", verb);
        return lazy ? 1 : 0;
    }
    log_close();
    if (cmd == RB_KEXEC)
        reboot(RB_KEXEC); /* returns only when no kernel was loaded: reboot instead */
    reboot(cmd == RB_KEXEC ? RB_AUTOBOOT : cmd);
    log_open("/dev/kmsg", "/dev/console");
    log_error_errno(errno, "shutdown: reboot(2) for %s failed: %m; halting here", verb);
    for (;;)
        pause(); /* PID 1 must not exit: that is a kernel panic */
}
