#!/bin/bash
# sharedroot.hostname= is built into sharedroot-init (init/hostname.c): test runs in private
# mount namespaces against loop devices, with the default hook dir (no hooks at all). A fresh
# instance is named; an instance with its own /etc/hostname, or one that deleted it (a
# whiteout), keeps it and the boot says so; an invalid name is refused; sharedroot=off, an
# overlay list without /etc and a missing key say what they did. A base /etc/hostname does
# not count as the instance's own name.
# $1 = the build dir (containing init/sharedroot-init). Needs root.
set -u
B=${1:?usage: hostname.sh BUILDDIR}
INIT=$(cd "$(dirname "$B/init/sharedroot-init")" 2>/dev/null && pwd)/sharedroot-init

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need hostname mkfs.ext4 debugfs losetup unshare
[ -x "$INIT" ] || { fail hostname "$INIT not built"; exit 1; }
T=$(mktemp -d /tmp/sharedroot-hostname.XXXXXX)
trap 'loop_detach_all; rm -rf "$T"' EXIT

BL=srhn$$
mkdir -p "$T"/tree/{bin,sbin,etc,var,tmp,run,proc,sys,dev} "$T/sysroot"
cp /usr/bin/busybox "$T/tree/bin/busybox"
ln -s /bin/busybox "$T/tree/sbin/init"
echo base-host >"$T/tree/etc/hostname"
mkfs.ext4 -q -F -L "$BL" -d "$T/tree" "$T/base.img" 16M
loop_attach "$T/base.img" || { skip hostname "no loop device"; exit 0; }
new_instance() { # -> INSTDEV, INSTIMG: an empty ext4
    INSTIMG=$T/inst$1.img
    mkfs.ext4 -q -F "$INSTIMG" 16M
    loop_attach "$INSTIMG"
    INSTDEV=$LOOP
}

# run CMDLINE [AFTER]: a test run up to the overlay stage (whose end names the instance) in a
# private namespace with its own /run; AFTER runs there with the init's mounts in place.
run() {
    echo "$1" >"$T/cmdline"
    # shellcheck disable=SC2016  # the script's variables come from its environment
    AFTER=${2:-true} OUT=$T/out AOUT=$T/after unshare -m --propagation private bash -c '
        mount -t tmpfs tmpfs /run || exit 99
        "$@" >"$OUT" 2>&1; echo $? >"$OUT.rc"
        (eval "$AFTER") >"$AOUT" 2>&1' - \
        "$INIT" --cmdline "$T/cmdline" --sysroot "$T/sysroot" --until overlay
    RC=$(cat "$T/out.rc")
}
has() { grep -q -- "$1" "$T/out"; }

new_instance 1
# the base has /etc/hostname (check-base warns about that): not the instance's own name
run "root=LABEL=$BL sharedroot.instance=$INSTDEV sharedroot.hostname=web-1" \
    "cat $T/sysroot/etc/hostname"
check hostname_names_a_fresh_instance bash -c "[ $RC = 0 ] && [ \"\$(debugfs -R 'cat /overlay/etc/upper/hostname' '$INSTIMG' 2>/dev/null)\" = web-1 ]"
check hostname_fresh_is_said has "fresh instance: host name set to web-1"
check hostname_is_seen_through_the_overlay grep -qx web-1 "$T/after"

run "root=LABEL=$BL sharedroot.instance=$INSTDEV sharedroot.hostname=other-2"
check hostname_keeps_an_instance_own_name bash -c "[ $RC = 0 ] && [ \"\$(debugfs -R 'cat /overlay/etc/upper/hostname' '$INSTIMG' 2>/dev/null)\" = web-1 ]"
check hostname_kept_is_said has "has its own /etc/hostname (web-1); keeping it, ignoring sharedroot.hostname=other-2"

# the guest deletes its /etc/hostname: a whiteout in the upper dir is its choice too
run "root=LABEL=$BL sharedroot.instance=$INSTDEV" "rm $T/sysroot/etc/hostname && echo removed"
check hostname_without_the_key_says_nothing bash -c "grep -qx removed '$T/after' && ! grep -qF -e 'host name' -e 'sharedroot.hostname' '$T/out'"
run "root=LABEL=$BL sharedroot.instance=$INSTDEV sharedroot.hostname=third-3" \
    "cat $T/sysroot/etc/hostname; echo rc=\$?"
check hostname_keeps_a_deleted_name bash -c "grep -q '(deleted); keeping it' '$T/out' && grep -q 'rc=1' '$T/after'"

new_instance 2
run "root=LABEL=$BL sharedroot.instance=$INSTDEV sharedroot.hostname=bad;name"
check hostname_refuses_an_invalid_name bash -c "[ $RC = 0 ] && grep -q 'not a valid host name' '$T/out'"
check hostname_invalid_writes_nothing bash -c "[ -z \"\$(debugfs -R 'cat /overlay/etc/upper/hostname' '$INSTIMG' 2>/dev/null)\" ]"
run "root=LABEL=$BL sharedroot.instance=$INSTDEV sharedroot.hostname=-lead"
check hostname_refuses_a_leading_hyphen grep -q 'a label starts with' "$T/out"

run "root=LABEL=$BL sharedroot.instance=$INSTDEV sharedroot.overlay=/var sharedroot.hostname=web-4"
check hostname_without_an_etc_overlay_says_so bash -c "[ $RC = 0 ] && grep -q '/etc is not overlaid' '$T/out'"
check hostname_still_unset_on_the_second_instance bash -c "[ -z \"\$(debugfs -R 'cat /overlay/etc/upper/hostname' '$INSTIMG' 2>/dev/null)\" ]"

run "root=LABEL=$BL sharedroot=off sharedroot.hostname=web-5"
check hostname_with_sharedroot_off_says_so bash -c "[ $RC = 0 ] && grep -q 'sharedroot=off: no /etc overlay' '$T/out'"

run "root=LABEL=$BL sharedroot.hostname=vol-6" "cat $T/sysroot/etc/hostname"
check hostname_names_a_volatile_guest bash -c "[ $RC = 0 ] && grep -qx vol-6 '$T/after'"
