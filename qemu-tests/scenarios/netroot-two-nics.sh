# shellcheck shell=bash
# several ip= for several interfaces: two NICs, each on its own QEMU user network (restrict=on),
# eth0 by DHCP (the base, read-only, from 10.0.2.100) and eth1 static without a gateway (the
# instance disk, read-write, from 10.0.3.100 on eth1's own network): both configured by the
# initramfs, both recorded in /run/sharedroot/state, both still configured in the booted system,
# and the instance reached over eth1 keeps its identity across two boots
# qt-prepare: netroot

NIC1_NET=10.0.3
NIC1_IP=$NIC1_NET.15

# net_state LOG IFACE KEY: NET_N_KEY of the state's entry for IFACE
net_state() {
    local n c
    c=$(state "$1" NET_COUNT)
    for ((n = 0; n < ${c:-0}; n++)); do
        [ "$(state "$1" "NET_${n}_IFACE")" = "$2" ] && { state "$1" "NET_${n}_$3"; return 0; }
    done
    return 1
}

two_nics_check() { # LOG
    local log=$1 v
    check_nbd_report "$log" ext4
    [ "$(state "$log" NET_COUNT)" = 2 ] || fail "state NET_COUNT=$(state "$log" NET_COUNT), expected 2"
    v=$(net_state "$log" eth0 METHOD) || fail "eth0 is not in the state"
    [ "$v" = dhcp ] || fail "eth0: METHOD=$v, expected dhcp"
    v=$(net_state "$log" eth0 ADDRESS); [ "$v" = 10.0.2.15/24 ] || fail "eth0: ADDRESS=$v"
    v=$(net_state "$log" eth0 DHCP_SERVER); [ "$v" = 10.0.2.2 ] || fail "eth0: DHCP_SERVER=$v"
    v=$(net_state "$log" eth1 METHOD) || fail "eth1 is not in the state"
    [ "$v" = static ] || fail "eth1: METHOD=$v, expected static"
    v=$(net_state "$log" eth1 ADDRESS); [ "$v" = "$NIC1_IP/24" ] || fail "eth1: ADDRESS=$v"
    v=$(net_state "$log" eth1 GATEWAY); [ -z "$v" ] || fail "eth1: GATEWAY=$v, none was given"
    lgrep "$log" -q 'network: eth0 is 10.0.2.15/24 (DHCP from 10.0.2.2' || fail "the console does not say how eth0 was configured"
    lgrep "$log" -q "network: eth1 is $NIC1_IP/24 (static)" || fail "the console does not say how eth1 was configured"
    # in the booted system: both addresses and subnets (QEMU's DHCP with restrict=on offers no
    # router, and eth1 has no gateway: no default route)
    lgrep "$log" -q '^REPORT ipaddr=eth0 10.0.2.15/24$' || fail "eth0 has no 10.0.2.15/24 in the booted system"
    lgrep "$log" -q "^REPORT ipaddr=eth1 $NIC1_IP/24\$" || fail "eth1 has no $NIC1_IP/24 in the booted system"
    lgrep "$log" -q '^REPORT iproute=10.0.2.0/24 dev eth0' || fail "no route to 10.0.2.0/24 on eth0 in the booted system"
    lgrep "$log" -q "^REPORT iproute=$NIC1_NET.0/24 dev eth1" || fail "no route to $NIC1_NET.0/24 on eth1 in the booted system"
    [ "$(state "$log" MODE)" = instance ] || fail "state MODE=$(state "$log" MODE)"
    v=$(state "$log" NBD_1_SERVER); [ "$v" = "$NIC1_NET.100" ] || fail "state NBD_1_SERVER=$v"
    v=$(state "$log" INSTANCE_0_DEVICE); [ "$v" = /dev/nbd1 ] || fail "the instance is on $v, not /dev/nbd1"
}

scenario() {
    local a=$LOGS/$SC-1.log b=$LOGS/$SC-2.log inst=$SCW/$SC-inst.img before i1 i2 append
    showlog "$a"; showlog "$b"
    mkdir -p "$SCW"
    new_inst "$inst"
    before=$(sha "$ROOTS/ext4.img")
    local nics=(
        -netdev "user,id=n0,restrict=on,guestfwd=tcp:$NBD_ADDR:$NBD_PORT-$(guestfwd_cmd "nbdkit -s --log=null -r file $ROOTS/ext4.img")"
        -device "virtio-net-pci,netdev=n0"
        -netdev "user,id=n1,restrict=on,net=$NIC1_NET.0/24,guestfwd=tcp:$NIC1_NET.100:$NBD_PORT-$(guestfwd_cmd "nbdkit -s --log=null file $inst")"
        -device "virtio-net-pci,netdev=n1"
    )
    append="root=nbd:$NBD_ADDR:base ip=eth0:dhcp ip=$NIC1_IP:::255.255.255.0::eth1:none sharedroot.instance=nbd:$NIC1_NET.100:inst:ext4"
    qt_boot "$a" "$INITRD_NET" "$append" "${nics[@]}"
    two_nics_check "$a"
    i1=$(ident "$a")
    qt_boot "$b" "$INITRD_NET" "$append" "${nics[@]}"
    two_nics_check "$b"
    i2=$(ident "$b")
    [ "$i1" = "$i2" ] || fail "the identity changed across boots: '$i1' then '$i2'"
    [ "$(qt_report "$b" boot_count)" = 2 ] || fail "boot_count $(qt_report "$b" boot_count), expected 2"
    [ "$(sha "$ROOTS/ext4.img")" = "$before" ] || fail "the base changed"
    rm -f "$inst"
    pass
}
