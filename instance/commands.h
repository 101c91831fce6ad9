/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The subcommands of sharedroot-instance: each gets argv from the subcommand's name on and
 * returns the exit status (0 done, 1 failed or refused, 2 bad usage). */
#pragma once

int cmd_create(int argc, char **argv);
int cmd_clone(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_reset(int argc, char **argv);
