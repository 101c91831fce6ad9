#!/bin/bash
# Privileged tests of sharedroot-check-base on whole-disk images as distributions ship them:
# a GPT cloud-image layout (root partition of the x86-64 root type, BIOS boot, an ESP that
# /etc/fstab mounts read-write as Debian's does: fstab-base-rw), the same image as a block
# device, an MBR image, an image with two root filesystems (refused with the list, then
# --partition), a dirty journal inside a partition, a partition past the end of a truncated
# image, and a qcow2 file (refused with the qemu-img command). Every image is byte-identical
# afterwards and no loop device is left. Partitions are built as files and copied in with dd:
# no udev, no losetup -P. $1 = the build dir (containing checkbase/).
set -u
B=${1:?usage: checkbase-disk.sh BUILDDIR}
S=$B/checkbase/sharedroot-check-base

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ ! -x "$S" ]; then
    fail checkbase_disk "$S not built"
    exit 1
fi
need checkbase_disk sfdisk mkfs.ext4 mkfs.vfat debugfs sha256sum
T=$(mktemp -d /tmp/sharedroot-checkbase-disk.XXXXXX)
trap 'loop_detach_all; rm -rf "$T"' EXIT

run() { # ARGS...: sets OUT (stdout), ERR (stderr), RC
    OUT=$("$S" "$@" 2>"$T/err")
    RC=$?
    ERR=$(cat "$T/err")
}
expect_rc() { # NAME RC
    if [ "$RC" -eq "$2" ]; then pass "$1"; else fail "$1" "exit $RC, expected $2: $OUT $ERR"; fi
}
expect_out() { # NAME PATTERN (grep -E on stdout)
    if echo "$OUT" | grep -qE -- "$2"; then pass "$1"; else fail "$1" "no '$2' in: $OUT $ERR"; fi
}
expect_no_out() { # NAME PATTERN
    if echo "$OUT" | grep -qE -- "$2"; then fail "$1" "'$2' in: $OUT"; else pass "$1"; fi
}
expect_err() { # NAME PATTERN (grep -E on stderr)
    if echo "$ERR" | grep -qE -- "$2"; then pass "$1"; else fail "$1" "no '$2' in: $ERR"; fi
}
json_ok() { # NAME: stdout is valid JSON
    if echo "$OUT" | python3 -m json.tool >/dev/null 2>&1; then pass "$1"; else
        fail "$1" "invalid JSON: $OUT"; fi
}
unchanged() { # NAME IMAGE SHA256: the image is byte-identical and no loop device is left on it
    if [ "$(sha256sum <"$2")" != "$3" ]; then fail "$1" "the check changed $2"
    elif [ -n "$(losetup -j "$2" 2>/dev/null)" ]; then fail "$1" "loop left: $(losetup -j "$2")"
    else pass "$1"; fi
}

ROOT_TYPE=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
BIOS_TYPE=21686148-6449-6E6F-744E-656564454649
ROOT_PU=11111111-2222-3333-4444-555555555501
ESP_PU=11111111-2222-3333-4444-55555555550f

# A clean base whose fstab is Debian 12's cloud image's: the root by PARTUUID (rw), the ESP
# by PARTUUID at /boot/efi, read-write.
mkdir -p "$T/tree/etc" "$T/tree/var/lib/dbus" "$T/tree/sbin" "$T/tree/boot/efi"
: >"$T/tree/etc/machine-id"
ln -s /etc/machine-id "$T/tree/var/lib/dbus/machine-id"
printf '#!/bin/sh\n' >"$T/tree/sbin/init"
chmod 755 "$T/tree/sbin/init"
cat >"$T/tree/etc/fstab" <<EOF
PARTUUID=${ROOT_PU^^} / ext4 rw,discard,errors=remount-ro,x-systemd.growfs 0 1
PARTUUID=${ESP_PU^^} /boot/efi vfat defaults 0 0
LABEL=instance-data /srv ext4 defaults 0 2
EOF
if ! { truncate -s 40M "$T/root.fs" && mkfs.ext4 -q -F -L root -d "$T/tree" "$T/root.fs" &&
    truncate -s 8M "$T/esp.fs" && mkfs.vfat -n EFI "$T/esp.fs" >/dev/null; }; then
    fail checkbase_disk "mkfs"
    exit 1
