# shellcheck shell=bash
# A used instance disk that is full: a warning, and the boot goes on (the guest's own
# writes fail until space is freed); nothing on it is lost

scenario() {
    local img=$SCW/$SC.img log=$LOGS/$SC.log log2=$LOGS/$SC-2.log mnt=$SCW/$SC-mnt fill
    mkdir -p "$SCW"; new_inst "$img" 8M
    inst_boot "$log" "sharedroot.instance=/dev/vdb" -drive "$(rw_disk "$img")"
    check_report "$log" ext4; no_error "$log"
    mkdir -p "$mnt"
    unshare -m bash -c "mount -o loop '$img' '$mnt' || exit 1
        dd if=/dev/urandom of='$mnt/filler' bs=64k status=none 2>/dev/null; sync
        i=0; while [ \$i -lt 2000 ] && : >'$mnt/f'\$i 2>/dev/null; do i=\$((i+1)); done
        sha256sum <'$mnt/filler' | cut -d' ' -f1 >'$SCW/$SC.filler'; df '$mnt' | tail -n 1 >&2; umount '$mnt'" \
        2>"$LOGS/$SC.fill.log" || fail "could not fill the instance disk on the host: $(cat "$LOGS/$SC.fill.log")"
    fill=$(cat "$SCW/$SC.filler")
    inst_boot "$log2" "sharedroot.instance=/dev/vdb" -drive "$(rw_disk "$img")"
    lgrep "$log2" -q 'sharedroot: WARNING: sharedroot.instance: the filesystem at /run/sharedroot/instance is full' ||
        fail "no warning that the instance filesystem is full"
    # either the boot goes on, or it stops with an error that says the disk is full
    if grep -q 'REPORT END' "$log2"; then
        [ "$(qt_report "$log2" hostname)" = "$(qt_report "$log" hostname)" ] || fail "the instance's hostname was lost"
    else
        lgrep "$log2" 'sharedroot: ERROR' | grep -q 'is full' ||
            fail "the boot stopped without saying the disk is full: $(lgrep "$log2" -m1 'sharedroot: ERROR')"
        note "$(lgrep "$log2" -m1 -o 'sharedroot: ERROR: .*is full.*')"
    fi
    debugfs -R 'cat /filler' "$img" 2>/dev/null | sha256sum | cut -d' ' -f1 | grep -qx "$fill" ||
        fail "the data on the full disk changed"
    note "$(lgrep "$log2" -m1 -o 'sharedroot: WARNING: sharedroot.instance: the filesystem.*')"
    rm -rf "$img" "$mnt" "$SCW/$SC.filler"
    pass
}
