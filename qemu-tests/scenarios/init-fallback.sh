# shellcheck shell=bash
# init=/nonexistent: a log line names it and says "not found", and the boot falls back to
# /sbin/init

scenario() {
    local log=$LOGS/$SC.log v
    showlog "$log"
    qt_boot "$log" "$INITRD" "root=/dev/vda init=/nonexistent" -drive "$(ro_disk "$ROOTS/ext4.img")"
    check_report "$log" ext4
    lgrep "$log" 'not found' | grep -q '/nonexistent' ||
        fail "no log line says init=/nonexistent was not found"
    v=$(qt_report "$log" init_args)
    [[ "$v" == *" /sbin/init"* ]] || fail "fell back to '$v', expected /sbin/init"
    note "$(lgrep "$log" 'not found' | grep -m1 '/nonexistent')"
    pass
}
