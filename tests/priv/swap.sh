#!/bin/bash
# Privileged tests of mounts/swap.c through tests/probe-instance: mkswap is refused over an
# ext4 filesystem (not a byte changes), a partition table and a hibernation image; allowed on
# a blank device and over an old swap signature; a swap file is created 0600, full size and
# without holes; swapon works on a loop device and on a file in an ext4 filesystem.
# $1 = the build dir (containing tests/). Needs root, loop devices and mount namespaces.
# Swap areas activated here are system-wide: the trap turns them off again.
set -u
B=${1:?usage: swap.sh BUILDDIR}
P=$B/tests/probe-instance
EPERM=1 EEXIST=17

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    skip swap "needs root"
    exit 0
fi
if [ ! -x "$P" ]; then
    fail swap "$P not built"
    exit 1
fi
if [ -z "${SHAREDROOT_IN_NS:-}" ]; then
    exec unshare -m --propagation private env SHAREDROOT_IN_NS=1 bash "$0" "$@"
fi

T=$(mktemp -d /tmp/sharedroot-swap.XXXXXX)
LOOPS=()
SWAPS=()
cleanup() {
    local s l
    for s in "${SWAPS[@]}"; do swapoff "$s" 2>/dev/null; done
    umount "$T/mnt" 2>/dev/null
    for l in "${LOOPS[@]}"; do
        blockdev --setrw "$l" 2>/dev/null
        losetup -d "$l" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

attach() { # FILE: sets LOOP
    LOOP=$(losetup --find --show "$1") || return 1
    LOOPS+=("$LOOP")
}
# check NAME EXPECTED_STATUS -- command...
check() {
    local name=$1 want=$2 rc
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc -eq "$want" ]; then pass "$name"; else
        fail "$name" "status $rc (want $want): $(cat "$T/out" "$T/err")"; fi
}

truncate -s 16M "$T/ext4.img" "$T/blank.img" "$T/oldswap.img" "$T/pt.img" "$T/hib.img"
mkfs.ext4 -q -F "$T/ext4.img" || { fail swap "mkfs.ext4"; exit 1; }
mkswap "$T/oldswap.img" >/dev/null 2>&1 || { fail swap "mkswap"; exit 1; }
echo 'label: dos' | sfdisk -q "$T/pt.img" >/dev/null 2>&1 ||
    printf '\x55\xaa' | dd of="$T/pt.img" bs=1 seek=510 conv=notrunc status=none
# A swap area holding a hibernation image: the magic at the end of the first page.
mkswap "$T/hib.img" >/dev/null 2>&1
printf 'S1SUSPEND\0' | dd of="$T/hib.img" bs=1 seek=$(($(getconf PAGESIZE) - 10)) conv=notrunc status=none

attach "$T/ext4.img" || { skip swap "no loop device available"; exit 0; }
EXT4=$LOOP
attach "$T/blank.img" && BLANK=$LOOP
attach "$T/oldswap.img" && OLDSWAP=$LOOP
attach "$T/pt.img" && PT=$LOOP
attach "$T/hib.img" && HIB=$LOOP

check swap_check_ext4_eexist $EEXIST -- "$P" swap-check "$EXT4"
if [ "$(cat "$T/out")" = "ext4 filesystem" ]; then pass swap_check_names_ext4; else
    fail swap_check_names_ext4 "'$(cat "$T/out")'"; fi
check swap_check_blank_enoent 2 -- "$P" swap-check "$BLANK"
check swap_check_old_swap_ready 0 -- "$P" swap-check "$OLDSWAP"
check swap_check_partition_table_eexist $EEXIST -- "$P" swap-check "$PT"
check swap_check_hibernation_image_eexist $EEXIST -- "$P" swap-check "$HIB"

sum=$(sha256sum <"$EXT4")
check mkswap_refused_over_ext4 $EEXIST -- "$P" mkswap "$EXT4" --allow
if grep -q "ext4 filesystem" "$T/err"; then pass mkswap_refusal_names_ext4; else
    fail mkswap_refusal_names_ext4 "$(cat "$T/err")"; fi
blockdev --flushbufs "$EXT4"
if [ "$(sha256sum <"$EXT4")" = "$sum" ] && [ "$(sha256sum <"$T/ext4.img")" = "$sum" ]; then
    pass mkswap_leaves_ext4_unchanged; else fail mkswap_leaves_ext4_unchanged; fi
