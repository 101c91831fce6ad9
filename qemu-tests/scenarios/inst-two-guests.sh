# shellcheck shell=bash
# two guests on one base, each with its own instance disk: different identities, each kept across
# a reboot; the base unchanged
# qt-weight: 2

scenario() {
    local a=$SCW/$SC-a.img b=$SCW/$SC-b.img before ia='' ib='' ja jb boot pa pb l k what
    mkdir -p "$SCW"; new_inst "$a"; new_inst "$b"
    before=$(sha "$BASE_IMG")
    for boot in 1 2; do
        local la=$LOGS/$SC-a$boot.log lb=$LOGS/$SC-b$boot.log
        showlog "$la"; showlog "$lb"
        qt_boot_bg "$la" "$INITRD" "root=/dev/vda sharedroot.instance=/dev/vdb" \
            -drive "$(ro_disk "$BASE_IMG")" -drive "$(rw_disk "$a")"; pa=$QT_PID
        qt_boot_bg "$lb" "$INITRD" "root=LABEL=$QT_EXT4_LABEL sharedroot.instance=LABEL=instance" \
            -drive "$(ro_disk "$BASE_IMG")" -drive "$(rw_disk "$b")"; pb=$QT_PID
        wait "$pa"; wait "$pb"
        for l in "$la" "$lb"; do
            check_report "$l" ext4; no_error "$l"
            [ "$(state "$l" MODE)" = instance ] || fail "$l: state MODE is $(state "$l" MODE)"
            has_mount "$l" overlay /etc overlay
            has_mount "$l" overlay /var overlay
            [ "$(qt_report "$l" boot_count)" = "$boot" ] ||
                fail "$l: boot_count $(qt_report "$l" boot_count), expected $boot"
        done
        ja=$(ident "$la") || exit 1
        jb=$(ident "$lb") || exit 1
        if [ $boot = 1 ]; then
            ia=$ja ib=$jb
            for k in 1 2 3 4; do
                what=$(echo "hostname machine-id ssh-key var-id" | cut -d' ' -f$k)
                [ "$(echo "$ia" | cut -d' ' -f$k)" != "$(echo "$ib" | cut -d' ' -f$k)" ] ||
                    fail "both guests have the same $what"
            done
            for l in "$la" "$lb"; do
                { [ "$(qt_report "$l" firstboot_machine_id)" = 1 ] && [ "$(qt_report "$l" firstboot_ssh_key)" = 1 ]; } ||
                    fail "$l: the first boot did not see an empty machine-id and no host key"
            done
        else
            [ "$ja" = "$ia" ] || fail "guest a changed identity across a reboot: '$ia' -> '$ja'"
            [ "$jb" = "$ib" ] || fail "guest b changed identity across a reboot: '$ib' -> '$jb'"
            for l in "$la" "$lb"; do
                lgrep "$l" -q 'REPORT firstboot_' && fail "$l: first-boot steps ran again"
            done
        fi
    done
    [ "$(sha "$BASE_IMG")" = "$before" ] || fail "the shared base image changed"
    # the identity lives in the instance disk's /etc upper
    debugfs -R 'cat /overlay/etc/upper/machine-id' "$a" 2>/dev/null | grep -q "$(echo "$ia" | cut -d' ' -f2)" ||
        fail "guest a's machine-id is not in its instance disk's /etc upper"
    note "a: $ia; b: $ib"
    rm -f "$a" "$b"
    pass
}
