// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * probe-instance: a driver for the privileged tests of mounts/devfs.c, tmpdir.c and swap.c
 * (tests/priv/{devfs,tmpdir,swap}.sh).
 *
 *   probe-instance have-devtmpfs                print yes or no
 *   probe-instance devfs-mount DIR              tmpfs with the minimal nodes at DIR
 *   probe-instance devfs-sync DEVDIR SYSDIR     print "created N existing N skipped N failed N"
 *   probe-instance tmp-clean DIR                print the number of entries left by failure
 *   probe-instance tmp-tmpfs DIR
 *   probe-instance tmp-bind SOURCE TARGET
 *   probe-instance swap-check PATH              print what libblkid found
 *   probe-instance mkswap PATH [--allow]
 *   probe-instance swap-file PATH SIZE          SIZE as in sharedroot.swap (512M, 1G, ...)
 *   probe-instance swapon PATH
 *
 * Exit status: 0 on success, else the errno of the failure (ENOENT = 2, EEXIST = 17, ...),
 * so the scripts can tell failures apart; a message goes to stderr.
 */
#include "devfs.h"
#include "swap.h"
#include "tmpdir.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int report(int r, const char *what, const char *why)
{
    if (r >= 0)
        return 0;
    fprintf(stderr, "probe-instance: %s: %s%s%s\n", what, strerror(-r), why && *why ? ": " : "",
            why ? why : "");
    return -r > 255 ? 255 : -r;
}

static int cmd_devfs_mount(char **a)
{
    char why[256];
    return report(devfs_mount_tmpfs_full(a[0], why, sizeof(why)), a[0], why);
}

static int cmd_devfs_sync(char **a)
{
    struct devfs_sync_stats s;
    int r = devfs_sync_full(a[0], a[1], &s);
    if (r < 0)
        return report(r, a[0], NULL);
    printf("created %d existing %d skipped %d failed %d\n", s.created, s.existing, s.skipped,
           s.failed);
    if (s.failed)
        fprintf(stderr, "probe-instance: first failure: %s\n", s.first_failure);
    return 0;
}

static int cmd_tmp_clean(char **a)
{
    int r = tmp_clean(a[0]);
    if (r < 0)
        return report(r, a[0], NULL);
    printf("%d\n", r);
    return 0;
}

static int cmd_swap_check(char **a)
{
    char why[256] = "";
    int r = swap_check_target(a[0], why, sizeof(why));
    printf("%s\n", why);
    return r < 0 ? -r : 0;
}

static int cmd_mkswap(char **a, int argc)
{
    char why[512] = "";
    bool allow = argc > 1 && strcmp(a[1], "--allow") == 0;
    return report(swap_mkswap_full(a[0], allow, NULL, 0, why, sizeof(why)), a[0], why);
}

static int cmd_swap_file(char **a)
{
    unsigned long long bytes;
    int r = swap_parse_size(a[1], &bytes);
    if (r < 0)
        return report(r, a[1], "bad size");
    return report(swap_create_file(a[0], bytes), a[0], NULL);
}

static const struct {
    const char *name;
    int args;
} commands[] = {
    {"have-devtmpfs", 0}, {"devfs-mount", 1}, {"devfs-sync", 2}, {"tmp-clean", 1}, {"tmp-tmpfs", 1},
    {"tmp-bind", 2},      {"swap-check", 1},  {"mkswap", 1},     {"swap-file", 2}, {"swapon", 1},
};

int main(int argc, char **argv)
{
    int i, n = (int)(sizeof(commands) / sizeof(commands[0]));

    for (i = 0; i < n; i++)
        if (argc >= 2 && strcmp(argv[1], commands[i].name) == 0)
            break;
    if (i == n || argc - 2 < commands[i].args) {
        fprintf(stderr, "usage: probe-instance COMMAND ARGS... (see the source)\n");
        return 22;
    }
    char **a = argv + 2;
    const char *c = commands[i].name;
    if (strcmp(c, "have-devtmpfs") == 0) {
        printf("%s\n", devfs_have_devtmpfs() ? "yes" : "no");
        return 0;
    }
    if (strcmp(c, "devfs-mount") == 0)
        return cmd_devfs_mount(a);
    if (strcmp(c, "devfs-sync") == 0)
        return cmd_devfs_sync(a);
    if (strcmp(c, "tmp-clean") == 0)
        return cmd_tmp_clean(a);
    if (strcmp(c, "tmp-tmpfs") == 0)
        return report(tmp_mount_tmpfs(a[0]), a[0], NULL);
    if (strcmp(c, "tmp-bind") == 0)
        return report(tmp_bind(a[0], a[1]), a[0], NULL);
    if (strcmp(c, "swap-check") == 0)
        return cmd_swap_check(a);
    if (strcmp(c, "mkswap") == 0)
        return cmd_mkswap(a, argc - 2);
    if (strcmp(c, "swap-file") == 0)
        return cmd_swap_file(a);
    return report(swap_on(a[0]), a[0], NULL);
}
