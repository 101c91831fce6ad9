/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sharedroot-mkinitramfs: builds the initramfs of sharedroot: /init (sharedroot-init), its
 * libraries, the emergency shell and the kernel modules to find and mount a root on
 * paravirtual hardware, as a reproducible cpio archive.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "busybox.h"
#include "cpioimage.h"
#include "cpiolist.h"
#include "depmod.h"
#include "dhcp.h"
#include "elfdeps.h"
#include "hookset.h"
#include "kmodset.h"
#include "ldso.h"
#include "leftovers.h"
#include "log.h"
#include "mkutil.h"
#include "modplan-write.h"
#include "modplan.h"
#include "plan.h"

#ifndef SBINDIR
#define SBINDIR "/usr/sbin"
#endif

#define EXIT_USAGE 2
#define INIT_NAME "sharedroot-init"
#define NBD_HELPER_NAME "sharedroot-nbd"
#ifndef NBD_HELPER_DIR
#define NBD_HELPER_DIR "/usr/libexec/sharedroot"
#endif

/* What the root may need on Xen and KVM: bus and disk drivers, overlayfs and loop;
 * virtio_pmem and nd_pmem for a base shared in host memory (a virtio-pmem device, mounted
 * with dax). */
static const char *const default_modules[] = {
    "virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod",      "xen-blkfront",
    "nvme",       "overlay",    "loop",        "virtio_pmem", "nd_pmem",
};

/* The filesystems of the base and the instance disks when --fs does not say: what
 * sharedroot-mkbase makes (ext4, erofs) and squashfs. xfs is not among them: its module is
 * 4.1 MB, twice all the other modules together, and only a base or instance disk made
 * as xfs needs it (--fs ext4,erofs,squashfs,xfs). */
static const char *const default_filesystems[] = {"ext4", "erofs", "squashfs"};

/* Filesystems --list names when they were left out, with how to add them. */
static const char *const known_filesystems[] = {"ext4", "xfs", "erofs", "squashfs", "btrfs"};

/* --network: the NBD driver and the network cards of Xen and KVM guests (and the emulated
 * ones when the kernel has them), found at boot by modalias like the disks. Others: -M. */
static const char *const network_modules[] = {
    "nbd", "virtio_net", "xen-netfront", "e1000", "e1000e", "8139cp", "vmxnet3",
};

/* Directories every boot uses, with their modes. */
static const struct {
    const char *path;
    mode_t mode;
} base_dirs[] = {
    {"/bin", 0755},  {"/dev", 0755},     {"/etc", 0755},  {"/lib", 0755},
    {"/proc", 0755}, {"/root", 0700},    {"/run", 0755},  {"/sbin", 0755},
    {"/sys", 0755},  {"/sysroot", 0755}, {"/tmp", 01777},
};

/* Built by tools/build-deps (util-linux's mkswap without SELinux, whose libselinux and
 * libpcre2 the host's mkswap would bring): preferred when present (-Dstatic_deps). */
#ifndef BUILT_MKSWAP
#define BUILT_MKSWAP NULL
#endif

/* Programs the init runs when they are there (instance stage: e2fsck -p, mkswap), added
 * with their ELF closure when the build host has them: a build's own first ("built": util-linux's
 * mkswap from tools/build-deps, without SELinux), then the statically linked build
 * (Debian's e2fsck-static: under TCG the dynamic e2fsck spends several times as long in the
 * loader as in checking a clean instance filesystem, docs/performance.md), else the first
 * source found. A --binary at the same path replaces the default. */
static const struct {
    const char *dest, *built, *static_source, *sources[2], *links[3], *package, *static_package;
} default_binaries[] = {
    {"/sbin/e2fsck",
     NULL,
     "/sbin/e2fsck.static",
     {"/sbin/e2fsck", "/usr/sbin/e2fsck"},
     {"fsck.ext4", "fsck.ext3", "fsck.ext2"},
     "e2fsprogs",
     "e2fsck-static"},
    {"/sbin/mkswap",
     BUILT_MKSWAP,
     NULL,
     {"/sbin/mkswap", "/usr/sbin/mkswap"},
     {NULL},
     "util-linux",
     NULL},
};

struct options {
    const char *output, *kver, *moddir, *init, *shell, *hooks_dir, *cpio_list;
    struct strv modules, binaries, filesystems;
    struct hookset hooks; /* --hook, checked while parsing: a bad one is a usage error */
    enum compression compress;
    bool no_shell, list, quiet, shipped_hooks, with_merge, network;
};

