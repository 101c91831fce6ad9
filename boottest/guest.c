// SPDX-License-Identifier: GPL-2.0-or-later
#include "guest.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "partition.h"
#include "qcow2.h"
#include "thp.h"
#include "why.h"

int kernel_version_from_image(const unsigned char *buf, size_t len, char *out, size_t outsz)
{
    size_t off, n = 0;

    /* the x86 boot protocol: "HdrS" at 0x202, kernel_version (a pointer - 0x200) at 0x20e */
    if (len < 0x210 || memcmp(buf + 0x202, "HdrS", 4) != 0)
        return -EINVAL;
    off = (size_t)(buf[0x20e] | buf[0x20f] << 8) + 0x200;
    if (off == 0x200 || off >= len)
        return -EINVAL;
    while (off + n < len && n + 1 < outsz && buf[off + n] > ' ' && buf[off + n] < 0x7f)
        n++;
    if (n == 0 || n + 1 >= outsz || (off + n < len && buf[off + n] > ' ' && buf[off + n] < 0x7f))
        return -EINVAL;
    memcpy(out, buf + off, n);
    out[n] = '\0';
    return 0;
}

int kernel_version_of(const char *kernel, char *out, size_t outsz)
{
    unsigned char buf[0x10000];
    ssize_t n;
    _cleanup_close_ int fd = open(kernel, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    n = pread(fd, buf, sizeof buf, 0);
    if (n < 0)
        return -errno;
    return kernel_version_from_image(buf, (size_t)n, out, outsz);
}

bool cmdline_has(const char *line, const char *prefix)
{
    size_t pl = strlen(prefix);

    for (const char *p = line; p && *p;) {
        while (*p == ' ')
            p++;
        if (strncmp(p, prefix, pl) == 0)
            return true;
        p = strchr(p, ' ');
    }
    return false;
}

/* A PARTUUID the kernel can find the partition by: an MBR disk signature of zeros (a table
 * written without one) or a nil GPT GUID names nothing. */
static bool partuuid_usable(const struct disk *d, const struct part *p)
{
    size_t n = strcmp(d->pttype, "dos") == 0 ? strcspn(p->partuuid, "-") : strlen(p->partuuid);

    for (size_t i = 0; i < n; i++)
        if (p->partuuid[i] != '0' && p->partuuid[i] != '-')
            return true;
    return false;
}

const char *base_disk_name(const struct bt_config *c)
{
    return c->base_device == BASE_DEVICE_PMEM ? "/dev/pmem0" : "/dev/vda";
}

const char *base_part_prefix(const struct bt_config *c)
{
    return c->base_device == BASE_DEVICE_PMEM ? "/dev/pmem0p" : "/dev/vda";
}

int root_decide(const struct disk *d, const struct bt_config *c, char *spec, size_t spec_n,
                char *msg, size_t msg_n)
{
    const char *dev = base_part_prefix(c);
    char why[WHY_MAX] = "";
    int i;

    spec[0] = msg[0] = '\0';
    if (!d || c->root || cmdline_has(c->append ? c->append : "", "root="))
        return 0;
    i = disk_choose(d, 0, why, sizeof why);
    if (i < 0) {
        FILE *f = fmemopen(msg, msg_n, "w");
        if (!f)
            return snprintf(msg, msg_n, "%s", why), i;
        fprintf(f,
                "no root given (--root, root =), and its %s partition table does not tell "
                "which partition is the root: %s; name it with --root %sN (root = %sN in the "
                "run file), N from its partitions:\n",
                d->pttype, why, dev, dev);
        disk_list(d, f);
        fclose(f);
        /* no newline at the end */
        for (size_t n = strlen(msg); n > 0 && msg[n - 1] == '\n'; n--)
            msg[n - 1] = '\0';
        return i;
    }
    const struct part *p = &d->v[i];
    const char *tname = part_type_name(p->type);
    if (partuuid_usable(d, p))
        snprintf(spec, spec_n, "PARTUUID=%s", p->partuuid);
    else
        snprintf(spec, spec_n, "%s%d", dev, p->number);
    snprintf(msg, msg_n, "partition %d, %s, %s", p->number, tname ? tname : p->type,
             p->fstype[0] ? p->fstype : "no filesystem found");
    return 1;
}

char *guest_cmdline(const struct bt_config *c, bool tcg)
{
    const char *append = c->append ? c->append : "";
    bool pmem = c->base && c->base_device == BASE_DEVICE_PMEM;
    char *s = NULL;
    size_t sz = 0;
    FILE *f = open_memstream(&s, &sz);

    if (!f)
        return NULL;
    if (!cmdline_has(append, "console="))
        fputs("console=ttyS0 ", f);
    /* with QEMU's -no-reboot a panic ends the guest at once */
    if (!cmdline_has(append, "panic="))
        fputs("panic=-1 ", f);
    /* an emulated guest on a loaded host can fail the kernel's early IO-APIC timer test and
     * panic before its init: a failure of the host, not of what is tested */
    if (tcg && !cmdline_has(append, "no_timer_check"))
        fputs("no_timer_check ", f);
    if (c->root)
        fprintf(f, "root=%s ", c->root);
    else if (c->base && c->root_auto)
        fprintf(f, "root=%s ", c->root_auto);
    else if (c->base && !cmdline_has(append, "root="))
        fprintf(f, "root=%s ", base_disk_name(c));
    /* the instance disk is the first virtio disk after a virtio-blk base */
    if (c->instance.kind != DISK_NONE && !cmdline_has(append, "sharedroot.instance="))
        fputs(pmem ? "sharedroot.instance=/dev/vda " : "sharedroot.instance=/dev/vdb ", f);
    fputs(append, f);
    if (fclose(f) != 0) {
        free(s);
        return NULL;
    }
    /* no trailing blank */
    while (sz > 0 && s[sz - 1] == ' ')
        s[--sz] = '\0';
    return s;
}

static char *tool_path(const char *name)
{
    static const char *const dirs[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};
    const char *path = getenv("PATH");
    char buf[PATH_MAX];

    for (const char *p = path; p && *p;) {
        size_t n = strcspn(p, ":");
        if (n > 0 && n + strlen(name) + 2 < sizeof buf) {
            snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, name);
            if (access(buf, X_OK) == 0)
                return strdup(buf);
        }
        p += n + (p[n] == ':');
    }
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(buf, sizeof buf, "%s/%s", dirs[i], name);
        if (access(buf, X_OK) == 0)
            return strdup(buf);
    }
    return NULL;
}

