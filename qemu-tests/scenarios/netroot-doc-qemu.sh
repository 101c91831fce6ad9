# shellcheck shell=bash
# docs/guest-examples.md's network-root QEMU command line, as written but for its network: the
# doc's bridge (-netdev bridge,...,br=br0) becomes QEMU user networking on the doc's
# 10.0.0.0/24 (restrict=on) whose guestfwd makes the doc's server 10.0.0.5 port 10809 and 10810
# one nbdkit per connection (base from a directory read-only, web1 read-write, as the doc's
# nbdkit lines serve them), the /srv/sharedroot paths are this suite's kernel, network
# initramfs and images, accel=kvm:tcg the suite's, the serial console (stdio) the log; the
# -append line is the doc's, untouched: the root /dev/nbd0 read-only, DHCP, the instance
# nbd://10.0.0.5:10810/web1 read-write and claimed; the base unchanged
# qt-prepare: netroot

scenario() {
    local d=$SCW/$SC log=$LOGS/$SC.log line net before v
    rm -rf "$d"; mkdir -p "$d/exports" "$d/instances"
    cp --sparse=always "$ROOTS/ext4.img" "$d/exports/base"
    new_inst "$d/instances/web1"
    before=$(sha "$d/exports/base")
    line=$(example_block '^reaches the server: a bridge')
    [[ $line == qemu-system-x86_64\ * ]] || fail "the doc's network QEMU block changed: $line"
    [[ $line == *' -netdev bridge,id=n0,br=br0 '* ]] || fail "the doc's QEMU line has no -netdev bridge,id=n0,br=br0: $line"
    [[ $line == *'sharedroot.instance=nbd://10.0.0.5:10810/web1'* ]] || fail "the doc's instance is not nbd://10.0.0.5:10810/web1: $line"
    net="user,id=n0,restrict=on,net=10.0.0.0/24,host=10.0.0.1"
    net+=",guestfwd=tcp:10.0.0.5:10809-$(guestfwd_cmd "nbdkit -s --log=null -r file dir=$d/exports")"
    net+=",guestfwd=tcp:10.0.0.5:10810-$(guestfwd_cmd "nbdkit -s --log=null file dir=$d/instances")"
    line=${line/ -netdev bridge,id=n0,br=br0 / -netdev \'$net\' }
    line=${line//\/srv\/sharedroot\/vmlinuz/$QT_KERNEL}
    line=${line//\/srv\/sharedroot\/initrd.img-sharedroot-net/$INITRD_NET}
    line=${line//accel=kvm:tcg/accel=$QT_ACCEL}
    [[ $line == */srv/* ]] && fail "a path the scenario does not know: $line"
    run_doc_line "$log" "$line"
    check_nbd_report "$log" ext4; no_error "$log"
    [ "$(state "$log" NET_0_METHOD)" = dhcp ] || fail "state NET_0_METHOD=$(state "$log" NET_0_METHOD)"
    [ "$(state "$log" MODE)" = instance ] || fail "state MODE=$(state "$log" MODE)"
    v=$(state "$log" NBD_1_EXPORT); [ "$v" = web1 ] || fail "state NBD_1_EXPORT=$v"
    v=$(state "$log" NBD_1_READONLY); [ "$v" = 0 ] || fail "the web1 export is read-only ($v)"
    debugfs -R 'stat /.sharedroot-instance' "$d/instances/web1" 2>/dev/null | grep -q '^Inode:' ||
        fail "the web1 export was not claimed (no .sharedroot-instance)"
    [ "$(sha "$d/exports/base")" = "$before" ] || fail "the base export changed"
    rm -rf "$d"
    pass
}