fi

# put IMAGE FILE SECTOR: copy a partition's filesystem into the image
put() { dd if="$2" of="$1" bs=512 seek="$3" conv=notrunc status=none; }

# The cloud-image layout: 14 BIOS boot, 15 ESP, 1 root (Debian numbers them so).
truncate -s 64M "$T/gpt.img"
sfdisk -q "$T/gpt.img" <<EOF || { fail checkbase_disk "sfdisk gpt"; exit 1; }
label: gpt
unit: sectors

$T/gpt.img1 : start=20480, size=81920, type=$ROOT_TYPE, uuid=$ROOT_PU, name="root"
$T/gpt.img14 : start=2048, size=2048, type=$BIOS_TYPE
$T/gpt.img15 : start=4096, size=16384, type=$ESP_TYPE, uuid=$ESP_PU
EOF
put "$T/gpt.img" "$T/root.fs" 20480
put "$T/gpt.img" "$T/esp.fs" 4096
sum=$(sha256sum <"$T/gpt.img")

run "$T/gpt.img"
if [ "$RC" -eq 2 ] && echo "$ERR" | grep -qiE "loop|namespace"; then
    skip checkbase_disk "cannot mount images here: $ERR"
    exit 0
fi
expect_rc gpt_image_findings_exit_1 1
expect_out gpt_root_partition_named "^checked: gpt partition 1: 40 MiB, type linux-root-x86-64 .*ext4, label \"root\", name \"root\", PARTUUID $ROOT_PU"
expect_out gpt_esp_rw_reported "^error: fstab-base-rw: /etc/fstab"
expect_out gpt_esp_rw_line_named "found: PARTUUID=${ESP_PU^^} /boot/efi vfat defaults \(partition 15 of the image, vfat\)"
expect_out gpt_root_rw_still_reported "^error: fstab-root-rw: "
expect_out gpt_root_growfs_reported "^warning: fstab-growfs: /etc/fstab"
expect_no_out gpt_foreign_line_not_reported "instance-data"
if [ "$(echo "$OUT" | grep -c '^error: fstab-base-rw')" -eq 1 ]; then pass gpt_one_base_rw_finding
else fail gpt_one_base_rw_finding "$OUT"; fi
unchanged gpt_image_unchanged "$T/gpt.img" "$sum"
if grep -q sharedroot-check-base /proc/self/mountinfo; then
    fail gpt_mount_stays_private "$(grep sharedroot-check-base /proc/self/mountinfo)"
else pass gpt_mount_stays_private; fi

run --json "$T/gpt.img"
json_ok gpt_json_valid
expect_out gpt_json_partition "\"partition\":\{\"table\":\"gpt\",\"number\":1,\"start\":10485760,\"size\":41943040,\"type\":\"${ROOT_TYPE,,}\",\"type_name\":\"linux-root-x86-64\",\"name\":\"root\",\"partuuid\":\"$ROOT_PU\""
expect_out gpt_json_finding '"id":"fstab-base-rw","severity":"error","path":"/etc/fstab"'

run --fix "$T/gpt.img"
expect_rc gpt_fix_refused 2
expect_err gpt_fix_refusal_says_how "losetup -P --show COPY, then mount its root partition"
unchanged gpt_image_unchanged_by_fix_refusal "$T/gpt.img" "$sum"

run --partition 15 "$T/gpt.img"
expect_rc gpt_esp_asked_for_is_not_mountable_as_root 2
expect_err gpt_esp_asked_for_named "gpt.img partition 15"
run --partition 3 "$T/gpt.img"
expect_rc gpt_missing_partition_exit_2 2
expect_err gpt_missing_partition_listed "there is no partition 3; choose the root with --partition N"
expect_err gpt_list_shows_esp "^  15: 8 MiB, type esp \(${ESP_TYPE,,}\), vfat, label \"EFI\", PARTUUID $ESP_PU"

# The same disk as a block device (read-only, no partition scan): the same choice.
if loop_attach "$T/gpt.img" --read-only; then
    run "$LOOP"
    expect_rc gpt_block_device_checked 1
    expect_out gpt_block_device_root_named "^checked: gpt partition 1: "
    expect_out gpt_block_device_esp_rw_reported "^error: fstab-base-rw: "
    losetup -d "$LOOP"
    LOOPS=()