char *find_program(const char *name, const char *beside_rel)
{
    char self[PATH_MAX], buf[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

    if (n > 0) {
        char *slash;
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, sizeof buf, "%s/%s", self, name);
            if (access(buf, X_OK) == 0)
                return strdup(buf);
            if (beside_rel) {
                snprintf(buf, sizeof buf, "%s/%s/%s", self, beside_rel, name);
                if (access(buf, X_OK) == 0)
                    return strdup(buf);
            }
        }
    }
    return tool_path(name);
}

static int exec_child(char **argv, char **env, int in_fd, int out_fd, int err_fd, bool own_group,
                      pid_t parent, const struct sock_fprog *filter)
{
    sigset_t all;
    int r;

    if (own_group)
        setpgid(0, 0);
    /* the guest must not outlive the runner, even one killed by SIGKILL */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    /* a shell's background job starts with SIGINT and SIGQUIT ignored: not for the guest */
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
        _exit(127);
    for (size_t i = 0; env && env[i]; i++)
        if (putenv(env[i]) != 0)
            _exit(127);
    r = thp_filter_apply(filter);
    if (r < 0) {
        dprintf(2, "%s: cannot install the seccomp filter of --thp-advice before running %s: %s\n",
                PROGRAM, argv[0], strerror(-r));
        _exit(127);
    }
    execvp(argv[0], argv);
    dprintf(2, "%s: cannot run %s: %s\n", PROGRAM, argv[0], strerror(errno));
    _exit(127);
}

static pid_t spawn(char **argv, char **env, int out_fd, int err_fd, bool own_group,
                   const struct sock_fprog *filter)
{
    pid_t parent = getpid(), pid;
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

    if (null_fd < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(null_fd);
        return -e;
    }
    if (pid == 0)
        exec_child(argv, env, null_fd, out_fd < 0 ? null_fd : out_fd, err_fd < 0 ? null_fd : err_fd,
                   own_group, parent, filter);
    /* also here: a signal to the group must not race the child's own setpgid */
    if (own_group)
        setpgid(pid, pid);
    close(null_fd);
    return pid;
}

pid_t spawn_guest(char **argv, int console_w, int err_fd, const struct sock_fprog *filter)
{
    return spawn(argv, NULL, console_w, err_fd, true, filter);
}

pid_t spawn_command(const char *command, char **env, int out_fd, int err_fd)
{
    char *argv[] = {"/bin/sh", "-c", (char *)command, NULL};

    return spawn(argv, env, out_fd, err_fd, true, NULL);
}

pid_t spawn_helper(char **argv, int out_fd, int err_fd)
{
    return spawn(argv, NULL, out_fd, err_fd, false, NULL);
}

