# shellcheck shell=bash
# instance storage on vfat: refused for lack of trusted xattrs, the disk byte-identical

scenario() {
    local img=$SCW/$SC.img initrd=$QT_WORK/initramfs-vfat.img msg
    command -v mkfs.vfat >/dev/null || skip "mkfs.vfat not installed (dosfstools)"
    mkdir -p "$SCW"; blank_disk "$img" 32M
    mkfs.vfat -n INSTVFAT "$img" >/dev/null || fail "mkfs.vfat failed"
    msg=$(qt_build_initramfs "$BUILD" "$initrd" -M vfat,nls_cp437,nls_ascii 2>&1) || fail "mkinitramfs -M vfat: $msg"
    unfit_upper "$img" "$initrd" 'does not support trusted\.\* extended attributes.*nothing was written to /dev/vdb'
}
