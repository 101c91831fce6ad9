# shellcheck shell=bash
# the three kernel command lines at the top of docs/network-root.md, taken from the doc and
# booted as written (nothing replaced): the guest's QEMU user network is the doc's 10.0.0.0/24
# (restrict=on, the host side 10.0.0.1, the doc's gateway) and guestfwd makes 10.0.0.5:10809
# one nbdkit per connection serving the exports base (a copy of the ext4 test root) and web1
# (an empty instance disk) from a directory. DHCP: a lease in 10.0.0.0/24; the static line:
# 10.0.0.21/24 via 10.0.0.1 on eth0; the instance line (no ip=: DHCP on the first interface):
# MODE=instance with web1 read-write on /dev/nbd1, claimed. The base export never changes.
# qt-prepare: netroot

scenario() {
    local doc=$QT_SELF_DIR/../docs/network-root.md ex=$SCW/$SC-exports lines line n=0 log
    local before v nic
    lines=$(awk '/^```/ { if (b) exit; b = 1; next } b { sub(/ *#.*/, ""); print }' "$doc")
    [ "$(grep -c '^root=nbd:10\.0\.0\.5:base ' <<<"$lines")" = 3 ] ||
        fail "the first block of $doc is not the three root=nbd:10.0.0.5:base lines: $lines"
    rm -rf "$ex"; mkdir -p "$ex"
    cp --sparse=always "$ROOTS/ext4.img" "$ex/base"
    new_inst "$ex/web1"
    before=$(sha "$ex/base")
    # shellcheck disable=SC2054  # QEMU's comma-separated option values
    nic=(-netdev "user,id=n0,restrict=on,net=10.0.0.0/24,host=10.0.0.1,guestfwd=tcp:10.0.0.5:10809-$(guestfwd_cmd "nbdkit -s --log=null file dir=$ex")"
        -device virtio-net-pci,netdev=n0)
    while IFS= read -r line; do
        n=$((n + 1)); log=$LOGS/$SC-$n.log
        showlog "$log"; note "line $n: $line"
        qt_boot "$log" "$INITRD_NET" "$line" "${nic[@]}"
        check_nbd_report "$log" ext4
        no_error "$log"
        v=$(state "$log" NBD_0_EXPORT); [ "$v" = base ] || fail "line $n: state NBD_0_EXPORT=$v"
        case $line in
        *' ip=dhcp'*)
            [ "$(state "$log" NET_0_METHOD)" = dhcp ] || fail "line $n: NET_0_METHOD=$(state "$log" NET_0_METHOD)"
            [[ $(state "$log" NET_0_ADDRESS) == 10.0.0.*/24 ]] || fail "line $n: NET_0_ADDRESS=$(state "$log" NET_0_ADDRESS)"
            ;;
        *' ip=10.0.0.21:'*)
            [ "$(state "$log" NET_0_METHOD)" = static ] || fail "line $n: NET_0_METHOD=$(state "$log" NET_0_METHOD)"
            v=$(state "$log" NET_0_ADDRESS); [ "$v" = 10.0.0.21/24 ] || fail "line $n: NET_0_ADDRESS=$v"
            v=$(state "$log" NET_0_GATEWAY); [ "$v" = 10.0.0.1 ] || fail "line $n: NET_0_GATEWAY=$v"
            v=$(state "$log" NET_0_IFACE); [ "$v" = eth0 ] || fail "line $n: NET_0_IFACE=$v"
            ;;
        *' sharedroot.instance=nbd:10.0.0.5:web1'*)
            [ "$(state "$log" MODE)" = instance ] || fail "line $n: MODE=$(state "$log" MODE)"
            v=$(state "$log" NBD_1_EXPORT); [ "$v" = web1 ] || fail "line $n: NBD_1_EXPORT=$v"
            v=$(state "$log" NBD_1_READONLY); [ "$v" = 0 ] || fail "line $n: the web1 export is read-only ($v)"
            debugfs -R 'stat /.sharedroot-instance' "$ex/web1" 2>/dev/null | grep -q '^Inode:' ||
                fail "line $n: the web1 export was not claimed (no .sharedroot-instance)"
            ;;
        *) fail "line $n is none of the three the scenario knows: $line" ;;
        esac
    done <<<"$lines"
    [ "$(sha "$ex/base")" = "$before" ] || fail "the base export changed"
    rm -rf "$ex"
    pass
}