int run_helper(char **argv, int out_fd)
{
    int status;
    pid_t pid = spawn(argv, NULL, out_fd, out_fd, false, NULL);

    if (pid < 0)
        return (int)pid;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

struct argv_builder {
    char **v;
    size_t n, cap;
    bool failed;
};

static void push(struct argv_builder *b, char *s)
{
    if (!s || b->failed) {
        b->failed = true;
        free(s);
        return;
    }
    if (array_grow(&b->v, b->n, 2, &b->cap, sizeof *b->v) < 0) {
        b->failed = true;
        free(s);
        return;
    }
    b->v[b->n++] = s;
    b->v[b->n] = NULL;
}

static void pushf(struct argv_builder *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void pushf(struct argv_builder *b, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    push(b, s);
}

/* format: "raw", or "qcow2" for a base; instance and extra disks are raw, always: a guest
 * writes them and could write any header into them */
static void push_drive(struct argv_builder *b, const char *file, const char *format, bool ro)
{
    char *e = qemu_escape(file);

    push(b, strdup("-drive"));
    if (e)
        pushf(b, "file=%s,format=%s,if=virtio%s", e, format, ro ? ",readonly=on" : "");
    else
        b->failed = true;
    free(e);
}

/* The base mapped from its file into the guest's address space: private (a guest can never
 * write the file, nor another guest's copy) and read-only; the host's page cache of the file
 * is what every guest reads through dax. */
static void push_pmem(struct argv_builder *b, const char *file, uint64_t size)
{
    char *e = qemu_escape(file);

    push(b, strdup("-object"));
    if (e)
        pushf(b, "memory-backend-file,id=" PMEM_ID ",share=off,readonly=on,mem-path=%s,size=%llu",
              e, (unsigned long long)size);
    else
        b->failed = true;
    free(e);
    push(b, strdup("-device"));
    push(b, strdup("virtio-pmem-pci,memdev=" PMEM_ID ",id=" PMEM_ID "-pmem"));
}

int base_format_decide(const struct bt_config *c, enum img_format detected, enum img_format *use,
                       bool *warn, char *msg, size_t n)
{
    const char *name = img_format_name(detected);
    bool pmem = c->base_device == BASE_DEVICE_PMEM;

    *use = IMG_FORMAT_RAW;
    *warn = false;
    msg[0] = '\0';
    if (c->base_format == BASE_FORMAT_RAW) {
        if (detected != IMG_FORMAT_RAW) {
            *warn = true;
            snprintf(msg, n,
                     "base-format = raw, but its header says %s: the guest sees the %s file's "
                     "own bytes, not the disk inside it (base-format = auto attaches a qcow2 "
                     "image as qcow2)",
                     name, name);
        }
        return 0;
    }
    if (c->base_format == BASE_FORMAT_QCOW2 && detected == IMG_FORMAT_RAW)
        return snprintf(msg, n,
                        "base-format = qcow2, but the file has no qcow2 header (it reads as "
                        "raw); use base-format = auto or raw"),
               -EINVAL;
    if (detected == IMG_FORMAT_RAW)
        return 0;
    if (pmem)
        return snprintf(msg, n,
                        "it is a %s image, and base-device = virtio-pmem maps the file into the "
                        "guest as it is: only a raw base, a multiple of 2 MiB, can be mapped; "
                        "convert it with 'qemu-img convert -O raw %s BASE.raw' and pad it with "
                        "'truncate -s %%2M BASE.raw' (sharedroot-mkbase pads its images)",
                        name, c->base),
               -EINVAL;
    if (detected != IMG_FORMAT_QCOW2)
        return snprintf(msg, n,
                        "it is a %s image; QEMU attaches a raw or qcow2 base here: convert it "
                        "with 'qemu-img convert -O qcow2 %s BASE.qcow2' (or -O raw)",
                        name, c->base),
               -EINVAL;
    *use = IMG_FORMAT_QCOW2;
    return 0;
}

void argv_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

char **guest_argv(const char *qemu, const struct bt_config *c, const char *initrd,
                  const struct boot_disks *d, const char *accel)
{
    struct argv_builder b = {0};
    static const char *const fixed[] = {
        "-nodefaults", "-no-user-config", "-display", "none", "-net", "none", "-no-reboot"};

    push(&b, strdup(qemu));
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        push(&b, strdup(fixed[i]));
    push(&b, strdup("-machine"));
    pushf(&b, "pc,accel=%s", accel);
    push(&b, strdup("-m"));
    if (d && c->base && c->base_device == BASE_DEVICE_PMEM)
        /* room for the pmem device in the memory map beyond the guest's RAM */
        pushf(&b, "%u,slots=2,maxmem=%lluM", c->memory_mb,
              (unsigned long long)c->memory_mb +
                  (unsigned long long)((d->base_size + PMEM_ALIGN - 1) / PMEM_ALIGN *
                                       (PMEM_ALIGN >> 20)));
    else
        pushf(&b, "%u", c->memory_mb);
    push(&b, strdup("-smp"));
    pushf(&b, "%u", c->cpus);
    push(&b, strdup("-kernel"));
    push(&b, strdup(c->kernel));
    if (initrd) {
        push(&b, strdup("-initrd"));
        push(&b, strdup(initrd));
    }
    push(&b, strdup("-append"));
    push(&b, guest_cmdline(c, strcmp(accel, "tcg") == 0));
    if (d) {
        /* /dev/vda the base, /dev/vdb the instance, then the extra disks; on virtio-pmem
         * the base is /dev/pmem0 and the instance /dev/vda */
        if (c->base && c->base_device == BASE_DEVICE_PMEM)
            push_pmem(&b, c->base, d->base_size);
        else if (c->base)
            push_drive(&b, c->base, img_format_name(c->base_img), true);
        if (d->instance[0])
            push_drive(&b, d->instance, "raw", false);
        for (size_t i = 0; i < c->n_disks; i++)
            push_drive(&b, d->disks[i], "raw", c->disks[i].kind == DISK_RO);
    }
    push(&b, strdup("-serial"));
    push(&b, strdup("stdio"));
    /* the user's own words last; no quoting: words are separated by blanks; then the
     * qemu-arg entries, one argument each */
    for (const char *p = c->qemu_args; p && *p;) {
        size_t n;
        while (*p == ' ')
            p++;
        n = strcspn(p, " ");
        if (n)
            push(&b, strndup(p, n));
        p += n;
    }
    for (size_t i = 0; i < c->n_qemu_arg; i++)
        push(&b, strdup(c->qemu_arg[i]));
    if (b.failed) {
        argv_free(b.v);
        return NULL;
    }
    return b.v;
}

static int make_disk(const struct disk_spec *s, const char *path, char *err, size_t errsz)
{
    char size[32];
    int r;

    unlink(path);
    if (s->kind == DISK_FRESH) {
        char *mkfs = tool_path("mkfs.ext4");
        char *argv[] = {mkfs, "-q", "-F", "-L", DISK_FRESH_LABEL, (char *)path, size, NULL};
        if (!mkfs) {
            snprintf(err, errsz, "mkfs.ext4 not found (install e2fsprogs) for a fresh disk");
            return -ENOENT;
        }
        snprintf(size, sizeof size, "%lluk", (unsigned long long)(s->size >> 10));
        r = run_helper(argv, -1);
        free(mkfs);
        if (r != 0) {
            snprintf(err, errsz, "mkfs.ext4 %s %s failed (status %d)", path, size, r);
            return -EIO;
        }
        return 0;
    }
    char *argv[] = {"cp", "--sparse=always", "--reflink=auto", s->path, (char *)path, NULL};
    r = run_helper(argv, -1);
    if (r != 0) {
        snprintf(err, errsz, "copying %s to %s failed (status %d)", s->path, path, r);
        return -EIO;
    }
    return 0;
}

static int one_disk(const struct disk_spec *s, const char *workdir, const char *tag,
                    const char *what, char *out, bool *made, char *err, size_t errsz)
{
    *made = false;
    out[0] = '\0';
    switch (s->kind) {
    case DISK_NONE:
        return 0;
    case DISK_FILE:
    case DISK_RO:
        snprintf(out, PATH_MAX, "%s", s->path);
        return 0;
    case DISK_FRESH:
    case DISK_COPY:
        if (snprintf(out, PATH_MAX, "%s/%s-%s.img", workdir, tag, what) >= PATH_MAX) {
            snprintf(err, errsz, "work directory path too long: %s", workdir);
            return -ENAMETOOLONG;
        }
        *made = true;
        return make_disk(s, out, err, errsz);
    }
    return -EINVAL;
}

int boot_disks_make(const struct bt_config *c, const char *workdir, const char *tag,
                    struct boot_disks *d, char *err, size_t errsz)
{
    int r;

    memset(d, 0, sizeof *d);
    if (c->base && c->base_device == BASE_DEVICE_PMEM) {
        struct stat st;
        if (stat(c->base, &st) < 0) {
            snprintf(err, errsz, "base %s: %s", c->base, strerror(errno));
            return -errno;
        }
        d->base_size = (uint64_t)st.st_size;
    }
    r = one_disk(&c->instance, workdir, tag, "instance", d->instance, &d->made[0], err, errsz);
    for (size_t i = 0; r == 0 && i < c->n_disks; i++) {
        char what[32];
        snprintf(what, sizeof what, "disk%u", (unsigned)(i + 1) % 100);
        r = one_disk(&c->disks[i], workdir, tag, what, d->disks[i], &d->made[i + 1], err, errsz);
    }
    if (r < 0)
        boot_disks_remove(d);
    return r;
}

void boot_disks_remove(struct boot_disks *d)
{
    if (d->made[0] && d->instance[0])
        unlink(d->instance);
    for (size_t i = 0; i < RUNFILE_MAX_LIST; i++)
        if (d->made[i + 1] && d->disks[i][0])
            unlink(d->disks[i]);
    memset(d->made, 0, sizeof d->made);
}
