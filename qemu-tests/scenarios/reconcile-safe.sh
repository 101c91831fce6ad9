# shellcheck shell=bash
# the same first boot, then base v2 with the default initramfs and policy (safe): no line merge,
# base updates of untouched content taken
# qt-first: 3
# qt-prepare: reconcile

scenario() {
    local inst=$SCW/$SC.img l1=$LOGS/$SC-1.log l2=$LOGS/$SC-2.log conf s
    mkdir -p "$SCW"; new_inst "$inst"
    conf=$(rc_first_boot "$l1" "$inst" "$INITRD") || exit 1
    # boot 2: base v2, the default initramfs (no libgit2), the default policy (safe)
    rc_boot "$l2" "$RC_V2" "$INITRD" "" "$inst"
    no_error "$l2"
    rc_expect "$l2" rcjson rc-clean.conf conflict 'line merge not available' '"applied":false'
    { [ "$(qt_report "$l2" etc.rc_clean.host_edit)" = 1 ] && [ "$(qt_report "$l2" etc.rc_clean.base_v2)" != 1 ]; } ||
        fail "rc-clean.conf was changed without a line merge"
    [ "$(qt_report "$l2" etc.rc_conflict)" = "$conf" ] || fail "rc-conflict.conf changed"
    rc_expect "$l2" rcjson rc-mode.conf base-updated '"applied":true'
    rc_expect "$l2" rcjson rc-touched.conf base-updated '"applied":true'
    [ "$(qt_report "$l2" etc.rc_mode.base_v2)" = 1 ] || fail "rc-mode.conf did not take the base update"
    [ "$(qt_report "$l2" etc.rc_touched.base_v2)" = 1 ] || fail "rc-touched.conf did not take the base update"
    s=$(lgrep "$l2" -m1 -E '^(\[ *[0-9.]+\] )?sharedroot: (WARNING: )?reconcile /etc: [0-9]') || fail "no console summary for /etc"
    [[ $s == *" 2 conflict"* && $s == *"safe: applied 2"* ]] || fail "the summary does not say 2 conflict, safe: applied 2: $s"
    note "boot 2: ${s#*sharedroot: }"
    rm -f "$inst"
    pass
}
