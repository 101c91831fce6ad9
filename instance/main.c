// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-instance: creates, clones, resets, backs up and restores the per-instance disks
 * of sharedroot guests. See docs/sharedroot-instance.8.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "log.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} commands[] = {
    {"create", cmd_create, "make a new instance image, already claimed, with files in its /etc"},
    {"clone", cmd_clone, "copy an instance without its identity (machine-id, host keys, name)"},
    {"status", cmd_status, "show what an instance overrides of the base, per path"},
    {"reset", cmd_reset, "drop an instance's version of paths so that the base shows through"},
    {"backup", cmd_backup, "write an instance's own state to a pax archive"},
    {"restore", cmd_restore, "make an instance image from such an archive"},
};

static int usage(int status)
{
    FILE *f = status ? stderr : stdout;

    fprintf(f, "Usage: sharedroot-instance COMMAND [OPTIONS] ...\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\nsharedroot-instance COMMAND --help shows a command's options;\n"
               "the manual is sharedroot-instance(8).\n");
    return status;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;

    umask(022);
    log_set_program("sharedroot-instance");
    if (!cmd)
        return usage(2);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return usage(0);
    if (strcmp(cmd, "--version") == 0) {
        printf("sharedroot-instance %s\n", SHAREDROOT_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--verbose") == 0 || strcmp(cmd, "-v") == 0) {
        log_set_debug(true);
        argv++, argc--;
        cmd = argc > 1 ? argv[1] : NULL;
        if (!cmd)
            return usage(2);
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    log_error("'%s' is not a command (see sharedroot-instance --help)", cmd);
    return 2;
}