else
    skip gpt_block_device_checked "no free loop device"
fi
unchanged gpt_image_unchanged_as_block_device "$T/gpt.img" "$sum"

# MBR: the one ext4 partition is the root; its fstab names nothing of this disk.
truncate -s 64M "$T/mbr.img"
printf 'label: dos\nstart=2048, size=16384, type=ef\nstart=20480, size=81920, type=83\n' |
    sfdisk -q "$T/mbr.img"
put "$T/mbr.img" "$T/esp.fs" 2048
put "$T/mbr.img" "$T/root.fs" 20480
sum=$(sha256sum <"$T/mbr.img")
run "$T/mbr.img"
expect_rc mbr_image_checked 1
expect_out mbr_root_partition_named "^checked: dos partition 2: 40 MiB, type linux \(0x83\), ext4"
expect_no_out mbr_other_disks_partuuids_not_reported "fstab-base-rw"
unchanged mbr_image_unchanged "$T/mbr.img" "$sum"

# Ubuntu's cloud layout: root 1 of the generic Linux type, ESP 15, and an ext4 /boot 16 of
# the XBOOTLDR type, which is not taken for a second root.
truncate -s 16M "$T/boot.fs" && mkfs.ext4 -q -F -L BOOT "$T/boot.fs"
truncate -s 100M "$T/ubuntu.img"
sfdisk -q "$T/ubuntu.img" <<EOF2
label: gpt
unit: sectors

$T/ubuntu.img1 : start=53248, size=81920, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
$T/ubuntu.img15 : start=2048, size=16384, type=$ESP_TYPE
$T/ubuntu.img16 : start=18432, size=32768, type=BC13C2FF-59E6-4262-A352-B275FD6F7172
EOF2
put "$T/ubuntu.img" "$T/root.fs" 53248
put "$T/ubuntu.img" "$T/esp.fs" 2048
put "$T/ubuntu.img" "$T/boot.fs" 18432
run "$T/ubuntu.img"
expect_out ubuntu_layout_root_not_boot "^checked: gpt partition 1: 40 MiB, type linux-generic "

# Two ext4 partitions of the generic Linux type: refused, the list printed; --partition 2.
truncate -s 100M "$T/two.img"
printf 'label: gpt\nstart=2048, size=81920, type=L\nstart=86016, size=81920, type=L\n' |
    sfdisk -q "$T/two.img"
put "$T/two.img" "$T/root.fs" 2048
put "$T/two.img" "$T/root.fs" 86016
sum=$(sha256sum <"$T/two.img")
run "$T/two.img"
expect_rc ambiguous_refused 2
expect_err ambiguous_says_why "two.img: gpt partition table: 2 partitions hold a filesystem a root can be; choose the root with --partition N"
expect_err ambiguous_lists_1 "^  1: 40 MiB, type linux-generic .*ext4, label \"root\""
expect_err ambiguous_lists_2 "^  2: 40 MiB, type linux-generic .*ext4, label \"root\""
run --partition 2 "$T/two.img"
expect_rc ambiguous_partition_2_checked 1
expect_out ambiguous_partition_2_named "^checked: gpt partition 2: "
unchanged ambiguous_image_unchanged "$T/two.img" "$sum"
run --partition 1 "$T/root.fs"
expect_rc partition_on_filesystem_image_refused 2
expect_err partition_on_filesystem_image_explained "holds a filesystem \(ext4\), not a partition table"

# A dirty journal and orphans inside the root partition: read from the partition's superblock,
# reported, and not replayed.
cp "$T/root.fs" "$T/journal.fs"
printf 'jo\njw -b 300,301 %s\njc\nset_super_value last_orphan 12\n' "$T/esp.fs" >"$T/cmds"
debugfs -w -f "$T/cmds" "$T/journal.fs" >/dev/null 2>&1
if dumpe2fs -h "$T/journal.fs" 2>/dev/null | grep -q needs_recovery; then
    cp "$T/gpt.img" "$T/journal.img"
    put "$T/journal.img" "$T/journal.fs" 20480
    sum=$(sha256sum <"$T/journal.img")
    run "$T/journal.img"
    expect_out partition_dirty_journal_reported "^error: fs-needs-recovery: "
    expect_out partition_orphans_reported "^warning: fs-orphans: "
    unchanged partition_dirty_journal_not_replayed "$T/journal.img" "$sum"
