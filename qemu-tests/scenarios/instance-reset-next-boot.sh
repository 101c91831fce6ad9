# shellcheck shell=bash
# in the running guest, sharedroot-instance reset --next-boot /etc/app.conf after the guest
# changed it: at the next boot the base's version is back, the console says so, and the guest's
# version is in the store's backups. The same for /etc/appdir/a.conf inside /etc/appdir, which
# the guest removed and made again (an opaque dir of the upper): the base's a.conf is back and
# the rest of /etc/appdir as the guest left it (the base's b.conf and sub/d.conf stay hidden)
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
    [ "$(qt_report "$l1" instreset_opaque_rc)" = 0 ] || fail "reset --next-boot /etc/appdir/a.conf in the guest failed"
    local edited=" a.conf=guest-a own.conf=own sub/ sub/c.conf=guest-c"
    [ "$(qt_report "$l1" appdir_edited)" = "$edited" ] || fail "boot 1: /etc/appdir is '$(qt_report "$l1" appdir_edited)', not '$edited'"
    showlog "$l2"
    qt_boot "$l2" "$INITRD" "root=LABEL=$INST_LABEL sharedroot.instance=/dev/vdb" \
        -drive "$(ro_disk "$INST_BASE")" -drive "$(rw_disk "$inst")"
    check_report "$l2" ext4; no_error "$l2"
    s=$(lgrep "$l2" -m1 'reconcile /etc: reset as asked') || fail "boot 2 did not report the reset"
    [[ $s == *"app.conf"* ]] || fail "the report does not name app.conf: $s"
    [ "$(qt_report "$l2" app_conf)" = "app.conf of the base" ] || fail "boot 2 sees '$(qt_report "$l2" app_conf)', not the base's version"
    s=$(lgrep "$l2" -m1 'reconcile /etc: reset as asked.*appdir/a.conf') || fail "boot 2 did not report the reset of appdir/a.conf"
    [[ $s == *"no longer opaque: appdir; whiteouts added (what it hid stays hidden): appdir/b.conf; marked opaque (the base's dir stays hidden): appdir/sub"* ]] ||
        fail "the report does not name the un-opaqued dir, the whiteout and the mark: $s"
    [ "$(qt_report "$l2" appdir)" = "${edited/guest-a/base-a}" ] ||
        fail "boot 2: /etc/appdir is '$(qt_report "$l2" appdir)', not '${edited/guest-a/base-a}' (only a.conf may change)"
    debugfs -R 'ls -p /reconcile/etc/backups' "$inst" 2>/dev/null | grep -q 'Z-' || fail "no backup run in the store"
    local run
    run=$(debugfs -R 'ls -p /reconcile/etc/backups' "$inst" 2>/dev/null | awk -F/ '$6 ~ /Z-/ { print $6 }' | tail -n 1)
    [ "$(debugfs -R "cat /reconcile/etc/backups/$run/app.conf" "$inst" 2>/dev/null)" = "app.conf edited in the guest" ] ||
        fail "the guest's version is not in reconcile/etc/backups/$run/app.conf"
    [ "$(debugfs -R "cat /reconcile/etc/backups/$run/appdir/a.conf" "$inst" 2>/dev/null)" = guest-a ] ||
        fail "the guest's appdir/a.conf is not in reconcile/etc/backups/$run/appdir/a.conf"
    debugfs -R 'stat /reconcile/etc/reset' "$inst" 2>&1 | grep -q 'Inode:' && fail "the request is still there"
    note "${s#*sharedroot: }"
    rm -f "$inst"
    pass
}
