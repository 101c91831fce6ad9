# shellcheck shell=bash disable=SC2153  # INITRD is the runner's default initramfs
# A filesystem e2fsck -p cannot repair (block bitmap outside its group; the kernel refuses
# to mount it too). The default image's e2fsck (the statically linked e2fsck.static when the
# host has e2fsck-static) says so and nothing is mounted; with --binary /sbin/e2fsck (the
# dynamically linked one) the same. Without e2fsck in the image the mount fails.

# corrupt_boot INITRD RE WHAT: boot a fresh corrupted copy, expect RE, and check the disk
corrupt_boot() {
    local initrd=$1 re=$2 what=$3 img=$SCW/$SC.img log=$LOGS/$SC.log
    cp "$SCW/$SC.corrupt" "$img"
    showlog "$log"
    qt_boot "$log" "$initrd" "root=/dev/vda sharedroot.instance=/dev/vdb" \
        -drive "$(ro_disk "$BASE_IMG")" -drive "$(rw_disk "$img")"
    expect_error "$log" "$re"
    # e2fsck -p marks the superblock "with errors" (1024..2047); nothing else may change
    cmp -s -i 2048 "$SCW/$SC.corrupt" "$img" || fail "$what: the corrupted disk was written beyond the superblock's error flag"
    [ "$what" != "no e2fsck" ] || [ "$(sha "$img")" = "$(sha "$SCW/$SC.corrupt")" ] || fail "the corrupted disk was written"
    rm -f "$img"
}

scenario() {
    local img=$SCW/$SC.corrupt frc msg list dyn=$QT_WORK/initramfs-fsck-dynamic.img
    local fsck_re='(e2fsck|fsck.ext4) -p /dev/vdb exited with status [4-9]'
    mkdir -p "$SCW"; new_inst "$img"
    debugfs -w -R "set_bg 0 block_bitmap 99999" "$img" >/dev/null 2>&1
    debugfs -w -R "set_bg 0 checksum calc" "$img" >/dev/null 2>&1
    cp "$img" "$img.probe"; e2fsck -p "$img.probe" >/dev/null 2>&1; frc=$?; rm -f "$img.probe"
    [ $frc -ge 4 ] || fail "could not make an ext4 that e2fsck -p refuses (status $frc)"
    list=$("$MKINITRAMFS" --list --kver "$QT_KVER" --init "$BUILD/init/sharedroot-init" 2>/dev/null | grep '^binary /sbin/e2fsck ')
    if [ -z "$list" ]; then
        note "no e2fsck on this host: the refused mount is checked"
        corrupt_boot "$INITRD" 'mounting /dev/vdb \(ext4\) read-write on /run/sharedroot/instance failed: Structure needs cleaning; if the filesystem is damaged, run fsck' "no e2fsck"
        rm -f "$img"; pass; return
    fi
    note "default image: $list"
    corrupt_boot "$INITRD" "$fsck_re" "default e2fsck"
    if grep -q 'statically linked' <<<"$list"; then
        msg=$(qt_build_initramfs "$BUILD" "$dyn" --binary /sbin/e2fsck 2>&1) || fail "mkinitramfs --binary /sbin/e2fsck: $msg"
        note "and the dynamically linked e2fsck (--binary /sbin/e2fsck)"
        corrupt_boot "$dyn" "$fsck_re" "dynamic e2fsck"
    fi
    rm -f "$img"
    pass
}
