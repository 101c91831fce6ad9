#!/bin/bash
# sharedroot-init as an ordinary process (a "test run") inside a private mount namespace,
# against loop devices: the stages early, devices, root and switch (which only reports).
# $1 = the build dir (containing init/sharedroot-init). Needs root.
set -u
B=${1:?usage: init-testrun.sh BUILDDIR}
INIT=$B/init/sharedroot-init

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then skip init-testrun "needs root"; exit 0; fi
[ -x "$INIT" ] || { fail init-testrun "$INIT not built"; exit 1; }

T=$(mktemp -d /tmp/sharedroot-init.XXXXXX)
LOOPS=()
cleanup() {
    for l in "${LOOPS[@]}"; do blockdev --setrw "$l" 2>/dev/null; losetup -d "$l" 2>/dev/null; done
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

LABEL=srtest$$
UUID=$(cat /proc/sys/kernel/random/uuid)
mkdir -p "$T/tree/sbin" "$T/tree/bin" "$T/tree/etc" "$T/tree/var" "$T/tree/tmp" "$T/sysroot"
cp /usr/bin/busybox "$T/tree/bin/busybox"
ln -s /bin/busybox "$T/tree/sbin/init"
echo "#!/bin/sh" >"$T/tree/bin/alt-init"; chmod 755 "$T/tree/bin/alt-init"
mkfs.ext4 -q -F -L "$LABEL" -U "$UUID" -d "$T/tree" "$T/base.img" 16M
LOOP=$(losetup --find --show "$T/base.img"); LOOPS+=("$LOOP")

run() { # cmdline, extra args... ; output in $T/out, status in $RC
    echo "$1" >"$T/cmdline"; shift
    # /run is the init's to fill (/run/sharedroot): give it a private tmpfs like the initramfs's.
    unshare -m --propagation private bash -c 'mount -t tmpfs tmpfs /run && exec "$@"' - \
        "$INIT" --cmdline "$T/cmdline" --sysroot "$T/sysroot" "$@" >"$T/out" 2>&1
    RC=$?
}
has() { grep -q -- "$1" "$T/out"; }

run "root=LABEL=$LABEL ro quiet -- --unit=x"
check testrun_boots_by_label [ $RC -eq 0 ]
check testrun_reports_the_init_and_its_args has "would switch to $T/sysroot and run /sbin/init quiet --unit=x"
check testrun_mounts_with_noload has "mounted read-only at $T/sysroot with 'noload'"
check testrun_logs_stage_timing has "stage root done in [0-9]* ms"
check testrun_prints_the_handoff_line grep -qx 'sharedroot-handoff: v=1 uptime_ms=[0-9]* init_ms=[0-9]* early=[0-9]* devices=[0-9]* root=[0-9]* instance=[0-9]* reconcile=[0-9]* overlay=[0-9]* tmp-swap=[0-9]* switch=[0-9]* mode=volatile' "$T/out"

run "root=UUID=$UUID"
check testrun_boots_by_uuid [ $RC -eq 0 ]
run "root=$LOOP"
check testrun_boots_by_path [ $RC -eq 0 ]

run "root=LABEL=$LABEL init=/bin/alt-init"
check testrun_uses_init_from_cmdline has "run /bin/alt-init"
run "root=LABEL=$LABEL init=/nonexistent"
check testrun_missing_init_falls_back_and_says_so \
    bash -c "grep -q 'init=/nonexistent not found' '$T/out' && grep -q 'run /sbin/init' '$T/out'"

# The mount must be gone with the namespace, and the image untouched.
check testrun_leaves_no_mount_behind bash -c "! grep -q ' $T/sysroot ' /proc/mounts"

run "root=UUID=00000000-dead-beef-0000-000000000000 sharedroot.timeout=1"
check missing_root_fails_with_status_1 [ $RC -eq 1 ]
check missing_root_names_the_spec_and_timeout \
    has "device root=UUID=00000000-dead-beef-0000-000000000000 did not appear within 1 s"
check missing_root_shows_the_failed_stage has "boot failed in stage 'devices'"

run "quiet"
check no_root_is_a_clear_error bash -c "[ $RC -eq 1 ] && grep -q 'no root= on the kernel command line' '$T/out'"
run "root=FOO=bar"
check bad_root_spec_is_a_clear_error bash -c "[ $RC -eq 1 ] && grep -q 'root=FOO=bar cannot be used' '$T/out'"
run "root=LABEL=$LABEL rootflags=rw"
check rootflags_rw_is_refused bash -c "[ $RC -eq 1 ] && grep -q 'rootflags=rw cannot be used' '$T/out'"
run "root=LABEL=$LABEL sharedroot.overlay=/etc,/srv"
check overlay_dir_missing_in_base_is_a_clear_error bash -c "[ $RC -eq 1 ] && grep -q 'overlay /srv: .*/srv does not exist in the base image' '$T/out'"
run "root=LABEL=$LABEL sharedroot.tiemout=3"
check unknown_key_is_reported bash -c "[ $RC -eq 0 ] && grep -q \"unknown option 'sharedroot.tiemout=3'\" '$T/out'"

run "root=LABEL=$LABEL" --until devices
check until_stops_after_the_stage bash -c "[ $RC -eq 0 ] && grep -q 'stopping after stage devices' '$T/out' && ! grep -q 'stage root' '$T/out'"

"$INIT" --until nosuchstage >"$T/out" 2>&1; RC=$?
check unknown_until_stage_is_usage_error bash -c "[ $RC -eq 2 ] && grep -q 'unknown stage' '$T/out'"
"$INIT" --version >"$T/out" 2>&1
check version_prints has "sharedroot-init 0.1.0"
"$INIT" --cmdline /nonexistent/cmdline >"$T/out" 2>&1; RC=$?
check unreadable_cmdline_file_is_an_error bash -c "[ $RC -eq 1 ] && grep -q 'Failed to read the command line from /nonexistent/cmdline' '$T/out'"

check earlier_runs_set_the_device_read_only [ "$(blockdev --getro "$LOOP")" = 1 ]
# sharedroot=off rw: maintenance mount is writable (the only way the base gets written).
# BLKROSET from the runs above outlives them; a real maintenance boot starts fresh.
blockdev --setrw "$LOOP"
run "root=LABEL=$LABEL sharedroot=off rw" --until root
check maintenance_rw_mounts_read_write bash -c "[ $RC -eq 0 ] && grep -q 'mounted READ-WRITE' '$T/out'"

# A failed root mount names its real cause, not a blanket "check rootfstype=": here a read-write
# maintenance mount of a device attached read-only.
cp "$T/base.img" "$T/base-ro.img"
ROLOOP=$(losetup -r --find --show "$T/base-ro.img"); LOOPS+=("$ROLOOP")
run "root=$ROLOOP sharedroot=off rw" --until root
check root_mount_failure_names_the_read_only_device \
    has "$ROLOOP is read-only, and a read-write mount was asked (sharedroot=off rw)"
check root_mount_failure_does_not_blame_rootfstype bash -c "! grep -q 'check rootfstype=' '$T/out'"
