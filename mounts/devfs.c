// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A tmpfs /dev filled from sysfs. Every path below devdir is walked one component at a time
 * with O_NOFOLLOW from an fd of devdir, so a DEVNAME or a planted symlink can never make us
 * create or replace anything outside it.
 */
#include "devfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"

#define GID_TTY 5
#define GID_DISK 6

bool devfs_filesystems_list(const char *text, const char *fstype)
{
    size_t n = strlen(fstype);

    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *tab = memchr(line, '\t', len);
        if (tab) {
            const char *name = tab + 1;
            size_t nlen = len - (size_t)(name - line);
            if (nlen == n && memcmp(name, fstype, n) == 0)
                return true;
        }
        line = end ? end + 1 : NULL;
    }
    return false;
}

bool devfs_have_devtmpfs(void)
{
    char buf[8192];
    ssize_t got;
    size_t len = 0;
    _cleanup_close_ int fd = open("/proc/filesystems", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return false;
    while (len < sizeof(buf) - 1 && (got = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)got;
    buf[len] = '\0';
    return devfs_filesystems_list(buf, "devtmpfs");
}

/* Modes of well-known char devices; the rest comes from DEVMODE= or defaults. */
static const struct {
    const char *name;
    bool prefix;
    mode_t mode;
    gid_t gid;
} char_modes[] = {
    {"null", false, 0666, 0},       {"zero", false, 0666, 0},    {"full", false, 0666, 0},
    {"random", false, 0666, 0},     {"urandom", false, 0666, 0}, {"tty", false, 0666, GID_TTY},
    {"ptmx", false, 0666, GID_TTY}, {"console", false, 0600, 0}, {"kmsg", false, 0644, 0},
    {"tty", true, 0620, GID_TTY},
};

static bool char_mode_of(const char *name, mode_t *mode, gid_t *gid)
{
    for (size_t i = 0; i < sizeof(char_modes) / sizeof(char_modes[0]); i++) {
        size_t n = strlen(char_modes[i].name);
        if (char_modes[i].prefix ? strncmp(name, char_modes[i].name, n) == 0
                                 : strcmp(name, char_modes[i].name) == 0) {
            *mode = char_modes[i].mode;
            *gid = char_modes[i].gid;
            return true;
        }
    }
    return false;
}

enum node_result { NODE_CREATED, NODE_REPLACED, NODE_EXISTING, NODE_SKIPPED };

/* Make leaf in dir_fd a node of type (S_IFCHR/S_IFBLK) rdev with perm and gid. On error a
 * negative errno and the failing step in *step. */
static int make_node(int dir_fd, const char *leaf, mode_t type, dev_t rdev, mode_t perm, gid_t gid,
                     const char **step)
{
    struct stat st;
    int res = NODE_CREATED;

    if (fstatat(dir_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(st.st_mode))
            return NODE_SKIPPED;
        if ((st.st_mode & S_IFMT) == type && st.st_rdev == rdev)
            return NODE_EXISTING;
        if (unlinkat(dir_fd, leaf, 0) < 0) {
            *step = "unlink the wrong node";
            return -errno;
        }
        res = NODE_REPLACED;
    } else if (errno != ENOENT) {
        *step = "stat";
        return -errno;
    }
    if (mknodat(dir_fd, leaf, type | perm, rdev) < 0) {
        *step = "mknod";
        return -errno;
    }
    if (fchownat(dir_fd, leaf, 0, gid, AT_SYMLINK_NOFOLLOW) < 0) {
        *step = "chown";
        return -errno;
    }
    /* mknod applied the umask; fchmodat cannot meet a symlink here: we just made the node
     * in a directory nobody else writes to during early boot. */
    if (fchmodat(dir_fd, leaf, perm, 0) < 0) {
        *step = "chmod";
        return -errno;
    }
    return res;
}

/* The minimal /dev: what a console, a shell and the real init's first seconds need. */
static const struct {
    const char *name;
    mode_t type; /* S_IFCHR, S_IFDIR or S_IFLNK */
    unsigned int major, minor;
    mode_t mode;
    gid_t gid;
    const char *link;
} minimal[] = {
    {"console", S_IFCHR, 5, 1, 0600, 0, NULL},
    {"null", S_IFCHR, 1, 3, 0666, 0, NULL},
    {"zero", S_IFCHR, 1, 5, 0666, 0, NULL},
    {"full", S_IFCHR, 1, 7, 0666, 0, NULL},
    {"random", S_IFCHR, 1, 8, 0666, 0, NULL},
    {"urandom", S_IFCHR, 1, 9, 0666, 0, NULL},
    {"kmsg", S_IFCHR, 1, 11, 0644, 0, NULL},
    {"tty", S_IFCHR, 5, 0, 0666, GID_TTY, NULL},
    {"ptmx", S_IFCHR, 5, 2, 0666, GID_TTY, NULL},
    {"pts", S_IFDIR, 0, 0, 0755, 0, NULL},
    {"shm", S_IFDIR, 0, 0, 01777, 0, NULL},
    {"fd", S_IFLNK, 0, 0, 0, 0, "/proc/self/fd"},
    {"stdin", S_IFLNK, 0, 0, 0, 0, "/proc/self/fd/0"},
    {"stdout", S_IFLNK, 0, 0, 0, 0, "/proc/self/fd/1"},
    {"stderr", S_IFLNK, 0, 0, 0, 0, "/proc/self/fd/2"},
};

static int make_minimal(int dir_fd, size_t i, const char **step)
{
    int r;

    switch (minimal[i].type) {
    case S_IFCHR:
        r = make_node(dir_fd, minimal[i].name, S_IFCHR, makedev(minimal[i].major, minimal[i].minor),
                      minimal[i].mode, minimal[i].gid, step);
        return r < 0 ? r : 0;
    case S_IFDIR:
        if (mkdirat(dir_fd, minimal[i].name, minimal[i].mode) < 0 && errno != EEXIST) {
            *step = "mkdir";
            return -errno;
        }
        if (fchmodat(dir_fd, minimal[i].name, minimal[i].mode, 0) < 0) {
            *step = "chmod";
            return -errno;
        }
        return 0;
    default:
        if (symlinkat(minimal[i].link, dir_fd, minimal[i].name) < 0 && errno != EEXIST) {
            *step = "symlink";
            return -errno;
        }
        return 0;
    }
}

static void set_why(char *why, size_t n, const char *fmt_name, const char *step, int r)
{
    if (why && n)
        snprintf(why, n, "%s%s%s: %s", step, fmt_name ? " " : "", fmt_name ? fmt_name : "",
                 strerror(-r));
}

/* The minimal nodes in the freshly mounted tmpfs at target. */
static int fill_minimal(const char *target, char *why, size_t n, const char **step)
{
    _cleanup_close_ int fd = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int r;

    if (fd < 0) {
        r = -errno;
        set_why(why, n, NULL, "open the new tmpfs", r);
        return r;
    }
    for (size_t i = 0; i < sizeof(minimal) / sizeof(minimal[0]); i++) {
        r = make_minimal(fd, i, step);
        if (r < 0) {
            set_why(why, n, minimal[i].name, *step, r);
            return r;
        }
    }
    return 0;
}

int devfs_mount_tmpfs_full(const char *target, char *why, size_t n)
{
    const char *step = NULL;
    int r;

    if (why && n)
        why[0] = '\0';
    if (mount("tmpfs", target, "tmpfs", MS_NOSUID, "mode=0755") < 0) {
        r = -errno;
        set_why(why, n, NULL, "mount tmpfs", r);
        return r;
    }
    r = fill_minimal(target, why, n, &step);
    if (r < 0)
        umount2(target, MNT_DETACH);
    return r;
}

int devfs_mount_tmpfs(const char *target)
{
    return devfs_mount_tmpfs_full(target, NULL, 0);
}

bool devfs_devname_valid(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 255 || name[0] == '/' || name[len - 1] == '/')
        return false;
    for (const char *c = name; *c;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c += n + (slash ? 1 : 0);
    }
    for (const char *c = name; *c; c++)
        if (iscntrl((unsigned char)*c))
            return false;
    return true;
}

struct uevent {
    unsigned int major, minor;
    bool has_major, has_minor, has_mode;
    mode_t mode;
    char devname[256];
};

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

static void parse_uevent(char *text, struct uevent *u)
{
    unsigned long v;
    char *save = NULL;

    memset(u, 0, sizeof(*u));
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "MAJOR=", 6) == 0 && parse_uint(line + 6, 0xfff, &v)) {
            u->major = (unsigned int)v;
            u->has_major = true;
        } else if (strncmp(line, "MINOR=", 6) == 0 && parse_uint(line + 6, 0xfffff, &v)) {
            u->minor = (unsigned int)v;
            u->has_minor = true;
        } else if (strncmp(line, "DEVNAME=", 8) == 0) {
            snprintf(u->devname, sizeof(u->devname), "%s", line + 8);
        } else if (strncmp(line, "DEVMODE=", 8) == 0) {
            errno = 0;
            char *end;
            v = strtoul(line + 8, &end, 8);
            if (!errno && !*end && end != line + 8 && v <= 0777) {
                u->mode = (mode_t)v;
                u->has_mode = true;
            }
        }
    }
}

