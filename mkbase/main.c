// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-mkbase: a base image from a directory tree (a debootstrap, a container export),
 * ready to share: 4 KiB blocks and a size in 2 MiB steps (what dax on a virtio-pmem device
 * needs), a label, the same bytes for the same tree, sharedroot-check-base's checks first,
 * and the image's sha256 beside it. mkfs.ext4 -d and mkfs.erofs do the writing.
 */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <mbedtls/sha256.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baseplan.h"
#include "checks.h"
#include "ext4times.h"
#include "finding.h"
#include "report.h"
#include "tree.h"

#define PROG "sharedroot-mkbase"
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EROFS_LABEL_OFFSET (1024 + 64) /* superblock at 1024, volume_name at 64 in it */

struct options {
    const char *type_name, *output, *dir, *label, *uuid, *size, *timestamp, *init;
    bool force;
};

static int err(int e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int err(int e, const char *fmt, ...)
{
    va_list ap;
    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    errno = e < 0 ? -e : e;
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return e < 0 ? e : -e;
}

static void help(void)
{
    printf("Usage: " PROG " --type ext4|erofs -o IMAGE [OPTIONS] DIR\n\n"
           "Build a sharedroot base image from the tree DIR: 4096-byte blocks and a size in\n"
           "2 MiB steps (dax on a virtio-pmem device), the same bytes for the same tree,\n"
           "sharedroot-check-base's checks first, the image's sha256 in IMAGE.sha256.\n\n"
           "  -t, --type TYPE        ext4 (mkfs.ext4 -d) or erofs (mkfs.erofs, read-only)\n"
           "  -o, --output IMAGE     the image to write; must not exist\n"
           "  -L, --label LABEL      filesystem label (root=LABEL=...), 1-16 bytes\n"
           "  -U, --uuid UUID        filesystem UUID (default: derived from the tree)\n"
           "  -s, --size SIZE        ext4 image size, K/M/G/T suffixes (default: from the tree)\n"
           "  -T, --timestamp SECS   the filesystem's time (erofs clamps newer file times to\n"
           "                         it; default: SOURCE_DATE_EPOCH, else the newest mtime)\n"
           "  -i, --init PATH        the init= program the checks look for (default /sbin/init)\n"
           "  -f, --force            build even when the checks find errors\n"
           "  -h, --help             show this help\n"
           "  -V, --version          show the version\n\n"
           "Exit status: 0 built, 1 refused or failed (nothing left behind), 2 usage error.\n"
           "See sharedroot-mkbase(8).\n");
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
    va_list ap;
    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("; try '" PROG " --help'\n", stderr);
    return EXIT_USAGE;
}

/* 0 to go on, else the exit status (-1 for --help/--version: exit 0). */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"type", required_argument, NULL, 't'},
        {"output", required_argument, NULL, 'o'},
        {"label", required_argument, NULL, 'L'},
        {"uuid", required_argument, NULL, 'U'},
        {"size", required_argument, NULL, 's'},
        {"timestamp", required_argument, NULL, 'T'},
        {"force", no_argument, NULL, 'f'},
        {"init", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "t:o:L:U:s:T:fi:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            o->type_name = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'L':
            o->label = optarg;
            break;
        case 'U':
            o->uuid = optarg;
            break;
        case 's':
            o->size = optarg;
            break;
        case 'T':
            o->timestamp = optarg;
            break;
        case 'f':
            o->force = true;
            break;
        case 'i':
            o->init = optarg;
            break;
        case 'h':
            help();
            return -1;
        case 'V':
            printf(PROG " " SHAREDROOT_VERSION "\n");
            return -1;
        default:
            return usage("%s", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return usage("%s", "expected one DIR");
    o->dir = argv[optind];
    if (!o->type_name)
        return usage("%s", "--type ext4 or --type erofs is required");
    if (!o->output || !*o->output)
        return usage("%s", "-o IMAGE is required");
    return 0;
}

/* The values of the options, checked; 0 or an exit status. */
static int check_values(const struct options *o, struct plan *p, uint64_t *size, bool *has_ts)
{
    const char *why = NULL;

    if (plan_parse_type(o->type_name, &p->type) < 0)
        return usage("--type %s: use ext4 or erofs", o->type_name);
    if (o->label && plan_check_label(o->label, &why) < 0)
        return usage("--label: %s", why);
    p->label = o->label;
    if (o->uuid && plan_parse_uuid(o->uuid, p->uuid) < 0)
        return usage("--uuid %s: expected 8-4-4-4-12 hex digits", o->uuid);
    if (o->size && p->type != BASE_EXT4)
        return usage("%s", "--size is for ext4; an erofs image is as large as its contents");
    if (o->size && plan_parse_size(o->size, size) < 0)
        return usage("--size %s: a number of bytes with K, M, G or T, from 8M to 16T", o->size);
    const char *ts = o->timestamp ? o->timestamp : getenv("SOURCE_DATE_EPOCH");
    *has_ts = ts && *ts;
    if (*has_ts) {
        char *end;
        errno = 0;
        long long v = strtoll(ts, &end, 10);
        if (errno || *end || v < 0 || v > INT32_MAX * 4LL)
            return usage("%s%s: seconds since 1970",
                         o->timestamp ? "--timestamp " : "SOURCE_DATE_EPOCH=", ts);
        p->timestamp = v;
    }
    return 0;
}

/* Refusals about the paths: a real tree, not /, an output that does not exist yet and is
 * not inside the tree. */
static int check_paths(const struct options *o, char *dir_real, char *out_dir_real)
{
    struct stat st;
    char parent[PATH_MAX];

    if (stat(o->dir, &st) < 0)
        return err(errno, "%s: %m; give the directory holding the tree", o->dir);
    if (!S_ISDIR(st.st_mode))
        return err(ENOTDIR,
                   "%s is not a directory; give the unpacked tree (for an image, "
                   "use sharedroot-check-base on it)",
                   o->dir);
    if (!realpath(o->dir, dir_real))
        return err(errno, "%s: %m", o->dir);
    if (strcmp(dir_real, "/") == 0)
        return err(EINVAL, "refusing to build a base from / (it would copy /proc, /sys and "
                           "every mount of this system); give an unpacked tree");
    if (lstat(o->output, &st) == 0)
        return err(EEXIST,
                   "%s exists; " PROG " never overwrites: remove it or choose another "
                   "name",
                   o->output);
    if (errno != ENOENT)
        return err(errno, "%s: %m", o->output);
    snprintf(parent, sizeof parent, "%s", o->output);
    if (!realpath(dirname(parent), out_dir_real))
        return err(errno, "the directory of %s: %m", o->output);
    size_t n = strlen(dir_real);
    if (strncmp(out_dir_real, dir_real, n) == 0 &&
        (out_dir_real[n] == '\0' || out_dir_real[n] == '/'))
        return err(EINVAL,
                   "%s is inside the tree %s: the image would be part of itself; "
                   "write it elsewhere",
                   o->output, o->dir);
    return 0;
}

static int walk(const char *dir, struct tree_stats *st)
{
    char bad[PATH_MAX];
    int r = tree_walk(dir, st, bad, sizeof bad);

    if (r == -EXDEV)
        return err(r,
                   "%s/%s is a mount point (a chroot's /proc, /sys or /dev still mounted?): "
                   "mkfs would copy what is mounted there; unmount it first",
                   dir, bad);
    if (r == -ELOOP)
        return err(r, "%s/%s: deeper than %d directories; is it a loop of bind mounts?", dir, bad,
                   TREE_MAX_DEPTH);
    if (r < 0)
        return err(r, "Cannot read %s/%s: %m", dir, bad);
    if (st->files + st->symlinks + st->dirs + st->others <= 1)
        return err(ENOENT, "%s is empty; give the tree of an operating system", dir);
    return 0;
}

/* sharedroot-check-base's checks on the tree; its report on stderr when it finds anything. */
static int check_base(const char *dir, const char *init, bool force)
{
    struct findings found = {0};
    struct actions none = {0};
    struct notes notes = {0};
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return err(errno, "Cannot open %s: %m", dir);
    struct check_ctx ctx = {.rootfd = fd,
                            .init_path = init ? init : "/sbin/init",
                            .xfs_log_dirty = -1,
                            .target = dir,
                            .out = &found};
    int r = checks_run(&ctx);
    size_t errors = findings_count_errors(&found);
    if (found.n) {
        struct report rep = {.target = dir,
                             .kind = "directory",
                             .findings = &found,
                             .actions = &none,
                             .notes = &notes};
        report_text(stderr, &rep);
    }
    if (r < 0)
        r = err(r, "sharedroot-check-base could not check %s (above)%s", dir,
                force ? "; building anyway (--force)" : "; --force builds anyway");
    else if (errors)
        r = err(EINVAL,
                "sharedroot-check-base found %zu error%s in %s (above): every guest "
                "would inherit %s. Fix %s (sharedroot-check-base --fix %s), or build "
                "anyway with --force",
                errors, errors == 1 ? "" : "s", dir, errors == 1 ? "it" : "them",
                errors == 1 ? "it" : "them", dir);
    findings_done(&found);
    notes_done(&notes);
    close(fd);
    return force ? 0 : r;
}

static int run_mkfs(const struct plan *p)
{
    const char *argv[40], *env[4];
    char buf[1024];
    int status;
    pid_t pid;

    if (plan_mkfs_argv(p, argv, 40, env, buf, sizeof buf) < 0)
        return err(ENOSPC, "the mkfs command line is too long");
    pid = fork();
    if (pid < 0)
        return err(errno, "fork: %m");
    if (pid == 0) {
        for (size_t i = 0; env[i]; i++)
            putenv((char *)env[i]);
        /* mkfs talks on stderr; its stdout ("Creating regular file") is noise here */
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0)
            dup2(null, STDOUT_FILENO);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, PROG ": %s: %s; install %s\n", argv[0], strerror(errno),
                p->type == BASE_EXT4 ? "e2fsprogs" : "erofs-utils");
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return err(errno, "waitpid: %m");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return -ENOENT;
    return err(EIO, "%s failed (%s %d) building the image from %s%s", argv[0],
               WIFEXITED(status) ? "status" : "signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), p->dir,
               p->type == BASE_EXT4 ? "; if it ran out of space, give a larger --size" : "");
}

