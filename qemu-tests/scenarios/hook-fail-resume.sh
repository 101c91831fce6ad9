# shellcheck shell=bash
# a failing hook stops the boot in the emergency shell (the banner names the stage and the
# hook); fixed by hand, sharedroot-init --resume goes on; an -optional failing hook only warns

scenario() {
    local initrd=$QT_WORK/initramfs-$SC.img log=$LOGS/$SC.log opt fix msg pid
    opt=$(mk_hook 50-flaky-optional 0755 'echo "qt-optional-ran"; exit 1')
    fix=$(mk_hook 30-needs-fix 0755 '[ -e /run/qt-fixed ] && { echo qt-fixed-seen; exit 0; }
echo "qt: /run/qt-fixed is missing"; exit 3')
    msg=$(qt_build_initramfs "$BUILD" "$initrd" --hook "devices:$opt" --hook "root:$fix" 2>&1) ||
        fail "mkinitramfs --hook: $msg"
    showlog "$log"
    qt_boot_interactive "$log" "$initrd" "root=/dev/vda" -drive "$(ro_disk "$BASE_IMG")"
    pid=$QT_PID
    qt_wait_for "$log" "$QT_SHELL_RE" 60 || { qt_stop "$pid"; fail "no emergency shell after the failing hook"; }
    sleep 1
    lgrep "$log" -q 'qt-optional-ran' || { qt_stop "$pid"; fail "the -optional hook did not run"; }
    lgrep "$log" -q "sharedroot: boot failed in stage 'root'" || { qt_stop "$pid"; fail "the banner does not name stage 'root'"; }
    lgrep "$log" -q 'hook .*root.d/30-needs-fix failed' || { qt_stop "$pid"; fail "the banner does not name the hook root.d/30-needs-fix"; }
    lgrep "$log" -q 'qt: /run/qt-fixed is missing' || { qt_stop "$pid"; fail "the hook's output is not on the console"; }
    lgrep "$log" 'sharedroot: boot failed' | grep -q devices && { qt_stop "$pid"; fail "the -optional hook's failure stopped the boot"; }
    for _ in 1 2 3; do
        # shellcheck disable=SC2016  # expanded by the guest's shell
        qt_send 'touch /run/qt-fixed; echo FIXED-$((6*7))'
        qt_wait_for "$log" 'FIXED-42' 5 && break
    done
    lgrep "$log" -q FIXED-42 || { qt_stop "$pid"; fail "the emergency shell did not run a command"; }
    qt_send 'sharedroot-init --resume'
    qt_wait_for "$log" 'REPORT END' 60
    qt_stop "$pid"
    check_report "$log" ext4
    lgrep "$log" -q 'qt-fixed-seen' || fail "the hook did not run again after --resume"
    lgrep "$log" -q -E '^(\[ *[0-9.]+\] )?sharedroot: WARNING: hook .*devices.d/50-flaky-optional is optional' ||
        fail "no console warning that the failed -optional hook was passed over"
    note "$(lgrep "$log" -m1 -o 'sharedroot: [^ ]* *hook .*root.d/30-needs-fix failed.*')"
    note "$(lgrep "$log" -m1 -o -E 'sharedroot: WARNING: hook .*50-flaky-optional is optional.*')"
    pass
}