/* Everything one run builds up; released by ctx_done. */
struct ctx {
    struct options o;
    char *kver, *moddir, *init;
    struct ldso ldso;
    struct kmodset mods;
    struct plan plan;
    char *staging;
    int staging_lock;     /* holds the flock that tells other runs it is not a leftover */
    struct strv left_out; /* --list: what is not in the image, and how to add it */
};

/* A "left-out" line of --list: what is not in the image, why, and how to add it. */
static int left_out(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int left_out(struct ctx *c, const char *fmt, ...)
{
    _cleanup_free_ char *line = NULL;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (r < 0) {
        line = NULL;
        return -ENOMEM;
    }
    return strv_push(&c->left_out, line) < 0 ? -ENOMEM : 0;
}

static void help(void)
{
    printf(
        "Usage: " PROGRAM_NAME " -o FILE [OPTIONS]\n"
        "       " PROGRAM_NAME " --list [OPTIONS]\n\n"
        "Build the sharedroot initramfs: /init, its libraries, an emergency shell and the\n"
        "kernel modules to find and mount a root on paravirtual hardware.\n\n"
        "  -o, --output FILE        write the initramfs to FILE\n"
        "  -k, --kver VERSION       kernel version (default: uname -r, or the name of --moddir)\n"
        "  -m, --moddir DIR         module directory (default: /lib/modules/VERSION)\n"
        "  -M, --modules LIST       more modules, comma separated (repeatable)\n"
        "  -f, --fs LIST            filesystems of the base and instance disks, comma\n"
        "                           separated (repeatable; default ext4,erofs,squashfs)\n"
        "  -i, --init PATH          the init binary (default: the " INIT_NAME " beside this)\n"
        "  -c, --compress ALG       zstd (default), gzip or none\n"
        "  -s, --shell PATH         emergency shell (default: /usr/bin/busybox, /bin/busybox)\n"
        "  -n, --no-shell           no emergency shell\n"
        "  -H, --hook STAGE:PATH    add PATH as a hook run after STAGE (repeatable)\n"
        "      --hooks-dir DIR      hooks config dir (default: " HOOKSET_CONFIG_DIR ")\n"
        "      --shipped-hooks      add the example hooks sharedroot ships\n"
        "  -b, --binary PATH        add a program with its libraries (repeatable)\n"
        "      --network            for a network root (ip=, root=nbd:): NIC drivers, nbd,\n"
        "                           busybox's udhcpc (also with --no-shell)\n"
        "      --with-merge         add libgit2 for line merges at boot\n"
        "                           (sharedroot.reconcile=merge)\n"
        "      --kernel-cpio-list FILE  also write the image as a gen_init_cpio list\n"
        "                           (CONFIG_INITRAMFS_SOURCE); files it needs go to FILE.files/\n"
        "  -l, --list               print what would go in and why; write nothing\n"
        "  -q, --quiet              no notes about default modules this kernel lacks\n"
        "  -h, --help               show this help\n"
        "  -V, --version            show the version\n\n"
        "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, PROGRAM_NAME ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '" PROGRAM_NAME " --help'.\n");
    return -EINVAL;
}

static int add_module_list(struct strv *mods, const char *arg)
{
    _cleanup_free_ char *copy = strdup(arg);
    char *save = NULL;

    if (!copy)
        return -ENOMEM;
    for (char *m = strtok_r(copy, ",", &save); m; m = strtok_r(NULL, ",", &save))
        if (!strv_contains(mods, m) && strv_push(mods, m) < 0)
            return -ENOMEM;
    return 0;
}

/* A filesystem type as mount(2) and the kernel's "fs-TYPE" module alias spell it. */
static bool fs_name_ok(const char *fs)
{
    size_t n = strlen(fs);

    if (n == 0 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((fs[i] >= 'a' && fs[i] <= 'z') || (fs[i] >= '0' && fs[i] <= '9') || fs[i] == '_'))
            return false;
    return true;
}

static int add_fs_list(struct strv *fss, const char *arg)
{
    _cleanup_free_ char *copy = strdup(arg);
    char *save = NULL;

    if (!copy)
        return -ENOMEM;
    if (!*arg || arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,"))
        return usage_error("--fs '%s': give filesystem types separated by commas, e.g. "
                           "--fs ext4,xfs",
                           arg);
    for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        if (!fs_name_ok(f))
            return usage_error("--fs: '%s' is not a filesystem type (lower-case letters, "
                               "digits and _, as in /proc/filesystems: ext4, xfs, erofs)",
                               f);
        if (!strv_contains(fss, f) && strv_push(fss, f) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Returns 1 to go on, 0 to exit successfully (help, version), -EINVAL for a usage error. */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"kver", required_argument, NULL, 'k'},
        {"moddir", required_argument, NULL, 'm'},
        {"modules", required_argument, NULL, 'M'},
        {"fs", required_argument, NULL, 'f'},
        {"init", required_argument, NULL, 'i'},
        {"compress", required_argument, NULL, 'c'},
        {"shell", required_argument, NULL, 's'},
        {"no-shell", no_argument, NULL, 'n'},
        {"list", no_argument, NULL, 'l'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"hook", required_argument, NULL, 'H'},
        {"hooks-dir", required_argument, NULL, 1001},
        {"shipped-hooks", no_argument, NULL, 1002},
        {"binary", required_argument, NULL, 'b'},
        {"kernel-cpio-list", required_argument, NULL, 1003},
        {"with-merge", no_argument, NULL, 1004},
        {"network", no_argument, NULL, 1005},
        {0},
    };
    int c, r;

    while ((c = getopt_long(argc, argv, "o:k:m:M:f:i:c:s:nlqhVH:b:", longopts, NULL)) >= 0) {
        switch (c) {
        case 'o':
            o->output = optarg;
            break;
        case 'k':
            o->kver = optarg;
            break;
        case 'm':
            o->moddir = optarg;
            break;
        case 'M':
            if (add_module_list(&o->modules, optarg) < 0)
                return -ENOMEM;
            break;
        case 'f':
            if ((r = add_fs_list(&o->filesystems, optarg)) < 0)
                return r;
            break;
        case 'i':
            o->init = optarg;
            break;
        case 'c':
            r = compression_from_string(optarg);
            if (r < 0)
                return usage_error("unknown compression '%s'; use zstd, gzip or none", optarg);
            o->compress = (enum compression)r;
            break;
        case 's':
            o->shell = optarg;
            break;
        case 'n':
            o->no_shell = true;
            break;
        case 'l':
            o->list = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'H':
            if ((r = hookset_add_arg(&o->hooks, optarg)) < 0)
                return r;
            break;
        case 'b':
            if (strv_push(&o->binaries, optarg) < 0)
                return -ENOMEM;
            break;
        case 1001:
            o->hooks_dir = optarg;
            break;
        case 1002:
            o->shipped_hooks = true;
            break;
        case 1003:
            o->cpio_list = optarg;
            break;
        case 1004:
            o->with_merge = true;
            break;
        case 1005:
            o->network = true;
            break;
        case 'h':
            help();
            return 0;
        case 'V':
            printf(PROGRAM_NAME " " SHAREDROOT_VERSION "\n");
            return 0;
        default:
            return usage_error("invalid option");
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (o->shell && o->no_shell)
        return usage_error("--shell and --no-shell exclude each other");
    if (!o->output && !o->list && !o->cpio_list)
        return usage_error("no output file; give one with -o FILE (or use --list or "
                           "--kernel-cpio-list FILE)");
    return 1;
}

static int resolve_kernel(struct ctx *c)
{
    struct utsname u;
    struct stat st;

    if (c->o.kver)
        c->kver = strdup(c->o.kver);
    else if (c->o.moddir) /* the directory is named for its kernel: /lib/modules/VERSION */
        c->kver = strdup(strrchr(c->o.moddir, '/') ? strrchr(c->o.moddir, '/') + 1 : c->o.moddir);
    else if (uname(&u) == 0)
        c->kver = strdup(u.release);
    else
        return mk_error(errno, "cannot get the running kernel version: %m; give --kver");
    if (!c->kver)
        return -ENOMEM;
    if (!c->kver[0] || strchr(c->kver, '/') || strcmp(c->kver, ".") == 0 ||
        strcmp(c->kver, "..") == 0)
        return mk_error(EINVAL, "'%s' is not a kernel version; give one with --kver", c->kver);
    if (c->o.moddir)
        c->moddir = strdup(c->o.moddir);
    else if (asprintf(&c->moddir, "/lib/modules/%s", c->kver) < 0)
        c->moddir = NULL;
    if (!c->moddir)
        return -ENOMEM;
    if (stat(c->moddir, &st) < 0 || !S_ISDIR(st.st_mode))
        return mk_error(ENOENT,
                        "module directory %s not found: is kernel %s installed? Give the "
                        "kernel version with --kver (or the directory with --moddir)",
                        c->moddir, c->kver);
    return 0;
}

/* The sharedroot-init of the same build tree, or the one installed beside us, or in SBINDIR. */
static int resolve_init(struct ctx *c)
{
    static const char *const rel[] = {"../init/" INIT_NAME, INIT_NAME};
    char self[PATH_MAX];
    _cleanup_free_ char *dir = NULL;

    if (c->o.init)
        return (c->init = strdup(c->o.init)) ? 0 : -ENOMEM;
    if (realpath("/proc/self/exe", self) && (dir = path_dirname(self))) {
        for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
            _cleanup_free_ char *cand = path_join(dir, rel[i]);
            if (!cand)
                return -ENOMEM;
            if (access(cand, X_OK) == 0) {
                c->init = path_normalize(cand);
                return c->init ? 0 : -ENOMEM;
            }
        }
    }
    if (access(SBINDIR "/" INIT_NAME, X_OK) == 0)
        return (c->init = strdup(SBINDIR "/" INIT_NAME)) ? 0 : -ENOMEM;
    return mk_error(ENOENT,
                    INIT_NAME " not found beside %s, in its build tree or in " SBINDIR
                              "; give the init binary with --init PATH",
                    dir ? dir : "this program");
}

static int setup_ldso(struct ctx *c)
{
    _cleanup_free_ char *triplet = elfdeps_triplet(c->init);
    int r = ldso_init(&c->ldso, "/etc/ld.so.cache", "/etc/ld.so.conf", triplet, NULL);

    return r < 0 ? mk_error(r, "cannot set up the library search: %m") : 0;
}

static int plan_skeleton(struct plan *p)
{
    int r = 0;

    for (size_t i = 0; r >= 0 && i < sizeof(base_dirs) / sizeof(base_dirs[0]); i++)
        r = plan_add_dir(p, base_dirs[i].path, base_dirs[i].mode);
    if (r >= 0)
        r = plan_add_char(p, "/dev/console", 0600, 5, 1);
    if (r >= 0)
        r = plan_add_char(p, "/dev/null", 0666, 1, 3);
    if (r >= 0)
        r = plan_add_file(p, "/etc/initrd-release", NULL, 0644, "file",
                          "marks the initramfs (systemd looks for it)");
    return r < 0 ? mk_error(r, "cannot lay out the image: %m") : 0;
}

/* A built-in module set: a module this kernel lacks is left out with a note. */
static int add_module_set(struct ctx *c, const char *const *names, size_t n, const char *reason)
{
    for (size_t i = 0; i < n; i++) {
        int r = kmodset_add(&c->mods, names[i], reason);
        if (r == -ENOENT && !c->o.quiet)
            mk_note("note: module %s not available for kernel %s, left out", names[i], c->kver);
        if (r == -ENOENT &&
            left_out(c, "left-out module %s (%s: kernel %s has no such module nor built in)",
                     names[i], reason, c->kver) < 0)
            return -ENOMEM;
        else if (r < 0 && r != -ENOENT)
            return mk_error(r, "cannot resolve module %s in %s: %m", names[i], c->moddir);
    }
    return 0;
}

/* The kernel loads a filesystem's module by the alias "fs-TYPE" (the init asks for that
 * first, then TYPE); a built-in one resolves too and needs no file. */
static int add_filesystem(struct kmodset *mods, const char *fs, const char *reason)
{
    char alias[48];
    int r;

    snprintf(alias, sizeof alias, "fs-%s", fs);
    r = kmodset_add(mods, alias, reason);
    return r == -ENOENT ? kmodset_add(mods, fs, reason) : r;
}

static int add_filesystems(struct ctx *c)
{
    bool given = c->o.filesystems.n > 0;
    size_t n =
        given ? c->o.filesystems.n : sizeof default_filesystems / sizeof default_filesystems[0];

    for (size_t i = 0; i < n; i++) {
        const char *fs = given ? c->o.filesystems.v[i] : default_filesystems[i];
        int r = add_filesystem(&c->mods, fs, given ? "filesystem, --fs" : "default filesystem");
        if (r == -ENOENT && given)
            return mk_error(r,
                            "--fs %s: kernel %s has no module fs-%s or %s and does not have it "
                            "built in (modinfo -k %s %s)",
                            fs, c->kver, fs, fs, c->kver, fs);
        if (r == -ENOENT && !c->o.quiet)
            mk_note("note: filesystem %s not available for kernel %s, left out", fs, c->kver);
        if (r == -ENOENT && left_out(c,
                                     "left-out filesystem %s (default filesystem: kernel %s has "
                                     "no module fs-%s or %s nor built in)",
                                     fs, c->kver, fs, fs) < 0)
            return -ENOMEM;
        else if (r < 0 && r != -ENOENT)
            return mk_error(r, "cannot resolve the module of filesystem %s in %s: %m", fs,
                            c->moddir);
    }
    return 0;
}

static int collect_modules(struct ctx *c)
{
    int r = kmodset_init(&c->mods, c->moddir);

    if (r < 0)
        return mk_error(r,
                        "cannot use module directory %s (modules.dep.bin: %m); run depmod %s "
                        "or give the right --kver/--moddir",
                        c->moddir, c->kver);
    r = add_module_set(c, default_modules, sizeof default_modules / sizeof default_modules[0],
                       "default");
    if (r >= 0)
        r = add_filesystems(c);
    if (r >= 0 && c->o.network)
        r = add_module_set(c, network_modules, sizeof network_modules / sizeof network_modules[0],
                           "network root");
    if (r < 0)
        return r;
    for (size_t i = 0; i < c->o.modules.n; i++) {
        r = kmodset_add(&c->mods, c->o.modules.v[i], "requested");
        if (r == -ENOENT)
            return mk_error(r,
                            "module %s not found for kernel %s in %s; check the name "
                            "(modinfo -k %s NAME)",
                            c->o.modules.v[i], c->kver, c->moddir, c->kver);
        if (r < 0)
            return mk_error(r, "cannot resolve module %s in %s: %m", c->o.modules.v[i], c->moddir);
    }
    return depmod_plan_modules(&c->plan, &c->mods, c->kver);
}

static int add_binaries(struct ctx *c)
{
    int r;

    for (size_t i = 0; i < sizeof(default_binaries) / sizeof(default_binaries[0]); i++) {
        const char *src = NULL, *stat = default_binaries[i].static_source;
        const char *built = default_binaries[i].built;
        bool given = strv_contains(&c->o.binaries, default_binaries[i].dest);

        if (!given && built && access(built, X_OK) == 0)
            src = built;
        if (!given && !src && stat && access(stat, X_OK) == 0)
            src = stat;
        for (size_t j = 0; j < 2 && !src && !given; j++)
            if (default_binaries[i].sources[j] && access(default_binaries[i].sources[j], X_OK) == 0)
                src = default_binaries[i].sources[j];
        if (!src && !given) {
            if (!c->o.quiet)
                mk_note("note: %s not found on this host, left out", default_binaries[i].dest);
            r = left_out(c,
                         "left-out binary %s (run by sharedroot-init when present; not found on "
                         "this host as %s or %s: install %s and build again)",
                         default_binaries[i].dest, default_binaries[i].sources[0],
                         default_binaries[i].sources[1], default_binaries[i].package);
            if (r < 0)
                return r;
            continue;
        }
        r = 0; /* given: the --binary file is added below */
        if (src && src == built)
            r = elfdeps_add_binary(&c->plan, &c->ldso, src, default_binaries[i].dest, "binary",
                                   "run by sharedroot-init when present; built without SELinux "
                                   "by tools/build-deps");
        else if (src)
            r = elfdeps_add_binary(&c->plan, &c->ldso, src, default_binaries[i].dest, "binary",
                                   src == stat ? "run by sharedroot-init when present; "
                                                 "statically linked: no dynamic loading"
                                               : "run by sharedroot-init when present");
        if (r >= 0 && src && stat && src != stat)
            r = left_out(c,
                         "left-out %s (the statically linked %s, which starts several times "
                         "faster than %s with its libraries; the image grows by about 200 KiB: "
                         "install %s and build again)",
                         stat, default_binaries[i].dest, src, default_binaries[i].static_package);
        for (size_t j = 0; r >= 0 && j < 3 && default_binaries[i].links[j]; j++) {
            _cleanup_free_ char *link = NULL, *dir = path_dirname(default_binaries[i].dest);
            if (!dir || !(link = path_join(dir, default_binaries[i].links[j])))
                return -ENOMEM;
            r = plan_add_symlink(&c->plan, link, strrchr(default_binaries[i].dest, '/') + 1, "link",
                                 default_binaries[i].dest);
        }
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < c->o.binaries.n; i++) {
        const char *arg = c->o.binaries.v[i];
        _cleanup_free_ char *found = arg[0] == '/' ? strdup(arg) : find_program(arg);

        if (!found)
            return mk_error(ENOENT,
                            "--binary %s: not found in $PATH, /usr/sbin or /sbin; give "
                            "its absolute path",
                            arg);
        if (access(found, X_OK) < 0)
            return mk_error(errno, "--binary %s: %m", found);
        r = elfdeps_add_binary(&c->plan, &c->ldso, found, found, "binary", "--binary");
        if (r < 0)
            return r;
    }
    /* sharedroot-init loads libgit2 with dlopen only for line merges: not a DT_NEEDED. */
    if (!c->o.with_merge &&
        (r = left_out(c, "left-out libgit2 (line merges at boot, sharedroot.reconcile=merge: "
                         "give --with-merge)")) < 0)
        return r;
    if (c->o.with_merge) {
        r = elfdeps_add_library(&c->plan, &c->ldso, RC_LIBGIT2_SONAME, c->init,
                                "--with-merge (line merges at boot)");
        if (r < 0)
            return r;
    }
    return 0;
}

/* The installed shipped hooks, or the source tree's when this program runs from its build
 * tree (so tests and the QEMU suite see the hooks of the same checkout). */
static const char *shipped_hooks_dir(void)
{
    char self[PATH_MAX];
    size_t n = strlen(BUILD_ROOT);

    if (realpath("/proc/self/exe", self) && strncmp(self, BUILD_ROOT, n) == 0 && self[n] == '/')
        return SHIPPED_HOOKS_SRCDIR;
    return SHIPPED_HOOKS_DIR;
}

static int collect_hooks(struct ctx *c)
{
    const char *conf = c->o.hooks_dir ? c->o.hooks_dir : HOOKSET_CONFIG_DIR;
    _cleanup_free_ char *origin = NULL;
    int r = 0;

    if (asprintf(&origin, "config %s", conf) < 0)
        return -ENOMEM;
    r = hookset_add_dir(&c->o.hooks, conf, origin);
    /* Opt-in: every hook costs a fork and a shell on every boot. */
    if (r >= 0 && c->o.shipped_hooks)
        r = hookset_add_dir(&c->o.hooks, shipped_hooks_dir(), "shipped");
    if (r >= 0)
        r = hookset_plan(&c->o.hooks, &c->plan);
    return r;
}

/* DHCP at boot is busybox udhcpc, run as "udhcpc" from /bin/busybox, with sharedroot-init as
 * its script (net/dhcp.h). Without the emergency shell the busybox binary comes alone. */
/* The resident NBD helper of the same build tree, or the installed one. */
static char *find_nbd_helper(void)
{
    char self[PATH_MAX];
    _cleanup_free_ char *dir = NULL;

    if (realpath("/proc/self/exe", self) && (dir = path_dirname(self))) {
        _cleanup_free_ char *cand = path_join(dir, "../nbd/" NBD_HELPER_NAME);
        if (cand && access(cand, X_OK) == 0)
            return path_normalize(cand);
    }
    return access(NBD_HELPER_DIR "/" NBD_HELPER_NAME, X_OK) == 0
               ? strdup(NBD_HELPER_DIR "/" NBD_HELPER_NAME)
               : NULL;
}

static int add_network(struct ctx *c)
{
    const char *busybox = busybox_default();
    _cleanup_free_ char *helper = find_nbd_helper();
    int r = 0;

    /* the emergency shell, when it is a busybox, brought it already */
    if (!plan_find(&c->plan, "/bin/busybox")) {
        if (!busybox)
            return mk_error(ENOENT, "--network needs busybox for udhcpc (DHCP); install "
                                    "busybox-static");
        r = elfdeps_add_binary(&c->plan, &c->ldso, busybox, "/bin/busybox", "binary",
                               "udhcpc for DHCP (--network)");
    }
    if (r >= 0)
        r = plan_add_symlink(&c->plan, DHCP_SCRIPT_PATH, "/init", "link",
                             "udhcpc's script is sharedroot-init (--network)");
    if (r >= 0 && !helper)
        return mk_error(ENOENT,
                        NBD_HELPER_NAME " not found in the build tree nor in " NBD_HELPER_DIR
                                        "; is sharedroot installed completely?");
    if (r >= 0)
        r = elfdeps_add_binary(&c->plan, &c->ldso, helper, "/lib/sharedroot/" NBD_HELPER_NAME,
                               "binary", "resident NBD helper (--network)");
    return r;
}

static int build_plan(struct ctx *c)
{
    const char *shell = c->o.no_shell ? NULL : c->o.shell ? c->o.shell : busybox_default();
    int r;

    if ((r = resolve_kernel(c)) < 0 || (r = resolve_init(c)) < 0 || (r = setup_ldso(c)) < 0)
        return r;
    if ((r = plan_skeleton(&c->plan)) < 0)
        return r;
    r = elfdeps_add_binary(&c->plan, &c->ldso, c->init, "/init", "init", c->init);
    /* for "sharedroot-init --resume" typed in the emergency shell */
    if (r >= 0)
        r = plan_add_symlink(&c->plan, "/sbin/" INIT_NAME, "/init", "link",
                             "sharedroot-init --resume in the emergency shell");
    if (r < 0)
        return r;
    if (shell && (r = busybox_add(&c->plan, &c->ldso, shell)) < 0)
        return r;
    if (!shell && busybox_default())
        r = left_out(c,
                     "left-out shell (--no-shell: no emergency shell; without --no-shell "
                     "%s and its applets are added)",
                     busybox_default());
    else if (!shell)
        r = left_out(c, "left-out shell (--no-shell: no emergency shell; without --no-shell a "
                        "busybox is added: install busybox or give --shell PATH)");
    if (r >= 0 && !c->o.network)
        r = left_out(c, "left-out network root (nbd, the NIC drivers, udhcpc, sharedroot-nbd "
                        "for ip= and root=nbd:...: give --network)");
    if (r < 0)
        return r;
    if (c->o.network && (r = add_network(c)) < 0)
        return r;
    if ((r = add_binaries(c)) < 0 || (r = collect_hooks(c)) < 0)
        return r;
    return collect_modules(c);
}

static bool fs_included(const struct ctx *c, const char *fs)
{
    if (c->o.filesystems.n)
        return strv_contains(&c->o.filesystems, fs);
    for (size_t i = 0; i < sizeof default_filesystems / sizeof default_filesystems[0]; i++)
        if (strcmp(default_filesystems[i], fs) == 0)
            return true;
    return false;
}

/* What --fs left out that this kernel has as a module: its size (with what it needs that is
 * not in the image anyway) and how to add it. */
static void print_left_out(const struct ctx *c)
{
    for (size_t i = 0; i < sizeof known_filesystems / sizeof known_filesystems[0]; i++) {
        const char *fs = known_filesystems[i];
        struct kmodset alone = {0};
        const struct kmod_item *m;
        uint64_t bytes = 0;

        if (fs_included(c, fs) || kmodset_init(&alone, c->moddir) < 0)
            continue;
        if (add_filesystem(&alone, fs, "left out") < 0 || !alone.n || alone.v[0].builtin ||
            ((m = kmodset_find(&c->mods, alone.v[0].name)) && !m->builtin)) {
            kmodset_done(&alone); /* unknown, built in, or in the image by -M */
            continue;
        }
        for (size_t j = 0; j < alone.n; j++) {
            struct stat st;
            if (alone.v[j].path && !kmodset_find(&c->mods, alone.v[j].name) &&
                stat(alone.v[j].path, &st) == 0)
                bytes += (uint64_t)st.st_size;
        }
        printf("left-out module %s (filesystem %s, not in --fs: %" PRIu64 " KiB with its "
               "dependencies; if the base or an instance disk is %s, give --fs ",
               alone.v[0].name, fs, (bytes + 1023) / 1024, fs);
        if (c->o.filesystems.n)
            for (size_t j = 0; j < c->o.filesystems.n; j++)
                printf("%s,", c->o.filesystems.v[j]);
        else
            for (size_t j = 0; j < sizeof default_filesystems / sizeof *default_filesystems; j++)
                printf("%s,", default_filesystems[j]);
        printf("%s)\n", fs);
        kmodset_done(&alone);
    }
}

static void print_list(const struct ctx *c)
{
    for (size_t i = 0; i < c->mods.n; i++) {
        const struct kmod_item *m = &c->mods.v[i];
        printf("module %s (%s%s)\n", m->name, m->builtin ? "builtin, " : "", m->reason);
    }
    print_left_out(c);
    for (size_t i = 0; i < c->left_out.n; i++)
        printf("%s\n", c->left_out.v[i]);
    printf("modindex /lib/modules/%s/modules.* (generated by depmod for this set: for "
           "modprobe in the emergency shell)\n",
           c->kver);
    printf("modplan /lib/modules/%s/" MODPLAN_FILE " (module plan for sharedroot-init: the "
           "modules above with their dependencies in load order, softdeps and aliases, "
           "resolved by libkmod at build time)\n",
           c->kver);
    for (size_t i = 0; i < c->plan.n; i++) {
        const struct plan_entry *e = &c->plan.v[i];

        if (e->type == PLAN_DIR)
            printf("dir %s\n", e->path);
        else if (e->type == PLAN_CHAR)
            printf("dev %s (char %u:%u)\n", e->path, e->major, e->minor);
        else if (e->type == PLAN_SYMLINK)
            printf("%s %s -> %s (%s)\n", e->kind, e->path, e->target, e->reason);
        else if (strcmp(e->kind, "module") != 0)
            printf("%s %s (%s)\n", e->kind, e->path, e->reason);
    }
}

static int source_date_epoch(int64_t *ret)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    char *end;
    long long v;

    *ret = 0;
    if (!s || !*s)
        return 0;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < 0)
        return mk_error(EINVAL, "SOURCE_DATE_EPOCH=%s is not a number of seconds; fix or unset it",
                        s);
    *ret = v;
    return 0;
}

