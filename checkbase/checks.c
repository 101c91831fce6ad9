// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The table of checks. Wording matters here: "problem" is read by an admin deciding whether
 * to ship the image, "fix" by the one who has to repair it.
 */
#include "checks.h"

#include <errno.h>

#include "check-fs.h"
#include "check-fstab.h"
#include "check-identity.h"
#include "check-services.h"
#include "check-sharedroot.h"
#include "fix.h"
#include "inroot.h"
#include "log.h"

#define E SEVERITY_ERROR
#define W SEVERITY_WARNING

static const struct check checks[] = {
    /* identity */
    {"machine-id", E, SCOPE_ROOT,
     "every guest booting the base gets this machine-id: journald, DHCP client ids, dbus and "
     "systemd see one machine many times",
     "empty the file (systemd's first-boot convention): each guest then writes its own id "
     "into its /etc overlay",
     check_machine_id, fix_empty_file},
    {"dbus-machine-id", E, SCOPE_ROOT,
     "dbus and libraries read this copy before /etc/machine-id: all guests share its id",
     "replace it with a symlink to /etc/machine-id", check_dbus_machine_id, fix_link_machine_id},
    {"ssh-host-key", E, SCOPE_ROOT,
     "every guest presents the same ssh host key: one stolen key impersonates the fleet and "
     "clients cannot tell the guests apart",
     "remove the host keys from the base and generate them per guest at first boot "
     "(ssh-keygen -A before ssh.service; Debian's sshd does not start without keys)",
     check_ssh_host_keys, fix_move_ssh_key},
    {"hostname", W, SCOPE_ROOT,
     "every guest without its own /etc/hostname boots with the build host's name",
     "empty /etc/hostname in the base; give each guest its name in its own /etc overlay, by "
     "DHCP or with sharedroot.hostname= on the kernel command line",
     check_hostname, fix_empty_file},
    {"resolv-conf", W, SCOPE_ROOT,
     "a static resolv.conf copied from the build host: guests on other networks use its "
     "name servers",
     "symlink it to the file your resolver writes per guest (e.g. "
     "/run/systemd/resolve/stub-resolv.conf) or let the DHCP client write it; not changed "
     "automatically, guests without a resolver would lose DNS",
     check_resolv_conf, NULL},
    {"random-seed", W, SCOPE_ROOT,
     "every guest seeds its random number generator with the same saved seed",
     "delete the seed; each guest saves its own at shutdown into its /var overlay",
     check_random_seed, fix_remove},
    {"backup-left", W, SCOPE_ROOT,
     "files sharedroot-check-base --fix moved aside (ssh host keys, old ids) are still in the "
     "base, readable by every guest's root",
     "check them and delete " FIX_BACKUP_DIR " before sharing the base", check_backup_left, NULL},
    /* filesystem */
    {"fs-needs-recovery", E, SCOPE_IMAGE,
     "the journal holds transactions that were never replayed; guests mount the base with "
     "replay disabled and see the filesystem as it was before them, possibly inconsistent",
     "replay and check a copy: cp IMAGE COPY && e2fsck -fy COPY (xfs: xfs_repair COPY; or "
     "mount and unmount the copy read-write), then share the copy",
     check_fs_needs_recovery, NULL},
    {"fs-orphans", W, SCOPE_IMAGE,
     "deleted-but-open files wait in the orphan list; read-only guests never free them",
     "run e2fsck -fy on a copy of the image and share the copy", check_fs_orphans, NULL},
    {"fs-errors", E, SCOPE_IMAGE,
     "the kernel recorded errors in this filesystem; every guest reads the damage",
     "run e2fsck -fy on a copy of the image, check the result, share the copy", check_fs_errors,
     NULL},
    {"fs-incompat-feature", E, SCOPE_IMAGE,
     "the filesystem uses features Linux 6.1 (Debian 12's kernel) cannot mount: guests with "
     "such a kernel do not boot",
     "recreate the filesystem without them (mkfs.ext4 -O ^FEATURE) on a copy, or boot guests "
     "with a kernel that knows them",
     check_fs_incompat, NULL},
    {"fs-ro-compat-feature", W, SCOPE_IMAGE,
     "the filesystem uses features Linux 6.1 mounts read-only only: fine for the base, but "
     "maintenance with sharedroot=off cannot remount it read-write",
     "tune2fs -O ^FEATURE on a copy, or maintain the image with a newer kernel", check_fs_ro_compat,
     NULL},
    /* mounts */
    {"fstab-root-rw", E, SCOPE_ROOT,
     "/etc/fstab mounts / read-write: systemd-remount-fs (or mount -a) tries to make the "
     "shared base writable, fails, and the boot is degraded",
     "add ro to the options of the / line (sharedroot-init mounts the base read-only)",
     check_fstab_root_rw, NULL},
    {"fstab-growfs", W, SCOPE_ROOT,
     "the / line has x-systemd.growfs (cloud images have it): at every boot of every guest "
     "systemd-growfs tries to grow the shared base, which is read-only, and the unit fails",
     "remove x-systemd.growfs from the / line; grow the image on the host (a copy: truncate, "
     "e2fsck -f, resize2fs) when the base needs room",
     check_fstab_growfs, NULL},
    {"fstab-remount", E, SCOPE_ROOT,
     "an fstab entry remounts a filesystem; on the shared base that means making it writable",
     "remove the remount option or the line", check_fstab_remount, NULL},
    {"fstab-swap", E, SCOPE_ROOT,
     "swap listed in the base is activated by every guest: a shared swap device is written by "
     "all of them at once, a swap file on the base cannot be used",
     "remove the line; swap belongs to each instance (sharedroot's tmp-swap stage or the "
     "instance's own fstab)",
     check_fstab_swap, NULL},
    {"fstab-device-name", W, SCOPE_ROOT,
     "kernel disk names (sdX, vdX, xvdX, nvmeX) depend on the hypervisor and the order of "
     "disks: the same line names different disks in different guests",
     "name the filesystem by UUID= or LABEL=", check_fstab_device_name, NULL},
    {"fstab-base-rw", E, SCOPE_ROOT,
     "/etc/fstab mounts a partition of the shared disk itself read-write (a cloud image's "
     "/boot/efi): every guest mounts the same filesystem read-write at once and corrupts it; "
     "on a disk attached read-only the mount fails and the boot is degraded",
     "add ro (or noauto) to the line's options, or remove the line; a filesystem a guest "
     "writes belongs on its instance disk (see sharedroot-layout(5))",
     check_fstab_base_rw, NULL},
    /* services */
    {"service-path", W, SCOPE_ROOT,
     "a service needs this path at boot; where the base provides it read-only (no overlay on "
     "it) the service fails",
     "create it in the base", check_service_paths, fix_mkdir},
    {"unit-state-dir", W, SCOPE_ROOT,
     "systemd creates StateDirectory= under /var/lib at unit start; on a base whose /var is not "
     "overlaid the parent must already exist or the unit fails",
     "create the directory in the base", check_unit_state_dirs, fix_mkdir},
    /* sharedroot itself */
    {"layout", E, SCOPE_ROOT,
     "sharedroot-init cannot read the layout file and stops the boot in the instance stage",
     "correct the entry (see sharedroot-layout(5))", check_layout, NULL},
    {"overlay-dir", E, SCOPE_ROOT,
     "sharedroot-init overlays this directory of the base (/etc and /var, or those the layout "
     "file names); without it the overlay stage fails",
     "create the directory in the base", check_overlay_dirs, NULL},
    {"init", E, SCOPE_ROOT,
     "sharedroot-init hands over to this program after the switch; the boot ends in the "
     "emergency shell without it",
     "install an init (systemd-sysv, sysvinit-core, busybox) or pass the right one with "
     "--init and init= on the kernel command line",
     check_init, NULL},
};

