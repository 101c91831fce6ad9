# shellcheck shell=bash
# root= names a UUID no disk has: an error naming it within the timeout, then the emergency shell
# runs a command typed on the serial console

scenario() {
    local log=$LOGS/$SC.log
    showlog "$log"
    # a disk is attached, just not the one root= names
    qt_boot_interactive "$log" "$INITRD" "root=$MISSING_SPEC sharedroot.timeout=$MISSING_TIMEOUT" \
        -drive "$(ro_disk "$ROOTS/ext4.img")"
    local pid=$QT_PID
    if ! qt_wait_for "$log" "$QT_SHELL_RE" $((MISSING_TIMEOUT + 40)); then
        qt_stop "$pid"
        check_missing_error "$log"
        fail "no emergency shell banner"
    fi
    sleep 1
    for _ in 1 2 3; do
        # shellcheck disable=SC2016  # expanded by the guest's shell
        qt_send 'echo HELLO-$((6*7))'
        qt_wait_for "$log" 'HELLO-42' 5 && break
    done
    qt_send 'poweroff -f'
    sleep 1
    qt_stop "$pid"
    check_missing_error "$log"
    lgrep "$log" -q 'HELLO-42' || fail "the emergency shell did not run a command"
    pass
}
