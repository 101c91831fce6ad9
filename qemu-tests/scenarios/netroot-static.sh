# shellcheck shell=bash
# the base over NBD with a static ip= and nameserver=, from the --network --no-shell image
# (udhcpc is in it, but not used): the address, DNS server and ip='s host name are in
# /run/sharedroot/state
# qt-prepare: netroot

scenario() {
    local log=$LOGS/$SC.log v nic
    showlog "$log"
    mapfile -t nic < <(net_nic "nbdkit -s --log=null -r file $ROOTS/ext4.img")
    qt_boot "$log" "$INITRD_NET_NOSHELL" \
        "root=nbd:$NBD_ADDR:base ip=10.0.2.15::10.0.2.2:255.255.255.0:guest1:eth0:none nameserver=10.0.2.3" \
        "${nic[@]}"
    check_nbd_report "$log" ext4
    [ "$(state "$log" NET_0_METHOD)" = static ] || fail "state NET_0_METHOD=$(state "$log" NET_0_METHOD)"
    v=$(state "$log" NET_0_ADDRESS); [ "$v" = 10.0.2.15/24 ] || fail "state NET_0_ADDRESS=$v"
    v=$(state "$log" NET_0_GATEWAY); [ "$v" = 10.0.2.2 ] || fail "state NET_0_GATEWAY=$v"
    v=$(state "$log" NET_NAMESERVERS); [ "$v" = 10.0.2.3 ] || fail "state NET_NAMESERVERS=$v"
    v=$(state "$log" NET_0_HOSTNAME); [ "$v" = guest1 ] || fail "state NET_0_HOSTNAME=$v (ip='s HOSTNAME field)"
    lgrep "$log" -q 'network: eth0 is 10.0.2.15/24 via 10.0.2.2 (static)' ||
        fail "the log does not say how eth0 was configured"
    lgrep "$log" -q '(DHCP from' && fail "DHCP was used for a static ip="
    note_stages "$log"
    pass
}
