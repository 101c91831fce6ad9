# shellcheck shell=bash
# a base on a partition of a disk, as distribution disk images are (GPT: the root partition and
# an ESP), attached WRITABLE and booted with root=PARTUUID=...: the init sets the partition and
# its whole disk read-only (every partition of a shared disk is shared: the ESP too), so the
# booted system sees /dev/vda read-only; the image is unchanged
scenario() {
    local log=$LOGS/$SC.log img=$QT_WORK/$SC.img esp=$QT_WORK/$SC-esp.img before uuid v
    showlog "$log"
    rm -f "$img" "$esp"
    truncate -s 80M "$img"
    printf 'label: gpt\nstart=2048, size=64M, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=root\nsize=8M, type=U, name=esp\n' |
        sfdisk -q "$img" >/dev/null 2>&1 || fail "sfdisk could not partition $img"
    dd if="$ROOTS/ext4.img" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none || fail "dd of the root partition failed"
    truncate -s 8M "$esp"
    mkfs.vfat -n ESP "$esp" >/dev/null 2>&1 || fail "mkfs.vfat failed"
    dd if="$esp" of="$img" bs=1M seek=65 conv=notrunc status=none || fail "dd of the ESP failed"
    uuid=$(sfdisk --part-uuid "$img" 1) || fail "no PARTUUID for partition 1"
    before=$(sha "$img")
    qt_boot "$log" "$INITRD" "root=PARTUUID=$uuid" -drive "$(rw_disk "$img")"
    check_report "$log" ext4 /dev/vda1
    no_error "$log"
    v=$(qt_report "$log" root_blockdev_ro); [ "$v" = 1 ] || fail "/dev/vda1 is writable in the booted system ($v)"
    v=$(qt_report "$log" blockdev_ro); [ "$v" = 1 ] || fail "the whole disk /dev/vda is writable in the booted system ($v)"
    lgrep "$log" -q 'its disk /dev/vda is read-only too' || fail "the console does not say the whole disk was made read-only"
    [ "$(sha "$img")" = "$before" ] || fail "the disk image changed"
    rm -f "$img" "$esp"
    pass
}
