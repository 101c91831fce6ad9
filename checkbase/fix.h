/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The safe fixes of --fix, on a directory only. No data is destroyed implicitly: what a fix
 * replaces or removes is first moved or copied to FIX_BACKUP_DIR inside the target (mode
 * 0700), which the backup-left check then reports until the admin deletes it. Random seeds
 * are the exception: they are state with no value outside the machine that made them.
 */
#pragma once

#include <stddef.h>

#include "finding.h"

#define FIX_BACKUP_DIR "/var/backups/sharedroot-check-base"

/* Copy the file to the backup, then replace it by an empty file with its mode, owner and
 * xattrs (new file, fsync, rename over it: never written in place, so other hard links to
 * it keep their content). A symlink is not followed: not fixed. (machine-id, hostname) */
int fix_empty_file(int rootfd, const struct finding *f, char *what, size_t n);
/* Move the file to the backup and put a symlink to /etc/machine-id in its place. */
int fix_link_machine_id(int rootfd, const struct finding *f, char *what, size_t n);
/* Move an ssh host key and its .pub to the backup. */
int fix_move_ssh_key(int rootfd, const struct finding *f, char *what, size_t n);
/* Delete the file (random seeds). */
int fix_remove(int rootfd, const struct finding *f, char *what, size_t n);
/* Create the missing directory (mode 0755) and its parents. */
int fix_mkdir(int rootfd, const struct finding *f, char *what, size_t n);
