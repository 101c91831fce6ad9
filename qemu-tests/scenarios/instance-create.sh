# shellcheck shell=bash
# sharedroot-instance create with a host name, authorized keys and a file: the first boot finds
# the disk claimed and the guest has that name, those keys and that file (owner and mode exact)

scenario() {
    local inst=$SCW/$SC.img keys=$SCW/$SC.keys app=$SCW/$SC.app l=$LOGS/$SC.log
    mkdir -p "$SCW"; rm -f "$inst"
    echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIQemuCreateKey admin@dom0" >"$keys"
    echo "made by create" >"$app"
    si create "$inst" --size 64M --label instance --hostname web1 --authorized-keys "$keys" \
        --file "$app:/etc/app.conf:0640:0:0" >/dev/null
    showlog "$l"
    qt_boot "$l" "$INITRD" "root=LABEL=$QT_EXT4_LABEL sharedroot.instance=LABEL=instance" \
        -drive "$(ro_disk "$BASE_IMG")" -drive "$(rw_disk "$inst")"
    check_report "$l" ext4; no_error "$l"
    [ "$(state "$l" MODE)" = instance ] || fail "state MODE is $(state "$l" MODE)"
    lgrep "$l" -q 'is now sharedroot instance storage' && fail "the first boot claimed the disk again"
    [ "$(qt_report "$l" hostname)" = web1 ] || fail "hostname is '$(qt_report "$l" hostname)', not web1"
    lgrep "$l" -q 'REPORT firstboot_hostname=1' && fail "the guest had no /etc/hostname at its first boot"
    [[ $(qt_report "$l" authorized_keys) == *QemuCreateKey* ]] || fail "no authorized keys in /etc/ssh/authorized_keys/root"
    [ "$(qt_report "$l" app_conf)" = "made by create" ] || fail "/etc/app.conf is '$(qt_report "$l" app_conf)'"
    [ "$(qt_report "$l" firstboot_machine_id)" = 1 ] || fail "the first boot made no machine-id"
    rm -f "$inst" "$keys" "$app"
    pass
}
