# shellcheck shell=bash
# the shutdown program with a network root: the base and the instance disk over NBD (one
# nbdkit on a Unix socket, verbose), systemd's return to /run/initramfs emulated by the report
# init (qt.step=exitrd): everything below /oldroot is unmounted cleanly, then each NBD device is
# flushed and disconnected, so that the server is told (NBD_CMD_DISC on every connection)
# instead of seeing the connections drop at the power-off, and the resident helpers are
# stopped; the instance export is clean afterwards, the base export unchanged
# qt-prepare: netroot

scenario() {
    local ex=$SCW/$SC-exports log=$LOGS/$SC.log sock=$SCW/$SC.sock srv=$SCW/$SC-nbdkit.log
    local before nic conns disc
    showlog "$log"; showlog "$srv"
    rm -rf "$ex"; mkdir -p "$ex"
    cp --sparse=always "$ROOTS/ext4.img" "$ex/base"
    new_inst "$ex/inst"
    before=$(sha "$ex/base")
    : >"$srv"
    nbd_serve "$sock" -v file dir="$ex"
    mapfile -t nic < <(net_nic "$(nbd_via "$sock")")
    qt_boot "$log" "$INITRD_NET" "root=nbd:$NBD_ADDR:base ip=dhcp \
sharedroot.instance=nbd:$NBD_ADDR:inst:ext4 sharedroot.shutdown=on qt.step=exitrd" "${nic[@]}"
    nbd_kill
    check_nbd_report "$log" ext4
    lgrep "$log" -q 'REPORT exitrd_failed' && fail "no executable /run/initramfs/shutdown in the booted system"
    lgrep "$log" -q 'sharedroot: shutdown: [0-9]* filesystems below /oldroot unmounted cleanly; poweroff' ||
        fail "the shutdown program did not report a clean unmount"
    lgrep "$log" -q 'sharedroot: WARNING: shutdown' && fail "$(lgrep "$log" -m1 'sharedroot: WARNING: shutdown')"
    for d in nbd0 nbd1; do
        lgrep "$log" -q "shutdown: /dev/$d flushed and disconnected from its server" ||
            fail "the shutdown program did not disconnect /dev/$d"
    done
    lgrep "$log" -q 'shutdown: 2 resident NBD helpers stopped$' ||
        fail "the resident helpers were not stopped: $(lgrep "$log" -m1 'resident NBD helper')"
    lgrep "$log" -q 'reboot: Power down' || fail "the guest did not power off"
    # the server's side: every connection it served ended with NBD_CMD_DISC
    conns=$(grep -c 'debug: accepted connection' "$srv")
    disc=$(grep -c 'client sent NBD_CMD_DISC' "$srv")
    [ "$conns" -ge 2 ] || fail "the server logged $conns connections, expected at least 2 ($srv)"
    [ "$disc" = "$conns" ] || fail "$disc of $conns connections ended with NBD_CMD_DISC ($srv)"
    ! dumpe2fs -h "$ex/inst" 2>/dev/null | grep -q needs_recovery ||
        fail "the instance export still needs a journal replay after the shutdown"
    e2fsck -fn "$ex/inst" >/dev/null 2>&1 || fail "e2fsck -n finds problems on the instance export"
    [ "$(sha "$ex/base")" = "$before" ] || fail "the base export changed"
    note "$disc NBD connections closed with NBD_CMD_DISC"
    rm -rf "$ex"
    pass
}