/* The module plan sharedroot-init loads the modules by (it has no libkmod). */
static int add_modplan(struct ctx *c)
{
    _cleanup_free_ char *src = path_join(c->staging, MODPLAN_FILE), *dest = NULL;
    _cleanup_free_ char *reason = NULL;
    struct modplan_stats st;
    _cleanup_fclose_ FILE *f = NULL;
    int r;

    if (!src || asprintf(&dest, "/lib/modules/%s/" MODPLAN_FILE, c->kver) < 0)
        return -ENOMEM;
    if (!(f = fopen(src, "we")))
        return mk_error(errno, "cannot create %s: %m", src);
    r = modplan_write(&c->mods, f, &st);
    if (r < 0)
        return r;
    if (fflush(f) != 0 || ferror(f))
        return mk_error(errno ? errno : EIO, "cannot write %s: %m", src);
    if (asprintf(&reason,
                 "module plan for sharedroot-init: %zu modules with their dependencies in load "
                 "order, %zu built in, %zu softdep lines, %zu aliases; resolved by libkmod now",
                 st.modules, st.builtin, st.softdeps, st.aliases) < 0)
        return -ENOMEM;
    return plan_add_file(&c->plan, dest, src, 0644, "modplan", reason);
}

static int write_image(struct ctx *c)
{
    const char *tmpdir = getenv("TMPDIR");
    int64_t mtime;
    int r;

    if ((r = source_date_epoch(&mtime)) < 0)
        return r;
    tmpdir = tmpdir && *tmpdir ? tmpdir : "/tmp";
    if (asprintf(&c->staging, "%s/" STAGING_PREFIX "XXXXXX", tmpdir) < 0) {
        c->staging = NULL;
        return -ENOMEM;
    }
    (void)leftovers_clean_stale(tmpdir, STAGING_PREFIX, true);
    c->staging_lock = leftovers_mkdtemp(c->staging);
    if (c->staging_lock < 0) {
        r = mk_error(c->staging_lock, "cannot create a staging directory %s: %m; check $TMPDIR",
                     c->staging);
        free(c->staging);
        c->staging = NULL;
        return r;
    }
    r = depmod_build_index(&c->plan, &c->mods, c->moddir, c->kver, c->staging);
    if (r < 0)
        return r;
    if ((r = add_modplan(c)) < 0)
        return r;
    if (c->o.cpio_list && (r = cpiolist_write(&c->plan, c->o.cpio_list, c->staging)) < 0)
        return r;
    if (!c->o.output)
        return 0;
    return image_write(&c->plan, c->o.output, c->o.compress, mtime);
}

