# shellcheck shell=bash
# in the running guest, sharedroot-instance reset --next-boot /etc/app.conf after the guest
# changed it: at the next boot the base's version is back, the console says so, and the guest's
# version is in the store's backups
# qt-prepare: instance

scenario() {
    local inst=$SCW/$SC.img l1=$LOGS/$SC-1.log l2=$LOGS/$SC-2.log s
    mkdir -p "$SCW"; rm -f "$inst"
    si create "$inst" --size 64M >/dev/null
    showlog "$l1"
    qt_boot "$l1" "$INITRD" "root=LABEL=$INST_LABEL sharedroot.instance=/dev/vdb qt.step=instreset" \
        -drive "$(ro_disk "$INST_BASE")" -drive "$(rw_disk "$inst")"
    check_report "$l1" ext4; no_error "$l1"
    [ "$(qt_report "$l1" instreset_rc)" = 0 ] || fail "reset --next-boot in the guest failed: $(lgrep "$l1" -m1 'sharedroot-instance:')"
    [ "$(qt_report "$l1" app_conf_edited)" = "app.conf edited in the guest" ] || fail "the guest's edit is not visible in boot 1"
    showlog "$l2"
    qt_boot "$l2" "$INITRD" "root=LABEL=$INST_LABEL sharedroot.instance=/dev/vdb" \
        -drive "$(ro_disk "$INST_BASE")" -drive "$(rw_disk "$inst")"
    check_report "$l2" ext4; no_error "$l2"
    s=$(lgrep "$l2" -m1 'reconcile /etc: reset as asked') || fail "boot 2 did not report the reset"
    [[ $s == *"app.conf"* ]] || fail "the report does not name app.conf: $s"
    [ "$(qt_report "$l2" app_conf)" = "app.conf of the base" ] || fail "boot 2 sees '$(qt_report "$l2" app_conf)', not the base's version"
    debugfs -R 'ls -p /reconcile/etc/backups' "$inst" 2>/dev/null | grep -q 'Z-' || fail "no backup run in the store"
    local run
    run=$(debugfs -R 'ls -p /reconcile/etc/backups' "$inst" 2>/dev/null | awk -F/ '$6 ~ /Z-/ { print $6 }' | tail -n 1)
    [ "$(debugfs -R "cat /reconcile/etc/backups/$run/app.conf" "$inst" 2>/dev/null)" = "app.conf edited in the guest" ] ||
        fail "the guest's version is not in reconcile/etc/backups/$run/app.conf"
    debugfs -R 'stat /reconcile/etc/reset' "$inst" 2>&1 | grep -q 'Inode:' && fail "the request is still there"
    note "${s#*sharedroot: }"
    rm -f "$inst"
    pass
}
