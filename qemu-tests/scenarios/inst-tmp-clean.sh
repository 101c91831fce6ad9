# shellcheck shell=bash
# symlinks planted in the instance's tmp pointing out of it: the next boot cleans /tmp and the
# targets are intact

scenario() {
    local inst=$SCW/$SC.img log=$LOGS/$SC.log log2=$LOGS/$SC-2.log
    mkdir -p "$SCW"; new_inst "$inst"
    inst_boot "$log" "sharedroot.instance=/dev/vdb" -drive "$(rw_disk "$inst")"
    check_report "$log" ext4; no_error "$log"
    [ "$(qt_report "$log" var_keep)" = precious ] || fail "the first boot did not write /var/lib/keep"
    # plant symlinks in the instance's tmp from the host, pointing out of /tmp: at the file in
    # /var as the booted system sees it, as the initramfs sees it while cleaning, and inside
    # the instance filesystem
    printf '%s\n' 'symlink /tmp/link-abs /var/lib/keep' 'symlink /tmp/link-sysroot /sysroot/var/lib/keep' \
        'symlink /tmp/link-dir /sysroot/var/lib' 'symlink /tmp/link-rel ../overlay/var/upper/lib/keep' \
        'mkdir /tmp/dir' 'symlink /tmp/dir/deep /sysroot/var/lib' |
        debugfs -w -f - "$inst" >"$LOGS/$SC.debugfs.log" 2>&1
    debugfs -R 'ls -l /tmp' "$inst" 2>/dev/null | grep -q link-rel ||
        fail "could not plant the symlinks: $(cat "$LOGS/$SC.debugfs.log")"
    inst_boot "$log2" "sharedroot.instance=/dev/vdb" -drive "$(rw_disk "$inst")"
    check_report "$log2" ext4; no_error "$log2"
    [ -z "$(qt_report "$log2" tmp_entries | tr -d ' ')" ] ||
        fail "/tmp was not cleaned at boot: $(qt_report "$log2" tmp_entries)"
    [ "$(qt_report "$log2" var_keep)" = precious ] ||
        fail "/var/lib/keep, the symlinks' target, is '$(qt_report "$log2" var_keep)'"
    debugfs -R 'cat /overlay/var/upper/lib/keep' "$inst" 2>/dev/null | grep -qx precious ||
        fail "the file in the /var upper was touched"
    debugfs -R 'ls /tmp' "$inst" 2>/dev/null | grep -q 'link-' && fail "the links are still in the instance's tmp"
    rm -f "$inst"
    pass
}