/* "MAJOR:MINOR" as sysfs names the links in /sys/dev/{block,char}. */
static bool parse_devnum(const char *s, unsigned int *major, unsigned int *minor)
{
    char buf[32];
    unsigned long a, b;
    const char *colon = strchr(s, ':');

    if (!colon || (size_t)(colon - s) >= sizeof(buf))
        return false;
    memcpy(buf, s, (size_t)(colon - s));
    buf[colon - s] = '\0';
    if (!parse_uint(buf, 0xfff, &a) || !parse_uint(colon + 1, 0xfffff, &b))
        return false;
    *major = (unsigned int)a;
    *minor = (unsigned int)b;
    return true;
}

static int read_small(int dir_fd, const char *path, char *buf, size_t n)
{
    size_t len = 0;
    ssize_t got;
    _cleanup_close_ int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    while (len < n - 1 && (got = read(fd, buf + len, n - 1 - len)) > 0)
        len += (size_t)got;
    buf[len] = '\0';
    return 0;
}

static void note_failure(struct devfs_sync_stats *s, const char *name, const char *step, int r)
{
    if (s->failed++ == 0)
        snprintf(s->first_failure, sizeof(s->first_failure), "%.200s: %s: %s", name, step,
                 strerror(-r));
}

/* Open (creating with 0755) each parent directory of name below devdir_fd; the last
 * component is left in *leaf. -ELOOP/-ENOTDIR when a component is not a real directory. */
