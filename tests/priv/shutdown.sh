#!/bin/bash
# The shutdown program (sharedroot-init as /run/initramfs/shutdown, init/shutdown.c) as a test
# run (not PID 1: it unmounts and says what it would do, and never reboots), in a private mount
# namespace: an old root laid out as systemd-shutdown leaves it (the base, /run with the
# instance filesystem and the base bind, /etc and /var overlays with their uppers on the
# instance) is unmounted completely, and the instance filesystem is clean afterwards (no
# journal to replay: dumpe2fs, e2fsck -n), where it was not before. An overlay kept busy by a
# process is remounted read-only and detached lazily, and the run says so.
# $1 = the build dir (containing init/sharedroot-init). Needs root.
set -u
B=${1:?usage: shutdown.sh BUILDDIR}
INIT=$(cd "$(dirname "$B/init/sharedroot-init")" 2>/dev/null && pwd)/sharedroot-init

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need shutdown mkfs.ext4 dumpe2fs e2fsck losetup unshare
[ -x "$INIT" ] || { fail shutdown "$INIT not built"; exit 1; }
T=$(mktemp -d /tmp/sharedroot-shutdown.XXXXXX)
trap 'loop_detach_all; rm -rf "$T"' EXIT

mkfs.ext4 -q -F "$T/inst.img" 32M
loop_attach "$T/inst.img" || { skip shutdown "no loop device"; exit 0; }
INST=$LOOP
mkdir -p "$T/base/etc" "$T/base/var/lib" "$T/old"
echo from-the-base >"$T/base/etc/base-file"

# The old root as systemd-shutdown leaves it in /oldroot after pivoting into /run/initramfs,
# then (in the same namespace) the shutdown program. $1: a command to run in the namespace
# before it (in the background, its PID in $T/bg.pid).
run() {
    # shellcheck disable=SC2016  # the script's variables come from its environment
    OLD=$T/old BASE=$T/base INST=$INST OUT=$T/out BG=${1:-} INIT=$INIT VERB=${VERB:-poweroff} \
        unshare -m --propagation private bash -c '
        set -e
        mount -t tmpfs base "$OLD"                    # stands for the read-only base
        mkdir -p "$OLD"/etc "$OLD"/var "$OLD"/run "$OLD"/proc
        mount -t tmpfs run "$OLD/run"
        mount -t proc proc "$OLD/proc"
        mkdir -p "$OLD/run/sharedroot/instance" "$OLD/run/sharedroot/base"
        mount --bind "$BASE" "$OLD/run/sharedroot/base"
        mount -o remount,bind,ro "$OLD/run/sharedroot/base"
        mount "$INST" "$OLD/run/sharedroot/instance"
        I=$OLD/run/sharedroot/instance
        for d in etc var; do
            mkdir -p "$I/overlay/$d/upper" "$I/overlay/$d/work"
            mount -t overlay overlay -o "lowerdir=$OLD/run/sharedroot/base/$d,upperdir=$I/overlay/$d/upper,workdir=$I/overlay/$d/work" "$OLD/$d"
        done
        echo "written by the guest" >"$OLD/etc/guest-file"
        mkdir -p "$OLD/var/lib/app" && date >"$OLD/var/lib/app/stamp"
        dumpe2fs -h "$INST" 2>/dev/null | grep -E "^Filesystem (state|features)" >"$OUT.before"
        set +e
        if [ -n "$BG" ]; then (cd "$OLD/etc" && exec sleep 60) & echo $! >"$OUT.bg"; fi
        "$INIT" --shutdown "${VERB:-poweroff}" --oldroot "$OLD" >"$OUT" 2>&1; echo $? >"$OUT.rc"
        awk -v o="$OLD" "index(\$5, o) == 1" /proc/self/mountinfo >"$OUT.left"
        # while a busy overlay may still hold it: what is on the disk now
        dumpe2fs -h "$INST" 2>/dev/null | grep -E "^Filesystem (state|features)" >"$OUT.after"
        [ -n "$BG" ] && kill "$(cat "$OUT.bg")"
        true'
    RC=$(cat "$T/out.rc" 2>/dev/null || echo 99)
}
has() { grep -q -- "$1" "$T/out"; }
clean() { # the instance disk right after the shutdown program, and the image: no journal to
    # replay, fsck finds nothing
    grep -q '^Filesystem state: *clean$' "$T/out.after" && ! grep -q needs_recovery "$T/out.after" &&
        e2fsck -fn "$T/inst.img" >/dev/null 2>&1
}

run
check shutdown_test_run_succeeds [ "$RC" = 0 ]
check shutdown_instance_was_dirty_before grep -q needs_recovery "$T/out.before"
check shutdown_unmounts_everything_below_the_old_root bash -c "[ ! -s '$T/out.left' ]"
check shutdown_says_all_unmounted_cleanly has "filesystems below $T/old unmounted cleanly; poweroff"
check shutdown_unmounts_overlays_then_the_instance bash -c "
    e=\$(grep -n 'unmounted $T/old/etc\$' '$T/out' | cut -d: -f1)
    i=\$(grep -n 'unmounted $T/old/run/sharedroot/instance\$' '$T/out' | cut -d: -f1)
    b=\$(grep -n 'unmounted $T/old\$' '$T/out' | cut -d: -f1)
    [ -n \"\$e\" ] && [ -n \"\$i\" ] && [ -n \"\$b\" ] && [ \$e -lt \$i ] && [ \$i -lt \$b ]"
check shutdown_test_run_does_not_reboot has "test run: would poweroff"
check shutdown_leaves_the_instance_clean clean
check shutdown_kept_the_guest_data bash -c "debugfs -R 'cat /overlay/etc/upper/guest-file' '$T/inst.img' 2>/dev/null | grep -q 'written by the guest'"

VERB=reboot run
check shutdown_reboot_verb bash -c "[ $RC = 0 ] && grep -q 'test run: would reboot' '$T/out'"
VERB=sideways run
check shutdown_unknown_verb_powers_off bash -c "grep -q \"unknown verb 'sideways'\" '$T/out' && grep -q 'would poweroff' '$T/out'"

# a process keeps /etc busy: read-only and detached, said on the console, status 1
run busy
check shutdown_busy_overlay_status [ "$RC" = 1 ]
check shutdown_busy_overlay_is_said has "$T/old/etc is still busy: remounted read-only, then detached lazily"
check shutdown_busy_overlay_nothing_left_mounted bash -c "[ ! -s '$T/out.left' ]"
check shutdown_busy_overlay_instance_still_clean clean
