# shellcheck shell=bash
# instance storage on xfs without d_type: refused, the disk byte-identical. The default image
# has no xfs module (sharedroot-mkinitramfs --fs): this one is made with --fs ext4,xfs.

scenario() {
    local img=$SCW/$SC.img initrd=$QT_WORK/initramfs-xfs.img msg
    command -v mkfs.xfs >/dev/null || skip "mkfs.xfs not installed (xfsprogs)"
    mkdir -p "$SCW"; blank_disk "$img" 320M
    mkfs.xfs -q -f -m crc=0 -n ftype=0 "$img" >/dev/null 2>&1 ||
        skip "mkfs.xfs -m crc=0 -n ftype=0 failed: this mkfs.xfs cannot make an xfs without d_type"
    msg=$(qt_build_initramfs "$BUILD" "$initrd" --fs ext4,xfs 2>&1) || fail "$msg"
    unfit_upper "$img" "$initrd" 'does not report file types in directories \(d_type.*nothing was written to /dev/vdb'
}
