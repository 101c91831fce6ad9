# shellcheck shell=bash
# two QEMUs boot at the same time from one image file (both readonly=on); both reach the real init
# and the image is unchanged
# qt-weight: 2

scenario() {
    local a=$LOGS/$SC-a.log b=$LOGS/$SC-b.log img=$ROOTS/ext4.img before pa pb ok=1 l
    showlog "$a"; showlog "$b"
    before=$(sha "$img")
    qt_boot_bg "$a" "$INITRD" "root=LABEL=$QT_EXT4_LABEL" -drive "$(ro_disk "$img")"; pa=$QT_PID
    qt_boot_bg "$b" "$INITRD" "root=UUID=$QT_EXT4_UUID" -drive "$(ro_disk "$img")"; pb=$QT_PID
    wait "$pa"; wait "$pb"
    for l in "$a" "$b"; do
        grep -qi 'lock' "$l.qemu" && fail "QEMU refused to share the image: $(cat "$l.qemu")"
        (check_report "$l" ext4) || ok=0
    done
    [ $ok = 1 ] || fail "not both guests reached the real init: $(cat "$RES/$SC.result" 2>/dev/null)"
    [ "$(sha "$img")" = "$before" ] || fail "the shared base image changed"
    pass
}
