# shellcheck shell=bash
# the handover to the real system's network configuration (issue 11): a base over NBD with
# ip=dhcp whose /etc/network/interfaces is the file docs/network-root.md tells admins to write
# (taken from the doc); the report init (qt.step=handover) runs it with busybox's ifup/ifdown as
# networking.service would (ifup -a, ifdown -a, ifup -a), then `ifup eth0`, what Debian's
# ifupdown runs for a manual stanza (`ip link set dev eth0 up`), and a DHCP renewal with a
# script that leaves the address alone (udhcpc -s /bin/true): after each step eth0's address and
# the routes are unchanged and a file read from the device (page cache dropped) is correct; no
# I/O error. Not tested here: Debian's ifupdown package itself, systemd-networkd, NetworkManager
# qt-prepare: netroot

DOC=$QT_DIR/../docs/network-root.md

# the ```-block that follows the "### ifupdown" heading of the doc
doc_interfaces() {
    doc_block ifupdown
}

scenario() {
    local tree=$SCW/$SC-tree base=$SCW/$SC-base.img log=$LOGS/$SC.log nic sum n l steps=0
    showlog "$log"
    mkdir -p "$SCW"
    qt_make_tree "$tree" "$QT_REPORT_INIT"
    mkdir -p "$tree/etc/network" "$tree/data"
    doc_interfaces >"$tree/etc/network/interfaces"
    grep -q '^iface eth0 inet manual$' "$tree/etc/network/interfaces" ||
        fail "no 'iface eth0 inet manual' in the interfaces file taken from $DOC"
    head -c 1M /dev/urandom >"$tree/data/blob"
    sum=$(sha "$tree/data/blob")
    rm -f "$base"
    mkfs.ext4 -q -F -E root_owner=0:0 -d "$tree" "$base" 64M >/dev/null 2>&1 || fail "mkfs of the base failed"
    rm -rf "$tree"
    mapfile -t nic < <(net_nic "nbdkit -s --log=null -r file $base")
    # six steps, each reading the file over NBD: more than a plain boot on a loaded host
    QT_TIMEOUT=240 qt_boot "$log" "$INITRD_NET" "root=nbd:$NBD_ADDR:base ip=dhcp qt.step=handover" "${nic[@]}"
    check_nbd_report "$log" ext4
    n=$(qt_report "$log" handover_net)
    [[ "$n" == *"eth0 inet 10.0.2.15/24"* ]] || fail "eth0 does not have its address before the handover: $n"
    [ "$(qt_report "$log" handover_blob)" = "$sum" ] || fail "/data/blob read wrong before the handover"
    while IFS= read -r l; do
        steps=$((steps + 1))
        [[ "$l" == *"|net_same=1|"* ]] || fail "'${l%%|*}' changed eth0's address or the routes: $l"
        [ "${l##*|blob=}" = "$sum" ] || fail "after '${l%%|*}' the root read wrong data or failed: $l"
        case $l in
        "ip link set dev eth0 up|"* | "udhcpc "*) [[ "$l" == *"|rc=0|"* ]] || fail "'${l%%|*}' failed: $l" ;;
        esac
    done < <(lgrep "$log" '^REPORT handover_step=' | sed 's/^REPORT handover_step=//')
    [ "$steps" = 6 ] || fail "$steps handover steps reported, expected 6"
    n=$(qt_report "$log" handover_io_errors); [ "$n" = 0 ] || fail "the kernel logged $n I/O errors"
    while IFS= read -r l; do note "exit status not 0: $l"; done < <(lgrep "$log" '^REPORT handover_out=' | sed 's/^REPORT handover_out=//')
    note "/etc/network/interfaces from the doc ($(doc_interfaces | grep -c "^iface") iface stanzas); $steps steps, eth0 and the root untouched"
    rm -f "$base"
    pass
}
