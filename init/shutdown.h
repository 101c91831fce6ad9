/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The return to the initramfs at shutdown (systemd's "exitrd", as dracut provides it).
 *
 * At the switch, the init keeps itself and the libraries it runs with (hard links inside the
 * initramfs: nothing is copied) in a directory that becomes /run/initramfs of the booted
 * system. At shutdown, systemd-shutdown kills every process, pivots into /run/initramfs (the
 * old root at /oldroot) and executes /run/initramfs/shutdown VERB, which is this init in
 * shutdown mode: it unmounts the overlays, the instance filesystems, the base bind and the
 * base, in that order, syncs, and powers off, reboots or halts as asked. Only what the real
 * system cannot do itself (its own /etc, /var and the instance disk below them are busy until
 * the end) is done here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "context.h"

#define SHUTDOWN_DIR "/run/initramfs"       /* where systemd looks for the shutdown program */
#define SHUTDOWN_KEEP "/.sharedroot-exitrd" /* in the initramfs, until it is moved there */
#define SHUTDOWN_OLDROOT "/oldroot"         /* where systemd-shutdown leaves the old root */

/* At the switch, before the initramfs is freed: keep the init and the files it is mapped from
 * in SHUTDOWN_KEEP, made a mount of its own (freeing the initramfs does not enter other mounts).
 * Only when wanted (sharedroot.shutdown=auto: the real init is systemd; on; off). Says what it
 * costs. A failure is a warning: the boot goes on without a shutdown program. */
void shutdown_keep(struct boot_ctx *ctx);

/* After /run was moved into the new root and the initramfs was freed (which leaves the kept
 * mount alone), before the new root becomes /: move the kept directory to
 * SYSROOT/run/initramfs. */
void shutdown_publish(struct boot_ctx *ctx);

/* The shutdown program, for verb (poweroff, reboot, halt, kexec). As PID 1 it never returns.
 * As a test run (not PID 1) it only unmounts what is below oldroot and says what it would do;
 * returns the exit status (0 all unmounted, 1 some detached lazily). */
int shutdown_main(const char *verb, const char *oldroot);

/* Was this program started as /run/initramfs/shutdown by the real system's shutdown? */
bool shutdown_invoked(const char *argv0);

/* Before the switch, when the real init is systemd: tell it to leave the mounts of the boot
 * (the overlays, /tmp, everything below /run/sharedroot) alone when it stops units at
 * shutdown. They stay busy until every process is gone, so stopping them fails ("Failed
 * unmounting var.mount"); the shutdown program unmounts them after systemd-shutdown. Done by
 * runtime mount units, /run/systemd/system/UNIT.mount, with DefaultDependencies=no (no
 * Conflicts=umount.target), as systemd does itself for /, /usr and /run/initramfs. */
void shutdown_mark_mounts(struct boot_ctx *ctx);

/* --- pure parts, for tests */

/* sharedroot.shutdown= (NULL: not given): SHUTDOWN_AUTO (keep the shutdown program when the
 * real init is systemd), SHUTDOWN_ON, SHUTDOWN_OFF, or -EINVAL. */
enum { SHUTDOWN_AUTO, SHUTDOWN_ON, SHUTDOWN_OFF };
int shutdown_mode_parse(const char *value);

/* The systemd unit name of a mount point (systemd-escape --path --suffix=mount): "/" is "-",
 * "/var/lib" is "var-lib", '-' and every byte but letters, digits, ':', '_' and '.' (not
 * first) become \xNN. -EINVAL for a relative path, -ENAMETOOLONG. */
int shutdown_unit_name(const char *path, char *out, size_t n);

/* The reboot(2) command of a verb; -EINVAL for an unknown verb. "exit" (containers) is
 * poweroff. */
int shutdown_verb_command(const char *verb, int *cmd);

/* The file a line of /proc/PID/maps is mapped from: 1 and the path in out, 0 for an
 * anonymous or special mapping ([heap], [vdso], a deleted file), -ENAMETOOLONG. */
int shutdown_maps_path(const char *line, char *out, size_t n);

/* true when path is prefix itself or below it ("/oldroot/etc" is below "/oldroot"; "/oldrootx"
 * is not). */
bool shutdown_path_below(const char *path, const char *prefix);
