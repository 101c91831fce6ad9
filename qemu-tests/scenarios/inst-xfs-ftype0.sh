# shellcheck shell=bash
# instance storage on xfs without d_type: refused, the disk byte-identical

scenario() {
    local img=$SCW/$SC.img
    command -v mkfs.xfs >/dev/null || skip "mkfs.xfs not installed (xfsprogs)"
    mkdir -p "$SCW"; blank_disk "$img" 320M
    mkfs.xfs -q -f -m crc=0 -n ftype=0 "$img" >/dev/null 2>&1 ||
        skip "mkfs.xfs -m crc=0 -n ftype=0 failed: this mkfs.xfs cannot make an xfs without d_type"
    unfit_upper "$img" "$INITRD" 'does not report file types in directories \(d_type.*nothing was written to /dev/vdb'
}