/* mkfs.erofs 1.5 has no -L: write volume_name (the image was made without a superblock
 * checksum for this), then pad to the 2 MiB a pmem device is mapped in. */
static int finish_image(const struct plan *p, int fd, uint64_t *size)
{
    struct stat st;

    if (p->type == BASE_EXT4) {
        const char *what = "";
        int r = ext4_settle_times(p->output, p->timestamp, &what);
        if (r < 0)
            return err(r, "Cannot settle the inode times of %s (%s): %m", p->output, what);
        /* last write: the superblock's write state, sealed with the UUID it seals */
        r = p->uuid_derived ? ext4_seal_write_state(p->output, &what) : 0;
        if (r < 0)
            return err(r, "Cannot seal the write state of %s (%s): %m", p->output, what);
    }
    if (p->type == BASE_EROFS && p->label) {
        char name[MKBASE_LABEL_MAX] = {0};
        memcpy(name, p->label, strlen(p->label));
        if (pwrite(fd, name, sizeof name, EROFS_LABEL_OFFSET) != (ssize_t)sizeof name)
            return err(errno ? errno : EIO, "Cannot write the label into %s: %m", p->output);
    }
    if (fstat(fd, &st) < 0)
        return err(errno, "%s: %m", p->output);
    *size = plan_align((uint64_t)st.st_size);
    if ((uint64_t)st.st_size != *size && ftruncate(fd, (off_t)*size) < 0)
        return err(errno, "Cannot pad %s to %" PRIu64 " bytes: %m", p->output, *size);
    if (fsync(fd) < 0)
        return err(errno, "fsync %s: %m", p->output);
    return 0;
}

