# shellcheck shell=bash
# instance partitions given by nbd: lines of a layout file (read-write exports, one per guest,
# from one nbdkit serving a directory): the base's /etc/sharedroot/layout.fstab puts /etc's and
# /var's uppers on two exports. Boot 1 from a local base (virtio-blk) without ip=: the instance
# stage brings the network up by itself (DHCP) and claims both exports. Boot 2 from the same base
# over NBD (root=nbd:): the exports are found claimed, the identity in /etc and /var persisted.
# The base stays byte-identical.
# qt-prepare: netroot

NET_LAYOUT="# the instance's etc and var on the network, one export each
nbd:$NBD_ADDR:web1-etc    /run/sharedroot/etc   ext4    defaults,noatime   0 2
nbd:$NBD_ADDR:web1-var:ext4 /run/sharedroot/var auto defaults         0 2
overlay /etc overlay upperdir=/run/sharedroot/etc/upper,workdir=/run/sharedroot/etc/work 0 0
overlay /var overlay upperdir=/run/sharedroot/var/upper,workdir=/run/sharedroot/var/work 0 0"

# layout_nbd_mount LOG MOUNTPOINT: the /dev/nbdN mounted read-write on MOUNTPOINT
layout_nbd_mount() {
    local m
    m=$(lgrep "$1" -m1 -oE "REPORT mount=/dev/nbd[0-9]+ $2 ext4 [^ ]*") ||
        fail "$2 is not an NBD device in $1"
    [[ ",${m##* }," == *,rw,* ]] || fail "$2 is not mounted read-write: $m"
    m=${m#REPORT mount=}
    echo "${m%% *}"
}

scenario() {
    local ex=$SCW/$SC-exports tree=$SCW/$SC-tree a=$LOGS/$SC-1.log b=$LOGS/$SC-2.log
    local before nic i1 i2 d f
    showlog "$a"; showlog "$b"
    rm -rf "$ex" "$tree"; mkdir -p "$ex"
    qt_make_tree "$tree" "$QT_REPORT_INIT"
    mkdir -p "$tree/etc/sharedroot"; echo "$NET_LAYOUT" >"$tree/etc/sharedroot/layout.fstab"
    mkfs.ext4 -q -F -E root_owner=0:0 -d "$tree" "$ex/base" 64M >/dev/null 2>&1 ||
        fail "mkfs of the layout base failed"
    rm -rf "$tree"
    new_inst "$ex/web1-etc" 24M; new_inst "$ex/web1-var" 24M
    before=$(sha "$ex/base")
    mapfile -t nic < <(net_nic "nbdkit -s --log=null file dir=$ex")

    # boot 1: the base on a local disk, no ip=: the layout's nbd: lines bring the network up
    qt_boot "$a" "$INITRD_NET" "root=/dev/vda" -drive "$(ro_disk "$ex/base")" "${nic[@]}"
    check_report "$a" ext4; no_error "$a"
    [ "$(state "$a" MODE)" = layout ] || fail "boot 1: state MODE=$(state "$a" MODE), expected layout"
    lgrep "$a" -q "network: layout /sysroot/etc/sharedroot/layout.fstab entry 1 (/run/sharedroot/etc)=nbd:$NBD_ADDR:web1-etc needs the network and there is no ip=: DHCP" ||
        fail "boot 1: the console does not say which layout line needed the network"
    [ "$(state "$a" NET_0_METHOD)" = dhcp ] || fail "boot 1: the network was not brought up by DHCP (NET_0_METHOD=$(state "$a" NET_0_METHOD))"
    d=$(layout_nbd_mount "$a" /run/sharedroot/etc)
    layout_nbd_mount "$a" /run/sharedroot/var >/dev/null
    lgrep "$a" -q 'REPORT mount=overlay /etc overlay .*upperdir=/run/sharedroot/etc/upper' ||
        fail "boot 1: /etc is not an overlay with its upper on the etc export"
    lgrep "$a" -q 'REPORT mount=overlay /var overlay .*upperdir=/run/sharedroot/var/upper' ||
        fail "boot 1: /var is not an overlay with its upper on the var export"
    [ "$(qt_report "$a" firstboot_machine_id)" = 1 ] || fail "boot 1 did not make a machine-id"
    note "boot 1: /etc's upper on $d"
    i1=$(ident "$a")

    # boot 2: the same base over NBD
    qt_boot "$b" "$INITRD_NET" "root=nbd:$NBD_ADDR:base ip=dhcp" "${nic[@]}"
    check_nbd_report "$b" ext4
    [ "$(state "$b" MODE)" = layout ] || fail "boot 2: state MODE=$(state "$b" MODE), expected layout"
    layout_nbd_mount "$b" /run/sharedroot/etc >/dev/null
    layout_nbd_mount "$b" /run/sharedroot/var >/dev/null
    i2=$(ident "$b")
    [ "$i1" = "$i2" ] || fail "the identity changed across boots: '$i1' then '$i2'"
    [ "$(qt_report "$b" boot_count)" = 2 ] || fail "boot_count $(qt_report "$b" boot_count), expected 2"
    [ -z "$(qt_report "$b" firstboot_machine_id)" ] || fail "boot 2 made a new machine-id"

    # on the host: both exports claimed (the marker), /etc's upper holds the machine-id
    for f in web1-etc web1-var; do
        debugfs -R 'stat /.sharedroot-instance' "$ex/$f" 2>/dev/null | grep -q '^Inode:' ||
            fail "the export $f carries no .sharedroot-instance marker"
    done
    [ "$(debugfs -R 'cat /upper/machine-id' "$ex/web1-etc" 2>/dev/null)" = "$(qt_report "$b" machine_id)" ] ||
        fail "the machine-id is not in the etc export's upper dir"
    [ "$(sha "$ex/base")" = "$before" ] || fail "the base changed"
    rm -rf "$ex"
    pass
}
