# shellcheck shell=bash
# issue 16: a host booted on v1 is settled on Dom0 against v2 (apply --policy merge on its
# instance disk, as an admin previews and settles before the rollout), then boots v2 with the
# default initramfs (no libgit2): the boot finds nothing left to do for what Dom0 applied
# qt-first: 4
# qt-prepare: reconcile

# dom0_settle INST: as Dom0, both disks loop-mounted in a private mount namespace (the base
# read-only), apply --policy merge and report again; prints both JSON reports, prefixed
dom0_settle() {
    # shellcheck disable=SC2016  # the script's variables are its arguments
    unshare -m --propagation private bash -c '
        set -e; orc=$1 inst=$2 v2=$3 w=$4
        mkdir -p "$w/i" "$w/b"
        mount -o loop "$inst" "$w/i"
        mount -o loop,ro,noload "$v2" "$w/b"
        set +e
        "$orc" --lower "$w/b/etc" --upper "$w/i/overlay/etc/upper" --store "$w/i/reconcile/etc" \
            --apply --policy merge --json | sed "s/^/APPLY /"
        "$orc" --lower "$w/b/etc" --upper "$w/i/overlay/etc/upper" --store "$w/i/reconcile/etc" \
            --json | sed "s/^/AFTER /"' - "$BUILD/reconcile/overlay-reconcile" "$1" "$RC_V2" "$SCW/mnt" 2>&1
}

scenario() {
    local inst=$SCW/$SC.img l1=$LOGS/$SC-1.log l2=$LOGS/$SC-2.log conf s out
    mkdir -p "$SCW"; new_inst "$inst"
    conf=$(rc_first_boot "$l1" "$inst" "$INITRD") || exit 1
    out=$(dom0_settle "$inst") || fail "the Dom0 apply failed: $out"
    echo "$out" >"$LOGS/$SC-dom0.log"
    [[ $out == *'APPLY {"path":"rc-clean.conf","outcome":"merged"'*'"applied":true'* ]] ||
        fail "Dom0: rc-clean.conf was not merged and applied: $(grep -a 'rc-clean' <<<"$out")"
    [[ $out == *'AFTER {"path":"rc-clean.conf","outcome":"unchanged"'* ]] ||
        fail "Dom0: a second report does not call rc-clean.conf unchanged: $(grep -a 'AFTER.*rc-clean' <<<"$out")"
    # boot 2: base v2, the default initramfs (no libgit2), the default policy
    rc_boot "$l2" "$RC_V2" "$INITRD" "" "$inst"
    no_error "$l2"
    lgrep "$l2" -q 'sharedroot: reconcile /etc: base unchanged since the last boot (stat walk' ||
        fail "boot 2 did not find base v2 recorded by the Dom0 apply: $(lgrep "$l2" -m1 'reconcile /etc: base')"
    rc_expect "$l2" rcjson rc-clean.conf unchanged
    { [ "$(qt_report "$l2" etc.rc_clean.host_edit)" = 1 ] && [ "$(qt_report "$l2" etc.rc_clean.base_v2)" = 1 ]; } ||
        fail "rc-clean.conf does not hold both changes after the Dom0 merge"
    rc_expect "$l2" rcjson rc-conflict.conf conflict
    [ "$(qt_report "$l2" etc.rc_conflict)" = "$conf" ] || fail "rc-conflict.conf changed"
    s=$(lgrep "$l2" -m1 -E '^(\[ *[0-9.]+\] )?sharedroot: (WARNING: )?reconcile /etc: [0-9]') || fail "no console summary for /etc"
    [[ $s == *" 1 conflict"* && $s != *merged* && $s != *"base-updated"* ]] ||
        fail "boot 2 has more to do than the one real conflict: $s"
    note "boot 2: ${s#*sharedroot: }"
    rm -f "$inst"
    pass
}