if [ "$(blkid -p -o value -s TYPE "$EXT4")" = ext4 ]; then pass ext4_still_ext4; else fail ext4_still_ext4; fi
sum=$(sha256sum <"$PT")
check mkswap_refused_over_partition_table $EEXIST -- "$P" mkswap "$PT" --allow
if [ "$(sha256sum <"$PT")" = "$sum" ]; then pass mkswap_leaves_partition_table_unchanged; else
    fail mkswap_leaves_partition_table_unchanged; fi
check mkswap_refused_over_hibernation_image $EEXIST -- "$P" mkswap "$HIB" --allow
# Any other filesystem signature is refused too.
if truncate -s 16M "$T/minix.img" && mkfs.minix "$T/minix.img" >/dev/null 2>&1 && attach "$T/minix.img"; then
    sum=$(sha256sum <"$LOOP")
    check mkswap_refused_over_minix $EEXIST -- "$P" mkswap "$LOOP" --allow
    if [ "$(sha256sum <"$LOOP")" = "$sum" ]; then pass mkswap_leaves_minix_unchanged; else
        fail mkswap_leaves_minix_unchanged; fi
else
    skip mkswap_refused_over_minix "no mkfs.minix"
fi

check mkswap_not_allowed_on_blank $EPERM -- "$P" mkswap "$BLANK"
check swap_check_blank_still_blank 2 -- "$P" swap-check "$BLANK"
check mkswap_allowed_on_blank 0 -- "$P" mkswap "$BLANK" --allow
check swap_check_after_mkswap 0 -- "$P" swap-check "$BLANK"
check mkswap_allowed_over_old_swap 0 -- "$P" mkswap "$OLDSWAP" --allow

# swapon of a loop device (system-wide; turned off again right away and by the trap).
SWAPS+=("$BLANK")
"$P" swapon "$BLANK" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ] && grep -q "^$BLANK " /proc/swaps; then
    pass swapon_loop_device
    check swapon_twice_ebusy 16 -- "$P" swapon "$BLANK"
    swapoff "$BLANK"
elif [ $rc -eq 1 ] || [ $rc -eq 38 ]; then
    skip swapon_loop_device "this host does not allow swapon (status $rc: $(cat "$T/err"))"
else
    fail swapon_loop_device "status $rc: $(cat "$T/err")"
fi
check swapon_ext4_einval 22 -- "$P" swapon "$EXT4"

# A swap file on instance storage (ext4).
mkdir "$T/mnt"
truncate -s 64M "$T/inst.img"
mkfs.ext4 -q -F "$T/inst.img"
attach "$T/inst.img" && INST=$LOOP
mount "$INST" "$T/mnt" || { fail swap_file "cannot mount the ext4 image"; exit 1; }
F=$T/mnt/swapfile
check swap_file_created 0 -- "$P" swap-file "$F" 16M
got=$(stat -c '%a %u %s' "$F")
if [ "$got" = "600 0 16777216" ]; then pass swap_file_0600_right_size; else fail swap_file_0600_right_size "$got"; fi
blocks=$(stat -c %b "$F")
if [ $((blocks * 512)) -ge 16777216 ]; then pass swap_file_has_no_holes; else fail swap_file_has_no_holes "$blocks blocks"; fi
echo data >"$T/mnt/existing"
check swap_file_existing_eexist $EEXIST -- "$P" swap-file "$T/mnt/existing" 16M
if [ "$(cat "$T/mnt/existing")" = data ]; then pass swap_file_existing_untouched; else fail swap_file_existing_untouched; fi
check swap_file_bad_size_einval 22 -- "$P" swap-file "$T/mnt/other" 16Q
check swap_file_mkswap 0 -- "$P" mkswap "$F" --allow
SWAPS+=("$F")
"$P" swapon "$F" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ] && grep -q "^$F " /proc/swaps; then
    pass swapon_file
    swapoff "$F"
elif [ $rc -eq 1 ] || [ $rc -eq 38 ]; then
    skip swapon_file "this host does not allow swapon (status $rc: $(cat "$T/err"))"
else
    fail swapon_file "status $rc: $(cat "$T/err")"
fi