/* What libblkid sees must be what was asked for: the type, the UUID and the label. */
static int verify_image(const struct plan *p)
{
    static const char *const types[] = {[BASE_EXT4] = "ext4", [BASE_EROFS] = "erofs"};
    const char *want[3] = {types[p->type], p->uuid, p->label ? p->label : ""};
    const char *tags[3] = {"TYPE", "UUID", "LABEL"};
    blkid_probe pr = blkid_new_probe_from_filename(p->output);
    int r = 0;

    if (!pr)
        return err(EIO, "Cannot probe %s with libblkid", p->output);
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr,
                                      BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID | BLKID_SUBLKS_LABEL);
    if (blkid_do_safeprobe(pr) != 0)
        r = err(EIO, "libblkid finds no single filesystem in %s", p->output);
    for (int i = 0; r == 0 && i < 3; i++) {
        const char *v = NULL;
        if (blkid_probe_lookup_value(pr, tags[i], &v, NULL) < 0)
            v = "";
        if (strcmp(v, want[i]) != 0)
            r = err(EIO, "%s of %s is '%s', expected '%s'", tags[i], p->output, v, want[i]);
    }
    blkid_free_probe(pr);
    return r;
}

/* SHA-256 of everything in fd, from its start. */
static int hash_fd(int fd, unsigned char sum[32])
{
    mbedtls_sha256_context c;
    unsigned char buf[65536];
    ssize_t n = 0;
    int r = 0;

    errno = 0;
    if (lseek(fd, 0, SEEK_SET) < 0)
        return -errno;
    mbedtls_sha256_init(&c);
    if (mbedtls_sha256_starts_ret(&c, 0))
        r = -EIO;
    while (r == 0 && (n = read(fd, buf, sizeof buf)) > 0)
        if (mbedtls_sha256_update_ret(&c, buf, (size_t)n))
            r = -EIO;
    if (r == 0 && n < 0)
        r = -errno;
    if (r == 0 && mbedtls_sha256_finish_ret(&c, sum))
        r = -EIO;
    mbedtls_sha256_free(&c);
    return r;
}

