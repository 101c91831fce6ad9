# shellcheck shell=bash
# sharedroot-instance clone of a booted instance: both guests boot at once on one base with
# distinct machine-ids, host keys and names; the clone keeps the instance's own files and
# boots with the authorized keys and the file clone was given
# qt-weight: 2

scenario() {
    local a=$SCW/$SC-a.img b=$SCW/$SC-b.img la=$LOGS/$SC-a1.log la2=$LOGS/$SC-a2.log
    local lb=$LOGS/$SC-b.log keys=$SCW/$SC.keys app=$SCW/$SC.app pa pb ia ib k what
    mkdir -p "$SCW"; rm -f "$a" "$b"
    si create "$a" --size 64M --hostname alpha >/dev/null
    # boot a once: it makes its machine-id and host key
    showlog "$la"
    qt_boot "$la" "$INITRD" "root=/dev/vda sharedroot.instance=/dev/vdb" \
        -drive "$(ro_disk "$BASE_IMG")" -drive "$(rw_disk "$a")"
    check_report "$la" ext4; no_error "$la"
    echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIQemuCloneKey admin@dom0" >"$keys"
    echo "made by clone" >"$app"
    si clone "$a" "$b" --hostname beta --authorized-keys "$keys" --file "$app:/etc/app.conf:0640" >/dev/null
    showlog "$la2"; showlog "$lb"
    qt_boot_bg "$la2" "$INITRD" "root=/dev/vda sharedroot.instance=/dev/vdb" \
        -drive "$(ro_disk "$BASE_IMG")" -drive "$(rw_disk "$a")"; pa=$QT_PID
    qt_boot_bg "$lb" "$INITRD" "root=/dev/vda sharedroot.instance=/dev/vdb" \
        -drive "$(ro_disk "$BASE_IMG")" -drive "$(rw_disk "$b")"; pb=$QT_PID
    wait "$pa"; wait "$pb"
    check_report "$la2" ext4; no_error "$la2"
    check_report "$lb" ext4; no_error "$lb"
    ia=$(ident "$la2") || exit 1
    ib=$(ident "$lb") || exit 1
    for k in 1 2 3; do
        what=$(echo "hostname machine-id ssh-key" | cut -d' ' -f$k)
        [ "$(echo "$ia" | cut -d' ' -f$k)" != "$(echo "$ib" | cut -d' ' -f$k)" ] ||
            fail "both guests have the same $what"
    done
    [ "$(qt_report "$la2" hostname)" = alpha ] || fail "a is not alpha: $ia"
    [ "$(qt_report "$lb" hostname)" = beta ] || fail "the clone is not beta: $ib"
    { [ "$(qt_report "$lb" firstboot_machine_id)" = 1 ] && [ "$(qt_report "$lb" firstboot_ssh_key)" = 1 ]; } ||
        fail "the clone did not start with an empty machine-id and no host key"
    { [ "$(qt_report "$la2" boot_count)" = 2 ] && [ "$(qt_report "$lb" boot_count)" = 2 ]; } ||
        fail "the clone did not keep the instance's /var (boot counts $(qt_report "$la2" boot_count), $(qt_report "$lb" boot_count))"
    [[ $(qt_report "$lb" authorized_keys) == *QemuCloneKey* ]] || fail "the clone has no authorized keys in /etc/ssh/authorized_keys/root"
    [ "$(qt_report "$lb" app_conf)" = "made by clone" ] || fail "the clone's /etc/app.conf is '$(qt_report "$lb" app_conf)'"
    [ -z "$(qt_report "$la2" authorized_keys)" ] || fail "the source got the clone's keys"
    note "a: $ia; b: $ib"
    rm -f "$a" "$b" "$keys" "$app"
    pass
}
