/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a run leaves on disk while it works: the image being written beside the output
 * (".NAME.XXXXXX", renamed over NAME when complete) and the staging directory
 * ("$TMPDIR/sharedroot-mkinitramfs.XXXXXX"). A failing run removes them itself; SIGINT,
 * SIGTERM and SIGHUP remove them in a handler (async-signal-safe calls only) before the
 * signal ends the run; and what a run killed outright (SIGKILL, a crash, power loss) left is
 * removed by a later run, carefully: only names of our own pattern, only regular files
 * (temporary images) or directories (staging) owned by the user running us, never through a
 * symlink, only when older than LEFTOVER_MIN_AGE and not locked by a run still at work (a
 * run holds a flock on each of its own while it works).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define LEFTOVER_MIN_AGE (10 * 60) /* seconds */
#define STAGING_PREFIX "sharedroot-mkinitramfs."

/* Catch SIGINT, SIGTERM and SIGHUP for the rest of the run (those not ignored at start). */
int leftovers_install(void);

/* The temporary file / staging directory that the handler removes (NULL: none), and the
 * child it kills first (0: none). Signals are held while the record changes. */
void leftovers_set_file(const char *path);
void leftovers_set_dir(const char *path);
void leftovers_set_child(pid_t pid);
/* fork(), with the child recorded (in the parent) before a signal can miss it. */
pid_t leftovers_fork(void);

/* Create a unique temporary file from template (mkostemp) or directory (mkdtemp), record it
 * for the handler, and lock it (flock) so that no other run takes it for a leftover.
 * Returns an fd that holds the lock (for the file: open for writing), or negative errno. */
int leftovers_mkstemp(char *template);
int leftovers_mkdtemp(char *template);

/* True when name is prefix followed by exactly six mkstemp characters ([A-Za-z0-9]) and
 * nothing else. Pure. */
bool leftovers_name_matches(const char *name, const char *prefix);

/* Remove the leftovers of earlier runs in dir: entries named prefix + XXXXXX that are
 * regular files (want_dirs false) or directories (true), as described above. Returns the
 * number removed, or negative errno when dir cannot be read; reports each on stderr. */
int leftovers_clean_stale(const char *dir, const char *prefix, bool want_dirs);
