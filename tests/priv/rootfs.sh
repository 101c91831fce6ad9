#!/bin/bash
# Privileged tests of mounts/rootfs.c through tests/probe-mounts: the shared root is mounted
# read-only, its block device is set read-only, and the kernel writes nothing to it, not even
# with a dirty journal and a pending orphan list (which a plain "mount -o ro" replays).
# $1 = the build dir (containing tests/). Needs root, loop devices and mount namespaces.
set -u
B=${1:?usage: rootfs.sh BUILDDIR}
P=$B/tests/probe-mounts

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    skip rootfs "needs root"
    exit 0
fi
if [ ! -x "$P" ]; then
    fail rootfs "$P not built"
    exit 1
fi

T=$(mktemp -d /tmp/sharedroot-rootfs.XXXXXX)
LOOPS=()
# BLKROSET outlives losetup -d: the next user of the loop device would find it read-only.
detach() {
    blockdev --setrw "$1" 2>/dev/null
    losetup -d "$1" 2>/dev/null
}
cleanup() {
    local l
    for l in "${LOOPS[@]}"; do detach "$l"; done
    rm -rf "$T"
}
trap cleanup EXIT

attach() { # FILE [losetup options]: sets LOOP
    local f=$1
    shift
    LOOP=$(losetup --find --show "$@" "$f") || return 1
    LOOPS+=("$LOOP")
}

# in_ns SCRIPT: run SCRIPT under bash in a private mount namespace (mounts vanish with it).
in_ns() { unshare -m --propagation private bash -c "$1"; }

mkdir -p "$T/mnt" "$T/tree/etc"
echo base >"$T/tree/etc/issue"

# --- a clean ext4 base: read-only mount, read-only device, noload ---
truncate -s 16M "$T/base.img"
mkfs.ext4 -q -F -d "$T/tree" "$T/base.img" || { fail rootfs "mkfs.ext4 -d"; exit 1; }
attach "$T/base.img" || { skip rootfs "no loop device available"; exit 0; }
BASE=$LOOP

out=$(in_ns "
    '$P' mount '$BASE' ext4 '$T/mnt' || exit 10
    cat '$T/mnt/etc/issue' || exit 11
    touch '$T/mnt/new' 2>&1 && exit 12
    grep \" $T/mnt \" /proc/self/mounts
" 2>&1)
rc=$?
case $rc in
0) pass mount_ext4_reads_files ;;
*) fail mount_ext4_reads_files "status $rc: $out" ;;
esac
if echo "$out" | grep -q "Read-only file system"; then pass mount_ext4_write_fails_erofs; else
    fail mount_ext4_write_fails_erofs "$out"; fi
if echo "$out" | grep -qE " ext4 ro[ ,]"; then pass mount_ext4_is_ro; else fail mount_ext4_is_ro "$out"; fi
if echo "$out" | grep -qE "norecovery|noload"; then pass mount_ext4_has_noload; else
    fail mount_ext4_has_noload "$out"; fi
if [ "$(blockdev --getro "$BASE")" = 1 ]; then pass mount_sets_device_readonly; else
    fail mount_sets_device_readonly "blockdev --getro $BASE = $(blockdev --getro "$BASE")"; fi

# --- a base on a partition of a disk (a distribution's disk image): the whole disk is made
# read-only too, so the other partitions of the shared disk (an ESP, /boot) cannot be written
truncate -s 48M "$T/disk.img"
printf 'label: gpt\nstart=2048, size=24M, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709\nsize=8M, type=U\n' |
    sfdisk -q "$T/disk.img" >/dev/null 2>&1
truncate -s 24M "$T/part1.img"
mkfs.ext4 -q -F -d "$T/tree" "$T/part1.img" && dd if="$T/part1.img" of="$T/disk.img" bs=1M seek=1 conv=notrunc status=none
attach "$T/disk.img"
DISK=$LOOP
partx -a "$DISK" 2>/dev/null
for _ in $(seq 1 50); do [ -b "${DISK}p2" ] && break; sleep 0.1; done
if [ ! -b "${DISK}p1" ] || [ ! -b "${DISK}p2" ]; then
    skip partition_base_sets_disk_readonly "no partition devices for $DISK (partx -a)"
else
    esp_before=$(sha256sum <"${DISK}p2")
    if in_ns "'$P' mount '${DISK}p1' ext4 '$T/mnt' && cat '$T/mnt/etc/issue' >/dev/null" 2>"$T/err"; then
        pass partition_base_mounts
    else fail partition_base_mounts "$(cat "$T/err")"; fi
    if [ "$(blockdev --getro "$DISK")" = 1 ] && [ "$(blockdev --getro "${DISK}p1")" = 1 ]; then
        pass partition_base_sets_disk_readonly
    else
        fail partition_base_sets_disk_readonly "blockdev --getro: disk $(blockdev --getro "$DISK"), partition $(blockdev --getro "${DISK}p1")"
    fi
    # the other partition: a write is refused by the kernel
    if dd if=/dev/zero of="${DISK}p2" bs=4096 count=1 oflag=direct status=none 2>/dev/null; then
        fail partition_base_other_partition_unwritable "a write to ${DISK}p2 succeeded"
    else pass partition_base_other_partition_unwritable; fi
    [ "$(sha256sum <"${DISK}p2")" = "$esp_before" ] || fail partition_base_other_partition_unchanged "${DISK}p2 changed"
    blockdev --setrw "${DISK}p1" "${DISK}p2" 2>/dev/null
    partx -d "$DISK" 2>/dev/null
