# shellcheck shell=bash
# the base and the instance disk over NBD (one nbdkit serving both by export name, both
# writable on the server): booted twice, the instance keeps its identity (machine-id, /var) on
# its export, /dev/nbd1 is read-write, the base stays byte-identical
# qt-prepare: netroot

scenario() {
    local ex=$SCW/$SC-exports a=$LOGS/$SC-1.log b=$LOGS/$SC-2.log before inst nic i1 i2 v
    showlog "$a"; showlog "$b"
    rm -rf "$ex"; mkdir -p "$ex"
    cp --sparse=always "$ROOTS/ext4.img" "$ex/base"
    new_inst "$ex/inst-a"
    before=$(sha "$ex/base")
    inst=$(sha "$ex/inst-a")
    mapfile -t nic < <(net_nic "nbdkit -s --log=null file dir=$ex")
    qt_boot "$a" "$INITRD_NET" \
        "root=nbd:$NBD_ADDR:base ip=dhcp sharedroot.instance=nbd:$NBD_ADDR:inst-a:ext4" "${nic[@]}"
    check_nbd_report "$a" ext4
    [ "$(state "$a" MODE)" = instance ] || fail "state MODE=$(state "$a" MODE)"
    v=$(state "$a" INSTANCE_0_DEVICE); [ "$v" = /dev/nbd1 ] || fail "the instance is on $v, not /dev/nbd1"
    v=$(state "$a" NBD_1_READONLY); [ "$v" = 0 ] || fail "state NBD_1_READONLY=$v for the instance"
    [ "$(qt_report "$a" firstboot_machine_id)" = 1 ] || fail "the first boot did not make a machine-id"
    i1=$(ident "$a")
    qt_boot "$b" "$INITRD_NET" \
        "root=nbd:$NBD_ADDR:base ip=dhcp sharedroot.instance=nbd:$NBD_ADDR:inst-a:ext4" "${nic[@]}"
    check_nbd_report "$b" ext4
    i2=$(ident "$b")
    [ "$i1" = "$i2" ] || fail "the identity changed across boots: '$i1' then '$i2'"
    [ "$(qt_report "$b" boot_count)" = 2 ] || fail "boot_count $(qt_report "$b" boot_count), expected 2"
    [ "$(sha "$ex/base")" = "$before" ] || fail "the base export changed"
    [ "$(sha "$ex/inst-a")" != "$inst" ] || fail "nothing was written to the instance export"
    rm -rf "$ex"
    pass
}
