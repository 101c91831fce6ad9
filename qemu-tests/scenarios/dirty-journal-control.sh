# shellcheck shell=bash
# The control: the same dirty image mounted by a plain busybox initramfs ("mount -o ro",
# no noload, no BLKROSET) does change, so dirty-journal can fail.

scenario() {
    local log=$LOGS/$SC.log img=$QT_WORK/$SC.img before after
    showlog "$log"
    qt_make_dirty_ext4 "$ROOTS/ext4.img" "$img" >"$LOGS/$SC.mk.log" 2>&1 ||
        fail "could not make the dirty image: $(cat "$LOGS/$SC.mk.log")"
    before=$(sha "$img")
    qt_boot "$log" "$PLAIN_INITRD" "root=/dev/vda standin.plain" -drive "$(rw_disk "$img")"
    grep -q 'REPORT END' "$log" || fail "the plain initramfs did not boot the dirty image"
    after=$(sha "$img")
    [ "$before" != "$after" ] ||
        fail "a plain ro mount left the dirty image unchanged: dirty-journal proves nothing"
    note "plain 'mount -o ro' changed the dirty image ($(lgrep "$log" -m1 -oE 'EXT4-fs \(vda\): (recovery complete|orphan cleanup[^.]*)'))"
    rm -f "$img"
    pass
}
