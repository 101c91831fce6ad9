# shellcheck shell=bash
# NBD failures that stop at once, each a clear error naming server and export, then the
# emergency shell: an unknown export; an instance export the server offers read-only; an export
# smaller than the filesystem on it
# qt-prepare: netroot

scenario() {
    local ex=$SCW/$SC-exports nic ro log
    rm -rf "$ex"; mkdir -p "$ex"
    cp --sparse=always "$ROOTS/ext4.img" "$ex/base"
    head -c 8M "$ROOTS/ext4.img" >"$ex/short"
    new_inst "$ex/inst"
    mapfile -t nic < <(net_nic "nbdkit -s --log=null file dir=$ex")
    mapfile -t ro < <(net_nic "nbdkit -s --log=null -r file dir=$ex")

    log=$LOGS/$SC-unknown.log; showlog "$log"
    qt_boot "$log" "$INITRD_NET" "root=nbd:$NBD_ADDR:nope ip=dhcp" "${nic[@]}"
    expect_error "$log" "root=nbd:$NBD_ADDR:nope: NBD server $NBD_ADDR port $NBD_PORT, export 'nope': the server has no such export.*check the export name"
    lgrep "$log" -q 'trying again' && fail "an unknown export was retried"
    lgrep "$log" -qE "$QT_SHELL_RE" || fail "no emergency shell after the error"

    log=$LOGS/$SC-ro-instance.log; showlog "$log"
    qt_boot "$log" "$INITRD_NET" "root=nbd:$NBD_ADDR:base ip=dhcp sharedroot.instance=nbd:$NBD_ADDR:inst" "${ro[@]}"
    expect_error "$log" "sharedroot.instance=nbd:$NBD_ADDR:inst: the server exports it read-only; instance storage must be writable"

    log=$LOGS/$SC-short.log; showlog "$log"
    qt_boot "$log" "$INITRD_NET" "root=nbd:$NBD_ADDR:short:ext4 ip=dhcp" "${nic[@]}"
    expect_error "$log" "Failed to mount /dev/nbd0 \(root=nbd:$NBD_ADDR:short:ext4, ext4.*the export holds the whole filesystem: NBD server $NBD_ADDR port $NBD_PORT, export 'short' \(/dev/nbd0\) is 8388608 bytes"
    rm -rf "$ex"
    pass
}
