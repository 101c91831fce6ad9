// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-check-base: finds what makes an operating-system image unsafe to share between
 * many guests (identity left over from its build, an unclean filesystem, fstab lines and
 * services that break on a read-only base) before they boot it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks.h"
#include "image.h"
#include "imgformat.h"
#include "log.h"
#include "report.h"

#define PROGRAM_NAME "sharedroot-check-base"

#define EXIT_FINDINGS 1
#define EXIT_TROUBLE 2
#define DEFAULT_INIT "/sbin/init"

struct options {
    const char *target;
    const char *init;
    int partition; /* --partition N; 0: chosen */
    bool json, fix;
};

/* Everything one run builds up; released by run_done. */
struct run {
    struct options o;
    struct image img;
    bool is_image;
    int rootfd;
    struct findings findings;
    struct actions actions;
    struct notes notes;
};

static void help(void)
{
    printf("Usage: " PROGRAM_NAME " [OPTIONS] IMAGE-OR-DIR\n\n"
           "Check that an operating-system image is safe to share between many guests as a\n"
           "sharedroot base: no machine identity left from its build, a clean filesystem, no\n"
           "fstab lines or services that break on a read-only base.\n\n"
           "IMAGE is a filesystem image, a partitioned disk image (GPT or MBR: its root\n"
           "partition), a qcow2 image (read through a raw copy in $TMPDIR, made by qemu-img)\n"
           "or a block device: mounted read-only with journal replay disabled, in a private\n"
           "mount namespace, never written. DIR is an unpacked root.\n\n"
           "  -j, --json         print the report as JSON\n"
           "  -f, --fix          apply the safe fixes (DIR only) and report what remains\n"
           "  -i, --init PATH    the init= program to check (default " DEFAULT_INIT ")\n"
           "  -p, --partition N  check partition N of a disk image (default: the root one)\n"
           "  -h, --help         show this help\n"
           "  -V, --version      show the version\n\n"
           "Exit status: 0 no findings, 1 findings, 2 error (the report may be incomplete).\n"
           "See sharedroot-check-base(8).\n");
}

static int parse_partition(const char *s, int *ret)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 65535)
        return -EINVAL;
    *ret = (int)v;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"fix", no_argument, NULL, 'f'},
        {"init", required_argument, NULL, 'i'},
        {"partition", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct options){.init = DEFAULT_INIT};
    int c;
    while ((c = getopt_long(argc, argv, "jfi:p:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            o->json = true;
            break;
        case 'f':
            o->fix = true;
            break;
        case 'i':
            o->init = optarg;
            break;
        case 'p':
            if (parse_partition(optarg, &o->partition) < 0)
                return log_error_errno(
                    EINVAL, "--partition %s: expected a partition number, 1 to 65535", optarg);
            break;
        case 'h':
            help();
            return 1;
        case 'V':
            printf(PROGRAM_NAME " " SHAREDROOT_VERSION "\n");
            return 1;
        default:
            return log_error_errno(EINVAL, "Try '" PROGRAM_NAME " --help'.");
        }
    }
    if (optind != argc - 1)
        return log_error_errno(EINVAL, "Expected one IMAGE-OR-DIR; try '" PROGRAM_NAME " --help'.");
    if (o->init[0] != '/')
        return log_error_errno(EINVAL, "--init %s: the path must be absolute", o->init);
    o->target = argv[optind];
    return 0;
}

/* Whether the file at path is a qcow2 image (as its header says). */
static bool is_qcow2(const char *path)
{
    enum img_format fmt = IMG_FORMAT_RAW;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0 && img_format_detect(fd, &fmt) < 0)
        fmt = IMG_FORMAT_RAW;
    if (fd >= 0)
        close(fd);
    return fmt == IMG_FORMAT_QCOW2;
}

