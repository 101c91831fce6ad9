/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device discovery without udevd: coldplug (load the modules for every present device by
 * its MODALIAS, honouring blacklists and softdeps), then raw kernel uevents through a libudev
 * monitor on the "kernel" netlink source until the wanted device appears. Modules are resolved
 * by the module directory's plan (modplan.h, written by sharedroot-mkinitramfs) or, where it
 * has none, by libkmod loaded with dlopen.
 */
#pragma once

#include <stdbool.h>

struct devices;

/* moddir: the module directory to use, NULL for the running kernel's /lib/modules/$(uname -r).
 * With a plan (MODDIR/sharedroot.modplan): its modules, soft dependencies and aliases, and
 * options and blacklists from the kernel command line. Without one, libkmod (dlopen): also
 * the default config dirs (/etc/modprobe.d, ...). A missing module directory, a malformed
 * plan (logged) or a missing libkmod is not an error: every load then returns -ENOENT. */
int devices_new(struct devices **out, const char *moddir);
/* The same, with the log set first (devices_set_log), so that a malformed plan is reported. */
int devices_new_logged(struct devices **out, const char *moddir,
                       void (*fn)(int prio, const char *msg, void *ud), void *ud);
struct devices *devices_free(struct devices *d);

/* Start listening for uevents (before the scan, so no event is missed), then load modules for
 * all devices present now (blacklists apply). Returns the number of modules loaded, or a
 * negative errno when the uevent socket cannot be opened; a module failing to load is only
 * logged. */
int devices_coldplug(struct devices *d);

/* Load a module by name or alias ("overlay", "fs-ext4", "virtio_blk") with its dependencies
 * and softdeps. 0 when loaded or already present or built in; -ENOENT when no module
 * matches (the caller decides whether that matters). */
int devices_load(struct devices *d, const char *name_or_alias);

/* Handle uevents (loading modules for new devices) until ready(userdata) returns true or
 * timeout_ms passes. ready() is called once at the start and after every event batch, and at
 * least every 250 ms. Returns 0 when ready, -ETIMEDOUT on time-out, -EINVAL for a negative
 * timeout. Starts the uevent monitor if coldplug did not; a receive-buffer overflow makes it
 * rescan all devices. */
int devices_wait(struct devices *d, int timeout_ms, bool (*ready)(void *userdata), void *userdata);

/* Number of modules this object inserted so far (dependencies and softdeps included). */
unsigned devices_loaded_count(const struct devices *d);

/* Name of the i-th module inserted (0 <= i < devices_loaded_count), NULL otherwise. */
const char *devices_loaded_name(const struct devices *d, unsigned i);

/* Whether the module directory and its indexes (or its plan) could be loaded. */
bool devices_have_modules(const struct devices *d);

/* Whether modules come from a module plan (not from libkmod). */
bool devices_have_plan(const struct devices *d);

/* Send log lines (this object's and libkmod's) to fn, with syslog priorities. Without it
 * nothing is logged. Each module inserted is logged at LOG_INFO with the alias it was for. */
void devices_set_log(struct devices *d, void (*fn)(int prio, const char *msg, void *ud), void *ud);

/* Resolve, but do not insert: what would be inserted is recorded and counted as loaded.
 * For tests and for listing what a boot would load. */
void devices_set_dry_run(struct devices *d, bool dry_run);
