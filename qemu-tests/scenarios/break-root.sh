# shellcheck shell=bash
# sharedroot.break=root: a shell after the root stage, driven over the serial console

scenario() {
    local log=$LOGS/$SC.log pid
    showlog "$log"
    qt_boot_interactive "$log" "$INITRD" "root=/dev/vda sharedroot.break=root" -drive "$(ro_disk "$BASE_IMG")"
    pid=$QT_PID
    qt_wait_for "$log" '\(sharedroot root\) #' 60 || { qt_stop "$pid"; fail "no break point shell prompt '(sharedroot root) #'"; }
    lgrep "$log" -q "break point after stage 'root'" || { qt_stop "$pid"; fail "no break point banner naming stage root"; }
    for _ in 1 2 3; do
        # shellcheck disable=SC2016  # expanded by the guest's shell
        qt_send 'echo HELLO-$((6*7))'
        qt_wait_for "$log" 'HELLO-42' 5 && break
    done
    lgrep "$log" -q HELLO-42 || { qt_stop "$pid"; fail "the break point shell did not run a command"; }
    qt_send 'exit'
    qt_wait_for "$log" 'REPORT END' 60
    qt_stop "$pid"
    check_report "$log" ext4; no_error "$log"
    pass
}