fi

# rootflags: rw refused, harmless options passed through.
if in_ns "'$P' mount '$BASE' ext4 '$T/mnt' rw" 2>"$T/err"; then
    fail mount_refuses_rootflags_rw "mounted"
else pass mount_refuses_rootflags_rw; fi
if in_ns "'$P' mount '$BASE' ext4 '$T/mnt' 'noatime,errors=remount-ro' && grep \" $T/mnt \" /proc/self/mounts | grep -q noatime"; then
    pass mount_passes_rootflags; else fail mount_passes_rootflags; fi
if in_ns "'$P' mount '$BASE' xfs '$T/mnt'" 2>/dev/null; then
    fail mount_wrong_fstype_fails; else pass mount_wrong_fstype_fails; fi

# --- read-only formats ---
if mkfs.erofs -q "$T/erofs.img" "$T/tree" >/dev/null 2>&1 || mkfs.erofs "$T/erofs.img" "$T/tree" >/dev/null 2>&1; then
    attach "$T/erofs.img"
    if in_ns "'$P' mount '$LOOP' erofs '$T/mnt' && grep -q base '$T/mnt/etc/issue'" 2>"$T/err"; then
        pass mount_erofs; else
        if grep -q "No such device" "$T/err"; then skip mount_erofs "kernel has no erofs"; else
            fail mount_erofs "$(cat "$T/err")"; fi
    fi
else
    skip mount_erofs "mkfs.erofs failed"
fi
if mksquashfs "$T/tree" "$T/squash.img" -quiet -noappend >/dev/null 2>&1; then
    attach "$T/squash.img"
    if in_ns "'$P' mount '$LOOP' squashfs '$T/mnt' && grep -q base '$T/mnt/etc/issue'" 2>"$T/err"; then
        pass mount_squashfs; else
        if grep -q "No such device" "$T/err"; then skip mount_squashfs "kernel has no squashfs"; else
            fail mount_squashfs "$(cat "$T/err")"; fi
    fi
else
    skip mount_squashfs "mksquashfs failed"
fi

# --- the safety test: a dirty ext4 is not written by our mount ---
# Journal transactions waiting for replay (needs_recovery) and an orphan list waiting for
# cleanup: a read-only mount by the kernel does both unless told not to.
truncate -s 16M "$T/dirty.img"
mkfs.ext4 -q -F -d "$T/tree" "$T/dirty.img"
dd if=/dev/urandom of="$T/block" bs=4096 count=1 status=none
ino=$(debugfs -R "stat /etc/issue" "$T/dirty.img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
printf 'jo\njw -b 300,301 %s\njc\nset_super_value last_orphan %s\n' "$T/block" "${ino:-12}" \
    >"$T/debugfs.cmds"
debugfs -w -f "$T/debugfs.cmds" "$T/dirty.img" >/dev/null 2>&1
if ! dumpe2fs -h "$T/dirty.img" 2>/dev/null | grep -q needs_recovery; then
    skip dirty_journal_untouched "debugfs could not make a dirty journal"
    exit 0
fi
cp "$T/dirty.img" "$T/control.img"
before=$(sha256sum <"$T/dirty.img")

attach "$T/dirty.img"
DIRTY=$LOOP
if in_ns "'$P' mount '$DIRTY' ext4 '$T/mnt' && cat '$T/mnt/etc/issue' >/dev/null && umount '$T/mnt'" 2>"$T/err"; then
    pass dirty_journal_mounts
else
    fail dirty_journal_mounts "$(cat "$T/err")"
fi
detach "$DIRTY"
sync
after=$(sha256sum <"$T/dirty.img")
if [ "$before" = "$after" ]; then pass dirty_journal_untouched; else
    fail dirty_journal_untouched "image changed by rootfs_mount"; fi

# The control: a plain read-only mount of the same image does write (replay, orphans), so
# the test above can fail.
attach "$T/control.img"
CONTROL=$LOOP
in_ns "mount -t ext4 -o ro '$CONTROL' '$T/mnt' && umount '$T/mnt'" 2>"$T/err"
detach "$CONTROL"
sync
if [ "$(sha256sum <"$T/control.img")" != "$before" ]; then pass plain_ro_mount_writes_control; else
    fail plain_ro_mount_writes_control "plain mount -o ro left the dirty image unchanged: $(cat "$T/err")"; fi
