# shellcheck shell=bash
# no NBD server behind the address, and no network card at all, with the --no-shell image and
# panic=1: a clear error within sharedroot.timeout= (+ slack), no shell, the guest ends itself
# qt-prepare: netroot

NET_T=5

scenario() {
    local log start took rc
    log=$LOGS/$SC.log; showlog "$log"
    start=$(date +%s%N)
    QT_TIMEOUT=$((NET_T + 60)) qt_boot "$log" "$INITRD_NET_NOSHELL" \
        "root=nbd:$NBD_ADDR:base ip=dhcp sharedroot.timeout=$NET_T panic=1" \
        -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0
    rc=$?
    took=$(qt_elapsed "$start")
    { [ $rc -ne 124 ] && [ $rc -ne 137 ]; } || fail "QEMU did not exit by itself"
    expect_error "$log" "root=nbd:$NBD_ADDR:base: NBD server $NBD_ADDR port $NBD_PORT, export 'base' did not answer within $NET_T s .*check that the server runs"
    lgrep "$log" -qE "$QT_SHELL_RE" && fail "an initramfs built with --no-shell offered a shell"
    note "no server: ended after ${took}s"

    log=$LOGS/$SC-nonic.log; showlog "$log"
    QT_TIMEOUT=$((NET_T + 60)) qt_boot "$log" "$INITRD_NET_NOSHELL" \
        "root=nbd:$NBD_ADDR:base ip=eth0:dhcp sharedroot.timeout=$NET_T panic=1"
    rc=$?
    { [ $rc -ne 124 ] && [ $rc -ne 137 ]; } || fail "QEMU did not exit by itself (no NIC)"
    expect_error "$log" "network: the interface ip= names did not appear within $NET_T s \(interfaces present: lo\)"
    pass
}
