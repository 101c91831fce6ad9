# shellcheck shell=bash
# a booted instance backed up (pax) and restored to a new image boots with the same state:
# name, machine-id, host key, /var data; the restored upper dirs are byte-equal

scenario() {
    local a=$SCW/$SC-a.img r=$SCW/$SC-r.img pax=$SCW/$SC.pax pax2=$SCW/$SC-2.pax
    local l1=$LOGS/$SC-1.log l2=$LOGS/$SC-2.log i1 i2
    mkdir -p "$SCW"; rm -f "$a" "$r" "$pax" "$pax2"
    si create "$a" --size 64M --hostname keeper >/dev/null
    showlog "$l1"
    qt_boot "$l1" "$INITRD" "root=/dev/vda sharedroot.instance=/dev/vdb" \
        -drive "$(ro_disk "$BASE_IMG")" -drive "$(rw_disk "$a")"
    check_report "$l1" ext4; no_error "$l1"
    i1=$(ident "$l1") || exit 1
    si backup "$a" -o "$pax" >/dev/null
    si restore "$pax" "$r" >/dev/null
    si backup "$r" -o "$pax2" >/dev/null
    cmp -s "$pax" "$pax2" || fail "a backup of the restored image differs from the backup"
    showlog "$l2"
    qt_boot "$l2" "$INITRD" "root=/dev/vda sharedroot.instance=/dev/vdb" \
        -drive "$(ro_disk "$BASE_IMG")" -drive "$(rw_disk "$r")"
    check_report "$l2" ext4; no_error "$l2"
    i2=$(ident "$l2") || exit 1
    [ "$i1" = "$i2" ] || fail "the restored instance has another identity: '$i1' -> '$i2'"
    [ "$(qt_report "$l2" boot_count)" = 2 ] || fail "boot_count $(qt_report "$l2" boot_count) after the restore, expected 2"
    lgrep "$l2" -q 'REPORT firstboot_' && fail "first-boot steps ran on the restored instance"
    note "identity kept: $i2"
    rm -f "$a" "$r" "$pax" "$pax2"
    pass
}
