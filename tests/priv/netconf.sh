#!/bin/bash
# The network part of the devices stage, as a test run of sharedroot-init in a network
# namespace: a veth pair to a second namespace with busybox udhcpd (DHCP), static ip= forms,
# and nbdkit on the namespace's own loopback for the NBD handshake (the host kernel has no
# nbd driver, so the hand-off to the kernel is the QEMU suite's). Nothing leaves the two
# namespaces. $1 = the build dir. Needs root, ip(8), busybox udhcpd, nbdkit.
set -u
B=${1:?usage: netconf.sh BUILDDIR}
INIT=$B/init/sharedroot-init

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then skip netconf "needs root"; exit 0; fi
for t in ip busybox nbdkit; do
    command -v $t >/dev/null || { skip netconf "$t is not installed"; exit 0; }
done
[ -x "$INIT" ] || { fail netconf "$INIT not built"; exit 1; }

T=$(mktemp -d /tmp/sharedroot-netconf.XXXXXX)
C=srtc$$ S=srts$$ # client and server namespaces
LOOP="" PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    ip netns del "$C" 2>/dev/null
    ip netns del "$S" 2>/dev/null
    [ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/tree/sbin" "$T/tree/bin" "$T/tree/etc" "$T/tree/var" "$T/tree/tmp" "$T/sysroot" "$T/exports"
cp /usr/bin/busybox "$T/tree/bin/busybox"
ln -s /bin/busybox "$T/tree/sbin/init"
mkfs.ext4 -q -F -L srtnet$$ -d "$T/tree" "$T/base.img" 16M >/dev/null 2>&1
LOOP=$(losetup --find --show "$T/base.img")
cp "$T/base.img" "$T/exports/base"
ln -s "$(readlink -f "$INIT")" "$T/udhcpc-script"

if ! ip netns add "$C" || ! ip netns add "$S"; then
    fail netconf "cannot create network namespaces"
    exit 1
fi
ip link add v0 netns "$C" type veth peer name v1 netns "$S"
ip -n "$C" link set lo up
ip -n "$S" link set lo up
ip -n "$S" addr add 10.213.0.1/24 dev v1
ip -n "$S" link set v1 up

cat >"$T/udhcpd.conf" <<CONF
start 10.213.0.100
end 10.213.0.110
interface v1
lease_file $T/udhcpd.leases
pidfile $T/udhcpd.pid
option subnet 255.255.255.0
option router 10.213.0.1
option dns 10.213.0.53 10.213.0.54
option domain example.test
option lease 600
CONF
: >"$T/udhcpd.leases"
dhcpd_start() {
    ip netns exec "$S" busybox udhcpd -f "$T/udhcpd.conf" >"$T/udhcpd.log" 2>&1 &
    DHCPD=$!
    PIDS+=("$DHCPD")
}
dhcpd_stop() { kill "$DHCPD" 2>/dev/null; wait "$DHCPD" 2>/dev/null; }

# nbdkit on the client namespace's loopback: exports by file name in $T/exports
ip netns exec "$C" nbdkit -f -r -i 127.0.0.1 -p 10809 file dir="$T/exports" >"$T/nbdkit.log" 2>&1 &
PIDS+=($!)
# the same as an oldstyle server, and one that offers no fixed newstyle
ip netns exec "$C" nbdkit -f -r -o -i 127.0.0.1 -p 10810 file "$T/exports/base" >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$C" nbdkit -f -r --mask-handshake=0 -i 127.0.0.1 -p 10811 file "$T/exports/base" \
    >/dev/null 2>&1 &
PIDS+=($!)

run() { # cmdline: a test run in the client namespace with a private /run; out in $T/out
    echo "$1" >"$T/cmdline"
    # shellcheck disable=SC2016  # expanded by the inner shell
    ip netns exec "$C" unshare -m --propagation private bash -c '
        mount -t tmpfs tmpfs /run || exit 99
        "$@"; rc=$?
        echo "--- state"; cat /run/sharedroot/state 2>/dev/null
        echo "--- addr"; ip -o addr show dev v0
        echo "--- route"; ip route show
        exit $rc' - \
        env SHAREDROOT_BUSYBOX="$(command -v busybox)" SHAREDROOT_DHCP_SCRIPT="$T/udhcpc-script" \
        "$INIT" --cmdline "$T/cmdline" --sysroot "$T/sysroot" >"$T/out" 2>&1
    RC=$?
    ip -n "$C" addr flush dev v0
    ip -n "$C" link set v0 down
    return 0
}
has() { # PATTERN...: every one is in the output
    local p
    for p in "$@"; do
        grep -q -- "$p" "$T/out" && continue
        echo "  missing: $p"
        sed 's/^/  | /' "$T/out" | tail -20
        return 1
    done
}

dhcpd_start
run "root=$LOOP ip=v0:dhcp sharedroot.timeout=20"
check dhcp_boots [ $RC -eq 0 ]
check dhcp_address_in_state has 'NET_0_ADDRESS="10.213.0.1[01][0-9]/24"'
check dhcp_iface_and_method has 'NET_0_IFACE="v0"' 'NET_0_METHOD="dhcp"'
check dhcp_gateway_dns_domain has 'NET_0_GATEWAY="10.213.0.1"' 'NET_0_DNS="10.213.0.53 10.213.0.54"' 'NET_0_DOMAIN="example.test"'
check dhcp_lease_and_server has 'NET_0_LEASE_S="600"' 'NET_0_DHCP_SERVER="10.213.0.1"'
check dhcp_nameservers_published has 'NET_NAMESERVERS="10.213.0.53 10.213.0.54"' 'NET_SEARCH="example.test"'
check dhcp_address_on_the_link has 'inet 10.213.0.1[01][0-9]/24 brd 10.213.0.255'
check dhcp_default_route_marked_dhcp has 'default via 10.213.0.1 dev v0 proto dhcp'
check dhcp_logged has 'network: v0 is 10.213.0.1[01][0-9]/24 via 10.213.0.1 (DHCP from 10.213.0.1, lease 600 s)'

run "root=$LOOP ip=dhcp nameserver=192.0.2.53"
check dhcp_on_every_ethernet_interface bash -c "[ $RC -eq 0 ] && grep -q 'NET_0_IFACE=\"v0\"' '$T/out'"
check nameserver_option_comes_first has 'NET_NAMESERVERS="192.0.2.53 10.213.0.53 10.213.0.54"'

run "root=$LOOP ip=10.213.0.50::10.213.0.1:255.255.255.0:guest:v0:none:10.213.0.53"
check static_boots [ $RC -eq 0 ]
check static_in_state has 'NET_0_METHOD="static"' 'NET_0_ADDRESS="10.213.0.50/24"'
check static_address_and_route has 'inet 10.213.0.50/24' 'default via 10.213.0.1 dev v0 *$'
check static_dns_published has 'NET_NAMESERVERS="10.213.0.53"'

run "root=$LOOP ip=10.213.0.60::10.213.0.1:32::v0:none:1400"
check static_gateway_outside_the_subnet_gets_a_link_route \
    has '^10.213.0.1 dev v0 scope link' 'default via 10.213.0.1 dev v0 *$'
check static_mtu_set has 'NET_0_MTU="1400"'

run "root=$LOOP ip=off"
check ip_off_configures_nothing bash -c "[ $RC -eq 0 ] && ! grep -q 'NET_0_IFACE' '$T/out'"

run "root=$LOOP ip=10.0.0.1"
check bad_ip_is_a_clear_error bash -c "[ $RC -eq 1 ] && grep -q 'ip=10.0.0.1 cannot be used: ip=ADDRESS alone is not enough' '$T/out'"
run "root=$LOOP ip=v0:dhcp6"
check dhcp6_is_refused_with_a_reason has 'DHCPv6 are not supported'

run "root=$LOOP ip=nosuch0:dhcp sharedroot.timeout=2"
check missing_interface_is_named bash -c "[ $RC -eq 1 ] && grep -q 'did not appear within 2 s (interfaces present: lo v0)' '$T/out'"

dhcpd_stop
run "root=$LOOP ip=v0:dhcp sharedroot.timeout=4"
check no_dhcp_answer_is_bounded_and_clear bash -c "[ $RC -eq 1 ] && grep -q 'DHCP on v0 failed: no DHCP answer within 4 s' '$T/out'"
dhcpd_start

# NBD: the handshake against nbdkit on 127.0.0.1, then the kernel (which has no nbd here)
run "root=nbd:127.0.0.1:base ip=v0:dhcp sharedroot.timeout=10"
check nbd_negotiates_then_needs_the_kernel_driver bash -c "[ $RC -eq 1 ] && grep -q 'root=nbd:127.0.0.1:base: the kernel has no NBD support' '$T/out'"
run "root=nbd:127.0.0.1:nope ip=v0:dhcp sharedroot.timeout=10"
check nbd_unknown_export_names_server_and_export has "root=nbd:127.0.0.1:nope: NBD server 127.0.0.1 port 10809, export 'nope': the server has no such export"
check nbd_unknown_export_fails_at_once bash -c "! grep -q 'trying again' '$T/out'"
run "root=nbd:127.0.0.1:10812 ip=v0:dhcp sharedroot.timeout=3"
check nbd_no_server_is_bounded_and_clear has 'root=nbd:127.0.0.1:10812: NBD server 127.0.0.1 port 10812, default export did not answer within 3 s'
run "root=nbd:127.0.0.1:10810 ip=v0:dhcp sharedroot.timeout=10"
check nbd_oldstyle_server_is_refused has 'oldstyle handshake'
run "root=nbd:127.0.0.1:10811 ip=v0:dhcp sharedroot.timeout=10"
check nbd_export_name_fallback_reaches_the_kernel has 'the kernel has no NBD support'
run "root=nbd:127.0.0.1:base sharedroot.timeout=10"
check nbd_root_without_ip_asks_dhcp_everywhere has 'root= needs the network and there is no ip=: DHCP on every Ethernet interface'
run "root=nbd:127.0.0.1:base ip=off"
check nbd_root_with_ip_off_is_refused has 'root= needs the network, but ip=off'
