# shellcheck shell=bash
# the base over NBD with ip=dhcp: nbdkit (guestfwd cmd:, on stdio) serves an ext4 with a dirty
# journal WRITABLE; the guest boots from /dev/nbd0 read-only (BLKROSET, norecovery, the kernel
# told the export is read-only), the lease is in /run/sharedroot/state, the resident helper
# runs, and the image is byte-identical afterwards
# qt-prepare: netroot

scenario() {
    local log=$LOGS/$SC.log img=$SCW/$SC.img before v nic
    showlog "$log"
    mkdir -p "$SCW"
    qt_make_dirty_ext4 "$ROOTS/ext4.img" "$img" >/dev/null || fail "could not make the dirty base"
    before=$(sha "$img")
    mapfile -t nic < <(net_nic "nbdkit -s --log=null file $img")
    qt_boot "$log" "$INITRD_NET" "root=nbd:$NBD_ADDR:base ip=dhcp" "${nic[@]}"
    check_nbd_report "$log" ext4
    v=$(qt_report "$log" root_opts)
    [[ ",$v," == *,norecovery,* ]] || fail "the base was mounted without norecovery ($v)"
    [ "$(state "$log" NET_0_IFACE)" = eth0 ] || fail "state NET_0_IFACE=$(state "$log" NET_0_IFACE)"
    [ "$(state "$log" NET_0_METHOD)" = dhcp ] || fail "state NET_0_METHOD=$(state "$log" NET_0_METHOD)"
    v=$(state "$log" NET_0_ADDRESS); [ "$v" = 10.0.2.15/24 ] || fail "state NET_0_ADDRESS=$v"
    v=$(state "$log" NET_0_DHCP_SERVER); [ "$v" = 10.0.2.2 ] || fail "state NET_0_DHCP_SERVER=$v"
    v=$(state "$log" NET_0_LEASE_S); [ "${v:-0}" -gt 0 ] || fail "no lease time in the state ($v)"
    v=$(state "$log" NBD_0_SERVER); [ "$v" = "$NBD_ADDR" ] || fail "state NBD_0_SERVER=$v"
    v=$(state "$log" NBD_0_EXPORT); [ "$v" = base ] || fail "state NBD_0_EXPORT=$v"
    v=$(qt_report "$log" nbd_helper); [ -n "$v" ] || fail "no @sharedroot-nbd process in the booted system"
    [ "$(sha "$img")" = "$before" ] || fail "the base image changed during the boot"
    note_stages "$log"
    rm -f "$img"
    pass
}