else
    skip partition_dirty_journal_reported "debugfs could not make a dirty journal"
fi

# xfs in a partition (RHEL-like cloud images): the log is read by xfs_logprint through the
# read-only loop device limited to the partition. A dirty log (a filesystem shut down with
# changes in flight) is reported and not replayed.
if ! command -v mkfs.xfs >/dev/null || ! command -v xfs_io >/dev/null; then
    skip partition_xfs_dirty_log_reported "no xfsprogs"
elif truncate -s 300M "$T/xfs.fs" && mkfs.xfs -q "$T/xfs.fs" && mkdir -p "$T/xm" &&
    loop_attach "$T/xfs.fs" && unshare -m --propagation private bash -c "
        mount '$LOOP' '$T/xm' && cp -a '$T/tree/.' '$T/xm/' && sync &&
        echo change >'$T/xm/f' && xfs_io -x -c 'shutdown -f' '$T/xm' && umount '$T/xm'" 2>/dev/null; then
    losetup -d "$LOOP"
    LOOPS=()
    truncate -s 320M "$T/xfs.img"
    printf 'label: gpt\nstart=2048, size=300M, type=%s\n' "$ROOT_TYPE" | sfdisk -q "$T/xfs.img"
    dd if="$T/xfs.fs" of="$T/xfs.img" bs=1M seek=1 conv=notrunc,sparse status=none
    sum=$(sha256sum <"$T/xfs.img")
    run "$T/xfs.img"
    expect_out partition_xfs_checked "^checked: gpt partition 1: 300 MiB, type linux-root-x86-64 .*xfs"
    expect_out partition_xfs_dirty_log_reported "^error: fs-needs-recovery: "
    expect_out partition_xfs_dirty_log_explained "found: the xfs log is dirty"
    unchanged partition_xfs_dirty_log_not_replayed "$T/xfs.img" "$sum"
else
    [ ${#LOOPS[@]} -gt 0 ] && loop_detach_all && LOOPS=()
    skip partition_xfs_dirty_log_reported "this host cannot mount xfs to make a dirty log"
fi

# Truncated: libblkid trusts no GPT header whose disk ends past the image (and the backup
# header at the end is gone); an MBR partition past the end is listed as not usable.
head -c 40M "$T/gpt.img" >"$T/short.img"
run "$T/short.img"
expect_rc truncated_gpt_refused 2
expect_err truncated_gpt_explained "short.img: a GPT disk \(protective MBR\) with no valid GPT header: a truncated image"
head -c 40M "$T/mbr.img" >"$T/short-mbr.img"
run "$T/short-mbr.img"
expect_rc truncated_mbr_refused 2
expect_err truncated_mbr_explained "short-mbr.img: dos partition table: no partition holds a filesystem a root can be"
expect_err truncated_mbr_partition_listed "^  2: 40 MiB, type linux \(0x83\), not usable: it extends past the end of the image"
run --partition 2 "$T/short-mbr.img"
expect_rc truncated_mbr_partition_2_refused 2
expect_err truncated_mbr_partition_2_explained "partition 2 extends past the end of the image"

# Other QEMU containers than qcow2 (read through a raw copy: checkbase-qcow2.sh): refused,
# with the conversion to do.
if command -v qemu-img >/dev/null; then
    for fmt in vmdk vdi vhdx; do
        qemu-img convert -O $fmt "$T/gpt.img" "$T/cloud.$fmt"
        sum=$(sha256sum <"$T/cloud.$fmt")
        run "$T/cloud.$fmt"
        expect_rc ${fmt}_refused 2
        expect_err ${fmt}_named "cloud.$fmt is a $fmt image \(a QEMU container format\)"
        expect_err ${fmt}_fix_given "qemu-img convert -O raw .*cloud.$fmt .*cloud.$fmt.raw"
        if [ -z "$OUT" ]; then pass ${fmt}_no_report; else fail ${fmt}_no_report "$OUT"; fi
        unchanged ${fmt}_unchanged "$T/cloud.$fmt" "$sum"
    done
else
    skip vmdk_refused "qemu-img (qemu-utils) not installed"
fi
