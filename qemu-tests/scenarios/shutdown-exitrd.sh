# shellcheck shell=bash
# systemd's return to the initramfs at shutdown, emulated by the report init (qt.step=exitrd:
# pivot into /run/initramfs, old root at /oldroot, exec /shutdown poweroff): the shutdown
# program unmounts everything and powers off, and the instance filesystem is clean afterwards
# (no journal to replay, e2fsck -n finds nothing). The control boot (the report init's plain
# poweroff -f) leaves it dirty. The RAM the kept files cost is noted.

scenario() {
    local img=$SCW/$SC.img l0=$LOGS/$SC-control.log l1=$LOGS/$SC.log before
    mkdir -p "$SCW"; new_inst "$img"
    before=$(sha "$BASE_IMG")
    showlog "$l0"; showlog "$l1"
    inst_boot "$l0" "sharedroot.instance=/dev/vdb" -drive "$(rw_disk "$img")"
    check_report "$l0" ext4; no_error "$l0"
    dumpe2fs -h "$img" 2>/dev/null | grep -q needs_recovery ||
        fail "control: a plain poweroff -f left the instance clean: the test cannot fail"
    lgrep "$l0" -q 'kept [0-9]* files' && fail "control: the shutdown program was kept for a non-systemd init"
    inst_boot "$l1" "sharedroot.instance=/dev/vdb sharedroot.shutdown=on qt.step=exitrd" -drive "$(rw_disk "$img")"
    check_report "$l1" ext4; no_error "$l1"
    lgrep "$l1" -q 'REPORT exitrd_failed' && fail "no executable /run/initramfs/shutdown in the booted system"
    lgrep "$l1" -q 'sharedroot: shutdown: [0-9]* filesystems below /oldroot unmounted cleanly; poweroff' ||
        fail "the shutdown program did not report a clean unmount"
    lgrep "$l1" -q 'sharedroot: WARNING: shutdown' && fail "$(lgrep "$l1" -m1 'sharedroot: WARNING: shutdown')"
    lgrep "$l1" -q 'reboot: Power down' || fail "the guest did not power off"
    ! dumpe2fs -h "$img" 2>/dev/null | grep -q needs_recovery ||
        fail "the instance filesystem still needs a journal replay after the shutdown"
    e2fsck -fn "$img" >/dev/null 2>&1 || fail "e2fsck -n finds problems on the instance after the shutdown"
    [ "$(sha "$BASE_IMG")" = "$before" ] || fail "the shared base image changed"
    note "kept: $(lgrep "$l1" -m1 -o 'kept [0-9]* files ([0-9]* KiB[^)]*) for /run/initramfs/shutdown in [0-9]* ms'); /run/initramfs: $(qt_report "$l1" exitrd_kb) KiB; mem_used_kb $(qt_report "$l0" mem_used_kb) without, $(qt_report "$l1" mem_used_kb) with"
    rm -f "$img"
    pass
}