/* IMAGE.sha256 in sha256sum(1)'s format, replaced atomically. */
static int write_sha256(const char *image, int fd, char hex[65])
{
    unsigned char sum[32];
    char path[PATH_MAX], tmp[PATH_MAX + 16], copy[PATH_MAX];
    FILE *f;

    if (hash_fd(fd, sum) < 0)
        return err(errno ? errno : EIO, "Cannot hash %s: %m", image);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sum[i]);
    if ((size_t)snprintf(path, sizeof path, "%s.sha256", image) >= sizeof path)
        return err(ENAMETOOLONG, "%s.sha256: name too long", image);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(copy, sizeof copy, "%s", image);
    f = fopen(tmp, "wx");
    if (!f)
        return err(errno, "Cannot create %s: %m", tmp);
    fprintf(f, "%s  %s\n", hex, basename(copy));
    if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
        fclose(f);
        unlink(tmp);
        return err(errno, "Cannot write %s: %m", tmp);
    }
    fclose(f);
    if (rename(tmp, path) < 0) {
        unlink(tmp);
        return err(errno, "Cannot rename %s to %s: %m", tmp, path);
    }
    return 0;
}

/* Build into a temporary file beside IMAGE, then rename: never a half image under its name. */
static int build(struct plan *p, const char *image, const char *out_dir, uint64_t *size,
                 char hex[65])
{
    char tmp[PATH_MAX];
    int fd, r;

    if ((size_t)snprintf(tmp, sizeof tmp, "%s/.mkbase-XXXXXX", out_dir) >= sizeof tmp)
        return err(ENAMETOOLONG, "%s: name too long", out_dir);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return err(errno, "Cannot create a file in %s: %m", out_dir);
    p->output = tmp;
    /* mkstemp makes it 0600; an image is as readable as any new file (umask) */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) < 0) {
        r = err(errno, "chmod %s: %m", tmp);
        close(fd);
        unlink(tmp);
        return r;
    }
    r = run_mkfs(p);
    if (r == 0) {
        /* mkfs wrote a new file at that name: open what it wrote */
        close(fd);
        fd = open(tmp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            r = err(errno, "%s: %m", tmp);
    }
    if (r == 0)
        r = finish_image(p, fd, size);
    if (r == 0)
        r = verify_image(p);
    if (r == 0)
        r = write_sha256(image, fd, hex);
    if (r == 0 && rename(tmp, image) < 0)
        r = err(errno, "Cannot rename %s to %s: %m", tmp, image);
    if (fd >= 0)
        close(fd);
    if (r < 0) {
        unlink(tmp);
        char sums[PATH_MAX + 8];
        snprintf(sums, sizeof sums, "%s.sha256", image);
        if (access(image, F_OK) != 0)
            unlink(sums);
    }
    p->output = image;
    return r;
}

int main(int argc, char **argv)
{
    struct options o = {0};
    struct plan p = {0};
    struct tree_stats st;
    char dir_real[PATH_MAX], out_dir[PATH_MAX], hex[65];
    uint64_t size = 0, final_size = 0;
    bool has_ts = false;
    int r;

    r = parse_options(argc, argv, &o);
    if (r)
        return r < 0 ? EXIT_SUCCESS : r;
    r = check_values(&o, &p, &size, &has_ts);
    if (r)
        return r;
    if (check_paths(&o, dir_real, out_dir) < 0 || walk(dir_real, &st) < 0 ||
        check_base(o.dir, o.init, o.force) < 0)
        return EXIT_FAIL;
    p.dir = dir_real;
    if (!o.uuid) {
        plan_uuid_from(&st, p.type, p.label, p.uuid);
        p.uuid_derived = true;
    }
    if (!has_ts)
        p.timestamp = st.newest_mtime;
    p.inodes = plan_ext4_inodes(&st);
    p.size = size ? size : plan_ext4_size(&st);
    if (build(&p, o.output, out_dir, &final_size, hex) < 0)
        return EXIT_FAIL;
    printf("%s: %s, %" PRIu64 " MiB, UUID=%s%s%s, sha256 %s (in %s.sha256)\n", o.output,
           o.type_name, final_size >> 20, p.uuid, p.label ? ", LABEL=" : "", p.label ? p.label : "",
           hex, o.output);
    return EXIT_SUCCESS;
}
