# shellcheck shell=bash
# A base that a crashed guest left with a dirty journal and an orphan inode, attached
# WRITABLE: any journal replay or orphan cleanup would change it.

scenario() {
    local log=$LOGS/$SC.log img=$QT_WORK/$SC.img before after
    showlog "$log"
    qt_make_dirty_ext4 "$ROOTS/ext4.img" "$img" >"$LOGS/$SC.mk.log" 2>&1 ||
        fail "could not make the dirty image: $(cat "$LOGS/$SC.mk.log")"
    before=$(sha "$img")
    qt_boot "$log" "$INITRD" "root=/dev/vda" -drive "$(rw_disk "$img")"
    check_report "$log" ext4
    after=$(sha "$img")
    [ "$before" = "$after" ] || fail "the dirty base image was modified (journal replay or orphan cleanup)"
    rm -f "$img"
    pass
}