#undef E
#undef W

const struct check *checks_table(size_t *n)
{
    *n = sizeof(checks) / sizeof(*checks);
    return checks;
}

const char *severity_name(enum severity s)
{
    return s == SEVERITY_ERROR ? "error" : "warning";
}

int checks_run(struct check_ctx *ctx)
{
    int first = 0;
    for (size_t i = 0; i < sizeof(checks) / sizeof(*checks); i++) {
        const struct check *c = &checks[i];
        if (c->scope == SCOPE_ROOT && ctx->rootfd < 0)
            continue;
        int r = c->run(ctx, c);
        if (r < 0 && !first)
            first = r;
    }
    return first;
}

int check_read(struct check_ctx *ctx, const char *path, size_t max, char **ret, size_t *ret_len)
{
    int r = inroot_read(ctx->rootfd, path, max, ret, ret_len);
    /* A symlink loop fails for the guest's programs as a missing file does. */
    if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)
        return 0;
    if (r == -EINVAL)
        return log_error_errno(r, "%s in %s is not a regular file; check it by hand", path,
                               ctx->target);
    if (r == -EFBIG)
        return log_error_errno(r,
                               "%s in %s is larger than %zu bytes, more than such a file ever "
                               "holds; not read (check it by hand: a sparse or runaway file?)",
                               path, ctx->target, max);
    if (r < 0)
        return log_error_errno(r, "Cannot read %s in %s: %m", path, ctx->target);
    return 1;
}

static int stat_result(struct check_ctx *ctx, const char *path, int r)
{
    if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)
        return 0;
    if (r < 0)
        return log_error_errno(r, "Cannot stat %s in %s: %m", path, ctx->target);
    return 1;
}

int check_lstat(struct check_ctx *ctx, const char *path, struct stat *st)
{
    return stat_result(ctx, path, inroot_lstat(ctx->rootfd, path, st));
}

int check_stat(struct check_ctx *ctx, const char *path, struct stat *st)
{
    return stat_result(ctx, path, inroot_stat(ctx->rootfd, path, st));
}