static int open_parent(int devdir_fd, char *name, char **leaf, const char **step)
{
    _cleanup_close_ int fd = dup(devdir_fd);
    char *c = name;

    if (fd < 0) {
        *step = "dup";
        return -errno;
    }
    for (char *slash; (slash = strchr(c, '/')); c = slash + 1) {
        *slash = '\0';
        bool made = mkdirat(fd, c, 0755) == 0;
        if (!made && errno != EEXIST) {
            *step = "mkdir";
            return -errno;
        }
        _cleanup_close_ int sub = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r = sub < 0 ? -errno : 0;
        if (made && sub >= 0 && fchmod(sub, 0755) < 0)
            r = -errno;
        *slash = '/';
        if (r < 0) {
            *step = "open the directory";
            return r;
        }
        close(fd);
        fd = take_fd(&sub);
    }
    *leaf = c;
    return take_fd(&fd);
}

static void sync_one(int devdir_fd, int kind_fd, const char *entry, bool block,
                     struct devfs_sync_stats *s)
{
    char text[4096], uevent_path[300], name[256];
    const char *step = "read uevent";
    struct uevent u;
    unsigned int major, minor;
    mode_t mode;
    gid_t gid;
    char *leaf = NULL;

    if (!parse_devnum(entry, &major, &minor))
        return; /* not a device link */
    snprintf(uevent_path, sizeof(uevent_path), "%s/uevent", entry);
    if (read_small(kind_fd, uevent_path, text, sizeof(text)) < 0) {
        s->skipped++; /* gone meanwhile */
        return;
    }
    parse_uevent(text, &u);
    if (!devfs_devname_valid(u.devname) || !u.has_major || !u.has_minor || u.major != major ||
        u.minor != minor) {
        s->skipped++;
        return;
    }
    if (block) {
        mode = 0660;
        gid = GID_DISK;
    } else if (!char_mode_of(u.devname, &mode, &gid)) {
        mode = u.has_mode ? u.mode : 0600;
        gid = 0;
    }
    snprintf(name, sizeof(name), "%s", u.devname);
    _cleanup_close_ int dir_fd = open_parent(devdir_fd, name, &leaf, &step);
    if (dir_fd == -ELOOP || dir_fd == -ENOTDIR) {
        s->skipped++;
        return;
    }
    if (dir_fd < 0) {
        note_failure(s, u.devname, step, dir_fd);
        return;
    }
    int r =
        make_node(dir_fd, leaf, block ? S_IFBLK : S_IFCHR, makedev(major, minor), mode, gid, &step);
    if (r < 0)
        note_failure(s, u.devname, step, r);
    else if (r == NODE_SKIPPED)
        s->skipped++;
    else if (r == NODE_EXISTING)
        s->existing++;
    else {
        s->created++;
        if (r == NODE_REPLACED)
            s->replaced++;
    }
}

static int sync_kind(int devdir_fd, const char *sysdir, bool block, struct devfs_sync_stats *s)
{
    char path[4096];
    struct dirent *e;

    snprintf(path, sizeof(path), "%s/dev/%s", sysdir, block ? "block" : "char");
    _cleanup_closedir_ DIR *d = opendir(path);
    if (!d)
        return -errno;
    while ((e = readdir(d)))
        sync_one(devdir_fd, dirfd(d), e->d_name, block, s);
    return 0;
}

int devfs_sync_full(const char *devdir, const char *sysdir, struct devfs_sync_stats *stats)
{
    struct devfs_sync_stats local;
    struct devfs_sync_stats *s = stats ? stats : &local;
    int rb, rc;

    memset(s, 0, sizeof(*s));
    _cleanup_close_ int fd = open(devdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    rb = sync_kind(fd, sysdir, true, s);
    rc = sync_kind(fd, sysdir, false, s);
    if (rb < 0 && rc < 0)
        return rb;
    return s->created;
}

int devfs_sync(const char *devdir, const char *sysdir)
{
    return devfs_sync_full(devdir, sysdir, NULL);
}
