# shellcheck shell=bash
# the same with no disk, the --no-shell initramfs and panic=1: the error, no shell, and the guest
# ends by itself

scenario() {
    local log=$LOGS/$SC.log start rc took
    showlog "$log"
    start=$(date +%s%N)
    QT_TIMEOUT=$((MISSING_TIMEOUT + 60)) qt_boot "$log" "$INITRD_NOSHELL" \
        "root=$MISSING_SPEC sharedroot.timeout=$MISSING_TIMEOUT panic=1"
    rc=$?
    took=$(qt_elapsed "$start")
    { [ $rc -ne 124 ] && [ $rc -ne 137 ]; } || fail "QEMU did not exit by itself within $((MISSING_TIMEOUT + 60))s"
    check_missing_error "$log"
    lgrep "$log" -qE "$QT_SHELL_RE" &&
        fail "an initramfs built with --no-shell offered an emergency shell"
    note "guest ended itself after ${took}s (QEMU status $rc)"
    pass
}
