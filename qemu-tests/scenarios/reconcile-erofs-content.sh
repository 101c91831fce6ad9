# shellcheck shell=bash
# An erofs base made by sharedroot-mkbase, on virtio-blk, with an instance disk: reconcile
# records it, the same base again is a skip that hashed /etc's content, and a v2 that
# changed only the content of /etc files (same sizes, same times, same label and UUID: only
# the content tells) is recorded and applied as the default policy (safe) says: the chmod-ed
# copy takes v2's content with the host's mode, the edited files keep the host's edits
# qt-first: 3

# rce_tree DIR VERSION: the test root with /etc/rc-*.conf (30 lines); v2 changes one line of
# each to upper case, so every size stays
rce_tree() {
    local dir=$1 v=$2 f n
    qt_make_tree "$dir" "$QT_REPORT_INIT"
    for f in clean:25 conflict:5 mode:1 touched:1; do
        n=${f#*:}
        if [ "$v" = 1 ]; then rc_conf; else rc_conf | sed "s/^line $n\$/LINE $n/"; fi >"$dir/etc/rc-${f%%:*}.conf"
    done
    chmod 0644 "$dir"/etc/rc-*.conf
}

scenario() {
    local inst=$SCW/$SC-inst.img v1=$SCW/$SC-v1.img v2=$SCW/$SC-v2.img tree=$SCW/$SC-tree
    local l1=$LOGS/$SC-1.log l2=$LOGS/$SC-2.log l3=$LOGS/$SC-3.log mk=$BUILD/mkbase/sharedroot-mkbase
    local uuid=5e1f0e1f-0000-4000-8000-0000000e0f51 conf v s
    mkdir -p "$SCW"
    rm -f "$v1" "$v1.sha256" "$v2" "$v2.sha256"
    for v in 1 2; do
        rce_tree "$tree" "$v"
        # one build time for both: mkfs.erofs clamps every newer mtime to it
        SOURCE_DATE_EPOCH=1700000000 "$mk" --type erofs -L srt-rce -U "$uuid" -o "$SCW/$SC-v$v.img" "$tree" \
            >"$SCW/$SC.mk" 2>&1 || fail "sharedroot-mkbase v$v: $(cat "$SCW/$SC.mk")"
    done
    rm -rf "$tree"
    new_inst "$inst"
    # boot 1: v1, the host edits its /etc
    showlog "$l1"
    qt_boot "$l1" "$INITRD" "root=LABEL=srt-rce sharedroot.instance=/dev/vdb qt.step=edit" \
        -drive "$(ro_disk "$v1")" -drive "$(rw_disk "$inst")"
    check_report "$l1" erofs
    no_error "$l1"
    [ "$(qt_report "$l1" edit_done)" = 1 ] || fail "the first boot did not edit /etc"
    lgrep "$l1" -q 'sharedroot: reconcile /etc: base recorded' || fail "boot 1 did not record the base /etc"
    conf=$(qt_report "$l1" etc.rc_conflict)
    # boot 2: v1 again: nothing recorded, and the fingerprint says it read /etc's content
    showlog "$l2"
    qt_boot "$l2" "$INITRD" "root=LABEL=srt-rce sharedroot.instance=/dev/vdb" \
        -drive "$(ro_disk "$v1")" -drive "$(rw_disk "$inst")"
    check_report "$l2" erofs
    no_error "$l2"
    s=$(lgrep "$l2" -m1 'sharedroot: reconcile /etc: base ')
    [[ $s == *"base unchanged since the last boot (stat walk and the content of "*" files, "*" KiB: a read-only image)"* ]] ||
        fail "boot 2 (v1 again): $s"
    note "boot 2: ${s#*sharedroot: }"
    # the only-touched copy is the base's content: dropped, the base shows through
    rc_expect "$l2" rcjson rc-touched.conf redundant '"applied":true'
    # boot 3: v2, only content differs
    showlog "$l3"
    qt_boot "$l3" "$INITRD" "root=LABEL=srt-rce sharedroot.instance=/dev/vdb" \
        -drive "$(ro_disk "$v2")" -drive "$(rw_disk "$inst")"
    check_report "$l3" erofs
    no_error "$l3"
    lgrep "$l3" -q 'sharedroot: reconcile /etc: base recorded' ||
        fail "boot 3 took the content-only v2 for v1: $(lgrep "$l3" -m1 'reconcile /etc: base')"
    # safe: the chmod-ed copy takes v2 (the mode kept), rc-touched.conf is v2's through the
    # overlay, the host's edits stay
    rc_expect "$l3" rcjson rc-mode.conf base-updated '"applied":true'
    rc_expect "$l3" rcjson rc-conflict.conf conflict '"applied":false'
    for f in touched mode; do
        v=$(rc_conf | sed "s/^line 1\$/LINE 1/" | sha256sum | cut -c1-16)
        [ "$(qt_report "$l3" "etc.rc_$f" | cut -d' ' -f1)" = "$v" ] ||
            fail "rc-$f.conf does not hold v2: $(qt_report "$l3" "etc.rc_$f")"
    done
    [ "$(qt_report "$l3" etc.rc_mode | cut -d' ' -f2)" = 600 ] || fail "rc-mode.conf lost the host's mode"
    [ "$(qt_report "$l3" etc.rc_conflict)" = "$conf" ] || fail "rc-conflict.conf changed"
    [ "$(qt_report "$l3" etc.rc_clean.host_edit)" = 1 ] || fail "rc-clean.conf lost the host's edit"
    s=$(lgrep "$l3" -m1 -E '^(\[ *[0-9.]+\] )?sharedroot: (WARNING: )?reconcile /etc: [0-9]') || fail "no console summary for /etc"
    note "boot 3: ${s#*sharedroot: }"
    rm -f "$inst" "$v1" "$v1.sha256" "$v2" "$v2.sha256" "$SCW/$SC.mk"
    pass
}
