# shellcheck shell=bash
# sharedroot=off rw: image maintenance. The one way the base is written on purpose: the root
# is read-write, no overlay, no /run/sharedroot; and without rw it stays read-only.

scenario() {
    local log=$LOGS/$SC.log img=$QT_WORK/$SC.img before after v
    showlog "$log"
    cp --sparse=always "$ROOTS/ext4.img" "$img"
    before=$(sha "$img")
    qt_boot "$log" "$INITRD" "root=/dev/vda sharedroot=off rw" -drive "$(rw_disk "$img")"
    lgrep "$log" -q 'REPORT END' || fail "the maintenance boot did not reach the real init"
    v=$(qt_report "$log" root_ro);    [ "$v" = 0 ] || fail "root is read-only with sharedroot=off rw"
    v=$(qt_report "$log" write_root); [ "$v" = ok ] || fail "writing /testfile failed with sharedroot=off rw"
    lgrep "$log" -q 'REPORT mount=overlay ' && fail "an overlay was mounted with sharedroot=off"
    lgrep "$log" -q 'sharedroot=off: /dev/vda mounted READ-WRITE' || fail "no maintenance notice in the log"
    after=$(sha "$img")
    [ "$before" != "$after" ] || fail "the image is unchanged after a read-write maintenance boot"
    qt_boot "$log.ro" "$INITRD" "root=/dev/vda sharedroot=off" -drive "$(rw_disk "$img")"
    v=$(qt_report "$log.ro" root_ro); [ "$v" = 1 ] || fail "sharedroot=off without rw mounted the root read-write"
    rm -f "$img"
    pass
}
