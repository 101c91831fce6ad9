// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * probe-mounts: a driver for the privileged tests of mounts/ (tests/priv/ scripts).
 *
 *   probe-mounts resolve SPEC                 print the device node
 *   probe-mounts fstype DEV                   print the filesystem type
 *   probe-mounts ptable DEV                   the partition table: its type, "NODE: what"
 *                                             per partition, "pick: root=..." (the fix)
 *   probe-mounts mount DEV FSTYPE TARGET [ROOTFLAGS] [--rw] [--maintenance]
 *   probe-mounts load NAME [--moddir DIR] [--dry-run]   print the modules loaded
 *   probe-mounts coldplug [--moddir DIR] [--dry-run]    print the modules loaded
 *   probe-mounts wait SPEC MS                 wait for SPEC to resolve via uevents; print it
 *
 * Exit status: 0 on success, else the errno of the failure (ENOENT = 2, ENOTBLK = 15, ...),
 * so the scripts can tell failures apart; a message goes to stderr.
 */
#include "blockdev.h"
#include "dax.h"
#include "devices.h"
#include "rootfs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "why.h"

static int report(int r, const char *what, const char *why)
{
    if (r >= 0)
        return 0;
    fprintf(stderr, "probe-mounts: %s: %s%s%s\n", what, strerror(-r), why ? ": " : "",
            why ? why : "");
    return -r > 255 ? 255 : -r;
}

static int cmd_resolve(const char *arg)
{
    struct blockdev_spec spec;
    char why[WHY_MAX] = "";
    char dev[256], dup[256];

    int r = blockdev_spec_parse(arg, &spec, why, sizeof(why));
    if (r < 0)
        return report(r, arg, why);
    r = blockdev_resolve_full(&spec, dev, sizeof(dev), dup, sizeof(dup));
    if (r == -ENOTUNIQ)
        fprintf(stderr, "probe-mounts: %s matches both %s and %s\n", arg, dev, dup);
    if (r < 0)
        return report(r, arg, NULL);
    printf("%s\n", dev);
    return 0;
}

static int cmd_fstype(const char *dev)
{
    char type[64];
    int r = blockdev_probe_fstype(dev, type, sizeof(type));
    if (r < 0)
        return report(r, dev, NULL);
    printf("%s\n", type);
    return 0;
}

static int cmd_ptable(const char *dev)
{
    struct blockdev_ptable pt;
    const struct blockdev_part *pick;
    char buf[512];
    int r = blockdev_probe_ptable(dev, &pt);

    if (r < 0)
        return report(r, dev, NULL);
    printf("%s\n", pt.type);
    for (size_t i = 0; i < pt.n; i++) {
        blockdev_part_describe(&pt.parts[i], buf, sizeof buf);
        printf("%s: %s\n", pt.parts[i].node, buf);
    }
    pick = blockdev_ptable_pick(&pt);
    if (pick) {
        blockdev_part_specs(pick, "root", buf, sizeof buf);
        printf("pick: %s\n", buf);
    }
    return 0;
}

/* dax facts of a device: "DEV_DAX BSIZE" (dax_device_supported, dax_probe_fs_bsize) */
static int cmd_dax(const char *dev)
{
    char type[64] = "";
    blockdev_probe_fstype(dev, type, sizeof(type));
    printf("%d %lu\n", dax_device_supported(NULL, dev), dax_probe_fs_bsize(dev, type));
    return 0;
}

static int cmd_mount(int argc, char **argv)
{
    bool rw = false, maintenance = false;
    const char *pos[4] = {NULL, NULL, NULL, NULL};
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--rw") == 0)
            rw = true;
        else if (strcmp(argv[i], "--maintenance") == 0)
            maintenance = true;
        else if (n < 4)
            pos[n++] = argv[i];
    }
    if (n < 3)
        return report(-EINVAL, "mount", "usage: mount DEV FSTYPE TARGET [ROOTFLAGS]");
    char why[WHY_MAX] = "";
    int r = rootfs_mount(pos[0], pos[1], pos[3], rw, maintenance, pos[2], why, sizeof(why));
    return report(r, pos[0], why[0] ? why : NULL);
}

static void log_stderr(int prio, const char *msg, void *ud)
{
    if (prio <= LOG_INFO)
        fprintf(stderr, "probe-mounts: [%d] %s\n", prio, msg);
}

static int cmd_modules(bool coldplug, int argc, char **argv)
{
    const char *moddir = NULL, *name = NULL;
    bool dry_run = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--moddir") == 0 && i + 1 < argc)
            moddir = argv[++i];
        else if (strcmp(argv[i], "--dry-run") == 0)
            dry_run = true;
        else
            name = argv[i];
    }
    if (!coldplug && !name)
        return report(-EINVAL, "load", "usage: load NAME [--moddir DIR] [--dry-run]");

    struct devices *d = NULL;
    int r = devices_new(&d, moddir);
    if (r < 0)
        return report(r, "devices_new", NULL);
    devices_set_log(d, log_stderr, NULL);
    devices_set_dry_run(d, dry_run);
    r = coldplug ? devices_coldplug(d) : devices_load(d, name);
    for (unsigned i = 0; i < devices_loaded_count(d); i++)
        printf("%s\n", devices_loaded_name(d, i));
    devices_free(d);
    return report(r, coldplug ? "coldplug" : name, NULL);
}

static bool spec_ready(void *userdata)
{
    char dev[256];
    return blockdev_resolve(userdata, dev, sizeof(dev)) == 0;
}

static int cmd_wait(const char *arg, const char *ms)
{
    struct blockdev_spec spec;
    char why[WHY_MAX] = "";
    char dev[256];
    int r = blockdev_spec_parse(arg, &spec, why, sizeof(why));
    if (r < 0)
        return report(r, arg, why);

    struct devices *d = NULL;
    r = devices_new(&d, NULL);
    if (r < 0)
        return report(r, "devices_new", NULL);
    r = devices_wait(d, atoi(ms), spec_ready, &spec);
    devices_free(d);
    if (r == 0)
        r = blockdev_resolve(&spec, dev, sizeof(dev));
    if (r < 0)
        return report(r, arg, NULL);
    printf("%s\n", dev);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "resolve") == 0)
        return cmd_resolve(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "fstype") == 0)
        return cmd_fstype(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "ptable") == 0)
        return cmd_ptable(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "dax") == 0)
        return cmd_dax(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "mount") == 0)
        return cmd_mount(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "load") == 0)
        return cmd_modules(false, argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "coldplug") == 0)
        return cmd_modules(true, argc - 2, argv + 2);
    if (argc >= 4 && strcmp(argv[1], "wait") == 0)
        return cmd_wait(argv[2], argv[3]);
    fprintf(stderr, "usage: probe-mounts resolve|fstype|ptable|dax|mount|load|coldplug|wait ...\n");
    return 255;
}
