# shellcheck shell=bash
# no instance storage, booted twice: MODE=volatile, announced, nothing persists

scenario() {
    local log=$LOGS/$SC.log log2=$LOGS/$SC-2.log l
    inst_boot "$log" ""
    check_report "$log" ext4; no_error "$log"
    inst_boot "$log2" ""
    check_report "$log2" ext4; no_error "$log2"
    for l in "$log" "$log2"; do
        [ "$(state "$l" MODE)" = volatile ] || fail "$l: state MODE is $(state "$l" MODE)"
        lgrep "$l" -q 'VOLATILE mode' || fail "$l: volatile mode not announced"
        [ "$(qt_report "$l" boot_count)" = 1 ] || fail "$l: /var persisted (boot_count $(qt_report "$l" boot_count))"
        [ "$(qt_report "$l" firstboot_machine_id)" = 1 ] || fail "$l: /etc/machine-id persisted"
        has_mount "$l" overlay /etc overlay
        has_mount "$l" overlay /var overlay
    done
    [ "$(qt_report "$log" machine_id)" != "$(qt_report "$log2" machine_id)" ] || fail "the same machine-id twice"
    pass
}