/* Open the target: a directory as it is, an image through a read-only mount. */
static int open_target(struct run *run)
{
    const char *t = run->o.target;
    struct stat st;
    if (stat(t, &st) < 0)
        return log_error_errno(errno, "Cannot check %s: %m", t);
    if (S_ISDIR(st.st_mode) && run->o.partition)
        return log_error_errno(EINVAL, "--partition is for disk images, and %s is a directory", t);
    if (S_ISDIR(st.st_mode)) {
        run->rootfd = open(t, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return run->rootfd < 0 ? log_error_errno(errno, "Cannot open %s: %m", t) : 0;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return log_error_errno(EINVAL,
                               "%s is neither a directory, an image file nor a block "
                               "device",
                               t);
    /* Writing to an image means a read-write mount with journal replay: on a base that
     * guests may have mounted, that corrupts what they see. The admin does it on a copy. A
     * qcow2 image is checked through a temporary raw copy: a fix would be lost with it. */
    if (run->o.fix && is_qcow2(t))
        return log_error_errno(
            EINVAL,
            "--fix changes directories only, and %s is a qcow2 image (checked through a "
            "temporary raw copy, which a fix would not outlive); nothing was converted. Fix a "
            "raw copy and convert it back: qemu-img convert -f qcow2 -O raw %s COPY.raw; mount "
            "its root partition read-write (losetup -P --show COPY.raw, then mount /dev/loopNpM "
            "/mnt), run " PROGRAM_NAME " --fix /mnt, unmount it and detach the loop device; "
            "then qemu-img convert -f raw -O qcow2 COPY.raw FIXED.qcow2",
            t, t);
    if (run->o.fix)
        return log_error_errno(
            EINVAL,
            "--fix changes directories only, and %s is an image. "
            "Mount a copy read-write (mount -o loop COPY /mnt; a disk image: losetup "
            "-P --show COPY, then mount its root partition, /dev/loopNpM), run " PROGRAM_NAME
            " --fix /mnt, unmount it and check the copy",
            t);
    run->is_image = true;
    int r = image_probe(&run->img, t, run->o.partition, &run->notes);
    if (r < 0)
        return r;
    r = image_mount(&run->img, &run->notes);
    run->rootfd = r;
    return r < 0 ? r : 0;
}

static int check_all(struct run *run)
{
    struct check_ctx ctx = {
        .rootfd = run->rootfd,
        .init_path = run->o.init,
        .extsb = run->img.has_extsb ? &run->img.extsb : NULL,
        .xfs_log_dirty = run->img.xfs_log_dirty,
        .image = run->is_image ? run->o.target : NULL,
        .disk = run->img.part >= 0 ? &run->img.disk : NULL,
        .target = run->o.target,
        .out = &run->findings,
    };
    return checks_run(&ctx);
}

/* Apply every safe fix, then check again: the report shows what is left. */
static int fix_all(struct run *run)
{
    int r = 0;
    for (size_t i = 0; i < run->findings.n && r >= 0; i++) {
        const struct finding *f = &run->findings.v[i];
        if (!f->check->apply)
            continue;
        char what[1024];
        int e = f->check->apply(run->rootfd, f, what, sizeof(what));
        r = actions_add(&run->actions, f->check, f->path, e, what);
    }
    findings_done(&run->findings);
    int k = check_all(run);
    return r < 0 ? r : k;
}

static void print_report(const struct run *run)
{
    struct report rep = {
        .target = run->o.target,
        .kind = run->is_image ? "image" : "directory",
        .fstype = run->is_image ? run->img.fstype : NULL,
        .pttype = run->img.part >= 0 ? run->img.disk.pttype : NULL,
        .partition = image_partition(&run->img),
        .findings = &run->findings,
        .actions = &run->actions,
        .notes = &run->notes,
    };
    if (run->o.json)
        report_json(stdout, &rep);
    else
        report_text(stdout, &rep);
}

static void run_done(struct run *run)
{
    if (run->rootfd >= 0)
        close(run->rootfd);
    image_done(&run->img);
    findings_done(&run->findings);
    actions_done(&run->actions);
    notes_done(&run->notes);
}

static bool any_fix_failed(const struct actions *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].error)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    struct run run = {.rootfd = -1, .img.part = -1};
    log_set_program(PROGRAM_NAME);
    int r = parse_options(argc, argv, &run.o);
    if (r != 0)
        return r > 0 ? EXIT_SUCCESS : EXIT_TROUBLE;
    int opened = open_target(&run);
    /* An image that cannot be mounted still gets its superblock checked. */
    if (opened >= 0 || run.img.has_extsb) {
        if (opened < 0)
            notes_add(&run.notes, "only the superblock was checked: the image could not be "
                                  "mounted");
        r = check_all(&run);
        if (opened >= 0 && run.o.fix && r >= 0)
            r = fix_all(&run);
        print_report(&run);
    }
    int status = opened < 0 || r < 0 || any_fix_failed(&run.actions) ? EXIT_TROUBLE
                 : run.findings.n                                    ? EXIT_FINDINGS
                                                                     : EXIT_SUCCESS;
    run_done(&run);
    return status;
}