static void ctx_done(struct ctx *c)
{
    if (c->staging) {
        int r = rm_rf(c->staging);
        if (r < 0)
            mk_error(r, "cannot remove the staging directory %s: %m", c->staging);
        leftovers_set_dir(NULL);
        free(c->staging);
    }
    if (c->staging_lock >= 0)
        close(c->staging_lock);
    plan_done(&c->plan);
    kmodset_done(&c->mods);
    ldso_done(&c->ldso);
    strv_done(&c->o.modules);
    strv_done(&c->o.filesystems);
    strv_done(&c->o.binaries);
    strv_done(&c->left_out);
    hookset_done(&c->o.hooks);
    free(c->kver);
    free(c->moddir);
    free(c->init);
}

int main(int argc, char **argv)
{
    struct ctx c = {.staging_lock = -1};
    int r;

    log_set_program(PROGRAM_NAME);
    r = leftovers_install();
    if (r < 0) {
        mk_error(r, "cannot install the signal handlers: %m");
        return EXIT_FAILURE;
    }
    r = parse_options(argc, argv, &c.o);
    if (r <= 0) {
        strv_done(&c.o.modules);
        strv_done(&c.o.filesystems);
        hookset_done(&c.o.hooks);
        strv_done(&c.o.binaries);
        return r == 0 ? EXIT_SUCCESS : r == -EINVAL ? EXIT_USAGE : EXIT_FAILURE;
    }
    if (!c.o.list && c.o.output)
        r = image_check_output(c.o.output);
    if (r >= 0)
        r = build_plan(&c);
    if (r >= 0 && c.o.list)
        print_list(&c);
    else if (r >= 0)
        r = write_image(&c);
    ctx_done(&c);
    if (r == -ENOMEM)
        mk_error(ENOMEM, "out of memory");
    return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
