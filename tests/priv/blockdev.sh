#!/bin/bash
# Privileged tests of mounts/blockdev.c through tests/probe-mounts: resolving root= specs
# (path, UUID=, LABEL=, PARTUUID=, PARTLABEL=) against real loop devices, and fstype probing.
# $1 = the build dir (containing tests/). Needs root and loop devices.
set -u
B=${1:?usage: blockdev.sh BUILDDIR}
P=$B/tests/probe-mounts
ENOENT=2 ENOTBLK=15 ENOTUNIQ=76

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# check NAME EXPECTED_STATUS EXPECTED_OUTPUT -- command...
check() {
    local name=$1 want_rc=$2 want_out=$3 out rc
    shift 4
    out=$("$@" 2>"$T/err"); rc=$?
    if [ "$rc" -eq "$want_rc" ] && [ "$out" = "$want_out" ]; then
        pass "$name"
    else
        fail "$name" "status $rc (want $want_rc), output '$out' (want '$want_out'): $(cat "$T/err")"
    fi
}

if [ "$(id -u)" -ne 0 ]; then
    skip blockdev "needs root"
    exit 0
fi
if [ ! -x "$P" ]; then
    fail blockdev "$P not built"
    exit 1
fi

T=$(mktemp -d /tmp/sharedroot-blockdev.XXXXXX)
LOOPS=()
cleanup() {
    local l
    for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

# attach FILE [losetup options]: sets LOOP.
attach() {
    local f=$1
    shift
    LOOP=$(losetup --find --show "$@" "$f") || return 1
    LOOPS+=("$LOOP")
}

# Random tags so that images of a concurrent run or the host never match.
U1=$(cat /proc/sys/kernel/random/uuid)
U2=$(cat /proc/sys/kernel/random/uuid)
L1="sr$RANDOM$RANDOM"
L1=${L1:0:16}

truncate -s 8M "$T/ext4.img"
mkfs.ext4 -q -F -U "$U1" -L "$L1" "$T/ext4.img" || { fail blockdev "mkfs.ext4"; exit 1; }
attach "$T/ext4.img" || { skip blockdev "no loop device available"; exit 0; }
EXT4=$LOOP

check resolve_path 0 "$EXT4" -- "$P" resolve "$EXT4"
check resolve_uuid 0 "$EXT4" -- "$P" resolve "UUID=$U1"
check resolve_uuid_case_insensitive 0 "$EXT4" -- "$P" resolve "UUID=${U1^^}"
check resolve_quoted_uuid 0 "$EXT4" -- "$P" resolve "UUID=\"$U1\""
check resolve_label 0 "$EXT4" -- "$P" resolve "LABEL=$L1"
check resolve_label_is_case_sensitive $ENOENT "" -- "$P" resolve "LABEL=${L1^^}X"
check resolve_missing_path_enoent $ENOENT "" -- "$P" resolve /dev/sharedroot-no-such-device
touch "$T/plain"
check resolve_regular_file_enotblk $ENOTBLK "" -- "$P" resolve "$T/plain"
check resolve_char_device_enotblk $ENOTBLK "" -- "$P" resolve /dev/null
check resolve_absent_uuid_enoent $ENOENT "" -- "$P" resolve "UUID=$U2"
check fstype_ext4 0 ext4 -- "$P" fstype "$EXT4"

# A device that appears after a failed lookup is found by the next one (no stale cache).
truncate -s 8M "$T/late.img"
mkfs.ext4 -q -F -U "$U2" "$T/late.img"
check resolve_before_device_appears $ENOENT "" -- "$P" resolve "UUID=$U2"
attach "$T/late.img" && LATE=$LOOP
check resolve_after_device_appears 0 "$LATE" -- "$P" resolve "UUID=$U2"

# devices_wait: times out when the device never comes, returns when it appears meanwhile.
ETIMEDOUT=110
U3=$(cat /proc/sys/kernel/random/uuid)
truncate -s 8M "$T/wait.img"
mkfs.ext4 -q -F -U "$U3" "$T/wait.img"
start=$(date +%s%N)
check wait_times_out $ETIMEDOUT "" -- "$P" wait "UUID=$U3" 300
elapsed=$((($(date +%s%N) - start) / 1000000))
if [ "$elapsed" -ge 300 ] && [ "$elapsed" -lt 3000 ]; then pass wait_timeout_is_bounded; else
    fail wait_timeout_is_bounded "took ${elapsed} ms for a 300 ms timeout"; fi
"$P" wait "UUID=$U3" 10000 >"$T/wait.out" 2>"$T/wait.err" &
waiter=$!
sleep 0.5
attach "$T/wait.img" && WAITDEV=$LOOP
if wait "$waiter" && [ "$(cat "$T/wait.out")" = "$WAITDEV" ]; then pass wait_sees_device_appear; else
    fail wait_sees_device_appear "$(cat "$T/wait.err")"; fi

# A clone of the disk: the same UUID twice must not silently pick one.
cp "$T/ext4.img" "$T/clone.img"
attach "$T/clone.img" && CLONE=$LOOP
check resolve_duplicate_uuid_enotuniq $ENOTUNIQ "" -- "$P" resolve "UUID=$U1"
check resolve_duplicate_label_enotuniq $ENOTUNIQ "" -- "$P" resolve "LABEL=$L1"
losetup -d "$CLONE"

# dax facts (sharedroot.dax=auto): a loop device offers no dax; the block size libblkid
# reports is the filesystem's (the 8 MiB ext4 above has 1 KiB blocks, this one 4 KiB)
check dax_loop_device_no_dax_1k_blocks 0 "0 1024" -- "$P" dax "$EXT4"
truncate -s 8M "$T/ext4-4k.img"
mkfs.ext4 -q -F -b 4096 "$T/ext4-4k.img" && attach "$T/ext4-4k.img" &&
    check dax_ext4_4k_blocks 0 "0 4096" -- "$P" dax "$LOOP"

# fstype of read-only formats and of an empty device.
mkdir -p "$T/tree/etc"
echo base >"$T/tree/etc/issue"
if mkfs.erofs -q "$T/erofs.img" "$T/tree" >/dev/null 2>&1 || mkfs.erofs "$T/erofs.img" "$T/tree" >/dev/null 2>&1; then
    attach "$T/erofs.img" && check fstype_erofs 0 erofs -- "$P" fstype "$LOOP"
else
    skip fstype_erofs "mkfs.erofs failed"
fi
if mksquashfs "$T/tree" "$T/squash.img" -quiet -noappend >/dev/null 2>&1; then
    attach "$T/squash.img" && check fstype_squashfs 0 squashfs -- "$P" fstype "$LOOP"
else
    skip fstype_squashfs "mksquashfs failed"
fi
truncate -s 4M "$T/zero.img"
attach "$T/zero.img" && check fstype_of_blank_device_enoent $ENOENT "" -- "$P" fstype "$LOOP"

# GPT partitions: PARTUUID= and PARTLABEL= come from the partition table, not the filesystem.
if command -v sfdisk >/dev/null; then
    PU=$(cat /proc/sys/kernel/random/uuid)
    PL="shared-root-$RANDOM"
    truncate -s 16M "$T/gpt.img"
    printf 'label: gpt\nstart=2048, size=8192, uuid=%s, name="%s"\nstart=10240, size=8192\n' \
        "$PU" "$PL" | sfdisk -q "$T/gpt.img" >/dev/null
    attach "$T/gpt.img" -P && GPT=$LOOP
    # Some kernels do not scan a fresh loop device (partscan set, no partitions appear).
    [ -e "/sys/class/block/${GPT#/dev/}p1" ] || partx -a "$GPT" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b "${GPT}p1" ] && break; sleep 0.2; done
    if [ -b "${GPT}p1" ]; then
        check resolve_partuuid 0 "${GPT}p1" -- "$P" resolve "PARTUUID=$PU"
        check resolve_partuuid_upper_case 0 "${GPT}p1" -- "$P" resolve "PARTUUID=${PU^^}"
        check resolve_partlabel 0 "${GPT}p1" -- "$P" resolve "PARTLABEL=$PL"
        check resolve_partlabel_quoted 0 "${GPT}p1" -- "$P" resolve "PARTLABEL=\"$PL\""
        check resolve_absent_partlabel_enoent $ENOENT "" -- "$P" resolve "PARTLABEL=${PL}x"
        # a partitioned disk where a filesystem was expected (root=/dev/vda on a cloud
        # image): its table, each partition with what it holds, the partition to name
        check fstype_of_partitioned_disk_enoent $ENOENT "" -- "$P" fstype "$GPT"
        if mkfs.ext4 -q -F -L "p$L1" "${GPT}p2" 2>/dev/null; then
            PU2=$(blkid -p -s PART_ENTRY_UUID -o value "${GPT}p2")
            FU2=$(blkid -p -s UUID -o value "${GPT}p2")
            check ptable_lists_partitions_and_picks_the_filesystem 0 "gpt
${GPT}p1: no filesystem found, PARTUUID=$PU, PARTLABEL=$PL
${GPT}p2: ext4, LABEL=p$L1, UUID=$FU2, PARTUUID=$PU2
pick: root=${GPT}p2, root=PARTUUID=$PU2 or root=LABEL=p$L1" -- "$P" ptable "$GPT"
        else
            fail ptable_lists_partitions_and_picks_the_filesystem "mkfs.ext4 ${GPT}p2"
        fi
        check ptable_of_a_filesystem_enoent $ENOENT "" -- "$P" ptable "$EXT4"
    else
        skip resolve_partuuid "no partition node ${GPT}p1 appeared"
    fi
else
    skip resolve_partuuid "sfdisk (util-linux fdisk package) not installed"
fi
