# shellcheck shell=bash
# A guest with two vCPUs (QT_SMP=2), where sharedroot-init checks the instance disk (the
# read-only look and e2fsck -p, in one child) while the root stage mounts the base
# (sharedroot-init(8), stage root): a good disk boots as with one vCPU, twice; a disk e2fsck -p
# refuses still stops the boot before any read-write mount, written no further than the
# superblock's error flag; the base itself named as the instance disk is refused and not written.
# qt-weight: 2

scenario() {
    local img=$SCW/$SC.img bad=$SCW/$SC.corrupt log boot frc before
    local early='sharedroot: instance: checking /dev/vd[ab] while the base is mounted'
    export QT_SMP=2
    mkdir -p "$SCW"; new_inst "$img"
    for boot in 1 2; do
        log=$LOGS/$SC-good$boot.log
        inst_boot "$log" "sharedroot.instance=/dev/vdb" -drive "$(rw_disk "$img")"
        check_report "$log" ext4; no_error "$log"
        lgrep "$log" -q -E "$early" || fail "boot $boot: the check did not start while the base was mounted"
        lgrep "$log" -q 'fsck of /dev/vdb (ext4) clean' || fail "boot $boot: no clean fsck of /dev/vdb"
        [ "$(state "$log" MODE)" = instance ] || fail "boot $boot: state MODE is $(state "$log" MODE)"
        has_mount "$log" /dev/vdb /run/sharedroot/instance ext4
        has_mount "$log" overlay /etc overlay
        has_mount "$log" overlay /var overlay
        [ "$(qt_report "$log" boot_count)" = "$boot" ] ||
            fail "boot $boot: boot_count $(qt_report "$log" boot_count)"
    done
    note "a good disk: checked while the base was mounted, booted twice"

    # an ext4 that e2fsck -p refuses (as inst-corrupt makes it)
    new_inst "$bad"
    debugfs -w -R "set_bg 0 block_bitmap 99999" "$bad" >/dev/null 2>&1
    debugfs -w -R "set_bg 0 checksum calc" "$bad" >/dev/null 2>&1
    cp "$bad" "$img"; e2fsck -p "$img" >/dev/null 2>&1; frc=$?
    [ $frc -ge 4 ] || fail "could not make an ext4 that e2fsck -p refuses (status $frc)"
    cp "$bad" "$img"
    log=$LOGS/$SC-corrupt.log
    inst_boot "$log" "sharedroot.instance=/dev/vdb" -drive "$(rw_disk "$img")"
    lgrep "$log" -q -E "$early" || fail "corrupt disk: the check did not start while the base was mounted"
    expect_error "$log" '(e2fsck|fsck.ext4) -p /dev/vdb exited with status [4-9]'
    cmp -s -i 2048 "$bad" "$img" || fail "the corrupted disk was written beyond the superblock's error flag"
    lgrep "$log" -q 'mounted read-write at /run/sharedroot/instance' && fail "the corrupted disk was mounted read-write"

    # the base named as the instance disk: refused by the look, the base image unchanged
    before=$(sha "$BASE_IMG")
    log=$LOGS/$SC-base.log
    inst_boot "$log" "sharedroot.instance=/dev/vda"
    expect_error "$log" '/dev/vda'
    [ "$(sha "$BASE_IMG")" = "$before" ] || fail "the base image was written"
    rm -f "$img" "$bad"
    pass
}
