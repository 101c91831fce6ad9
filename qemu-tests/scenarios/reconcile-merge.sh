# shellcheck shell=bash
# a host edits its /etc on base v1, then boots base v2 with the merge initramfs and
# sharedroot.reconcile=merge: clean merges applied, the conflict kept; a third boot only walks
# qt-first: 1
# qt-prepare: reconcile

scenario() {
    local inst=$SCW/$SC.img l1=$LOGS/$SC-1.log l2=$LOGS/$SC-2.log l3=$LOGS/$SC-3.log conf v s
    mkdir -p "$SCW"; new_inst "$inst"
    conf=$(rc_first_boot "$l1" "$inst" "$INITRD_MERGE") || exit 1
    # boot 2: base v2, libgit2 in the initramfs, policy merge
    rc_boot "$l2" "$RC_V2" "$INITRD_MERGE" "sharedroot.reconcile=merge" "$inst"
    no_error "$l2"
    lgrep "$l2" -q 'sharedroot: reconcile /etc: base recorded' || fail "boot 2 did not record base v2"
    # the clean merge is applied: both changes in the file
    { [ "$(qt_report "$l2" etc.rc_clean.host_edit)" = 1 ] && [ "$(qt_report "$l2" etc.rc_clean.base_v2)" = 1 ]; } ||
        fail "rc-clean.conf does not hold both changes (host edit: $(qt_report "$l2" etc.rc_clean.host_edit), base v2: $(qt_report "$l2" etc.rc_clean.base_v2))"
    # the conflict: the host's file byte-identical (and its mode)
    v=$(qt_report "$l2" etc.rc_conflict)
    [ "$v" = "$conf" ] || fail "rc-conflict.conf changed: '$conf' -> '$v'"
    # chmod-only: the new content, the host's mode; touched only: the base's file
    [ "$(qt_report "$l2" etc.rc_mode.base_v2)" = 1 ] || fail "rc-mode.conf did not take the base update"
    [ "$(qt_report "$l2" etc.rc_mode | cut -d' ' -f2)" = 600 ] || fail "rc-mode.conf lost the host's mode: $(qt_report "$l2" etc.rc_mode)"
    [ "$(qt_report "$l2" etc.rc_touched.base_v2)" = 1 ] || fail "rc-touched.conf did not take the base update"
    # the console summary
    s=$(lgrep "$l2" -m1 -E '^(\[ *[0-9.]+\] )?sharedroot: (WARNING: )?reconcile /etc: [0-9]') || fail "no console summary for /etc"
    [[ $s == *" 1 merged"* && $s == *" 1 conflict"* && $s == *"merge: applied"* ]] ||
        fail "the summary does not say 1 merged, 1 conflict, applied: $s"
    note "boot 2: ${s#*sharedroot: }"
    # /run/sharedroot/reconcile.json, by path
    rc_expect "$l2" rcjson rc-clean.conf merged '"applied":true'
    rc_expect "$l2" rcjson rc-conflict.conf conflict '"applied":false' '"conflict_object":'
    rc_expect "$l2" rcjson rc-mode.conf base-updated '"applied":true'
    rc_expect "$l2" rcjson rc-touched.conf base-updated '"applied":true'
    # overlay-reconcile --report in the guest: the conflict is still there, it needs attention
    [ "$(qt_report "$l2" orc_status)" = 1 ] || fail "overlay-reconcile --report in the guest exited $(qt_report "$l2" orc_status), expected 1"
    lgrep "$l2" 'REPORT orc ' | sed 's/^.*REPORT orc //' | awk '/^[a-z-]+ \([0-9]+\):$/ { sec = $1; next } { print sec, $1 }' |
        grep -qx 'conflict rc-conflict.conf' || fail "overlay-reconcile --report in the guest does not list rc-conflict.conf as a conflict"
    rc_expect "$l2" orcjson rc-conflict.conf conflict
    v=$(rc_json "$l2" orcjson rc-clean.conf)
    [[ $v != *conflict* && $v != *'"merged"'* ]] || fail "overlay-reconcile --report still sees rc-clean.conf as to merge: $v"
    # boot 3: the same base again: only a stat walk
    rc_boot "$l3" "$RC_V2" "$INITRD_MERGE" "sharedroot.reconcile=merge" "$inst"
    no_error "$l3"
    lgrep "$l3" -q 'sharedroot: reconcile /etc: base unchanged since the last boot (stat walk' ||
        fail "boot 3 (base unchanged) did not say the record was a stat walk: $(lgrep "$l3" -m1 'reconcile /etc: base')"
    [ "$(qt_report "$l3" etc.rc_conflict)" = "$conf" ] || fail "boot 3 changed rc-conflict.conf"
    note_stages "$l2"
    rm -f "$inst"
    pass
}
