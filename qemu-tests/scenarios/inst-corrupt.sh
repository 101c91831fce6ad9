# shellcheck shell=bash
# A filesystem e2fsck -p cannot repair (block bitmap outside its group; the kernel refuses
# to mount it too). Without e2fsck in the initramfs the mount fails; with it, fsck says so.

scenario() {
    # shellcheck disable=SC2153  # INITRD is the runner's default initramfs
    local img=$SCW/$SC.img log=$LOGS/$SC.log initrd=$INITRD re frc msg
    mkdir -p "$SCW"; new_inst "$img"
    debugfs -w -R "set_bg 0 block_bitmap 99999" "$img" >/dev/null 2>&1
    debugfs -w -R "set_bg 0 checksum calc" "$img" >/dev/null 2>&1
    cp "$img" "$img.probe"; e2fsck -p "$img.probe" >/dev/null 2>&1; frc=$?; rm -f "$img.probe"
    [ $frc -ge 4 ] || fail "could not make an ext4 that e2fsck -p refuses (status $frc)"
    cp "$img" "$img.before"
    re='mounting /dev/vdb \(ext4\) read-write on /run/sharedroot/instance failed: Structure needs cleaning; if the filesystem is damaged, run fsck'
    if "$MKINITRAMFS" --help 2>&1 | grep -q -- '--binary'; then
        initrd=$QT_WORK/initramfs-fsck.img
        msg=$(qt_build_initramfs "$BUILD" "$initrd" --binary /sbin/e2fsck 2>&1) || fail "mkinitramfs --binary: $msg"
        re='(e2fsck|fsck.ext4) -p /dev/vdb exited with status [4-9]'
        note "e2fsck in the initramfs (--binary /sbin/e2fsck)"
    else
        note "SKIP of the fsck part: sharedroot-mkinitramfs has no --binary yet, so no e2fsck in the initramfs; the refused mount is checked"
    fi
    showlog "$log"
    qt_boot "$log" "$initrd" "root=/dev/vda sharedroot.instance=/dev/vdb" \
        -drive "$(ro_disk "$BASE_IMG")" -drive "$(rw_disk "$img")"
    expect_error "$log" "$re"
    # e2fsck -p marks the superblock "with errors" (1024..2047); nothing else may change
    cmp -s -i 2048 "$img.before" "$img" || fail "the corrupted disk was written beyond the superblock's error flag"
    [ "$initrd" != "$INITRD" ] || [ "$(sha "$img")" = "$(sha "$img.before")" ] || fail "the corrupted disk was written"
    rm -f "$img" "$img.before"
    pass
}
