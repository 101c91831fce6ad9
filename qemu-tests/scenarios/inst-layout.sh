# shellcheck shell=bash
# a layout file in the base and a GPT instance disk (PARTLABEL=): etc, var, tmp and swap where the
# layout says, kept across a reboot
# qt-first: 2

# A GPT disk with partitions for etc, var, tmp and swap (PARTLABEL=), put together from
# separately made filesystems (no loop devices needed)
make_layout_disk() { # IMG
    local img=$1 i
    blank_disk "$img" 100M
    printf '%s\n' 'label: gpt' 'start=2048, size=40960, name=inst-etc' \
        'start=43008, size=40960, name=inst-var' 'start=83968, size=40960, name=inst-tmp' \
        'start=124928, size=40960, name=inst-swap' | sfdisk -q "$img" >/dev/null || return 1
    for i in 0 1 2; do
        rm -f "$img.p$i"
        mkfs.ext4 -q -F "$img.p$i" 20M >/dev/null 2>&1 || return 1
        dd if="$img.p$i" of="$img" bs=512 seek=$((2048 + i * 40960)) conv=notrunc,sparse status=none || return 1
        rm -f "$img.p$i"
    done
}

LAYOUT_FSTAB='# the classic shared-root layout: etc, var, tmp and swap on their own partitions
/dev/vda                 /                     ext4    ro                 0 0
PARTLABEL=inst-etc       /run/sharedroot/etc   ext4    defaults,noatime   0 2
PARTLABEL=inst-swap      none                  swap    sw                 0 0
PARTLABEL=inst-tmp       /tmp                  ext4    defaults           0 2
PARTLABEL=inst-var       /run/sharedroot/var   ext4    defaults           0 2
overlay /etc overlay upperdir=/run/sharedroot/etc/upper,workdir=/run/sharedroot/etc/work 0 0
overlay /var overlay upperdir=/run/sharedroot/var/upper,workdir=/run/sharedroot/var/work 0 0'

scenario() {
    local tree=$SCW/$SC-tree base=$SCW/$SC-base.img disk=$SCW/$SC-disk.img
    local log=$LOGS/$SC.log log2=$LOGS/$SC-2.log
    mkdir -p "$SCW"
    qt_make_tree "$tree" "$QT_REPORT_INIT"
    mkdir -p "$tree/etc/sharedroot"; echo "$LAYOUT_FSTAB" >"$tree/etc/sharedroot/layout.fstab"
    rm -f "$base"
    mkfs.ext4 -q -F -E root_owner=0:0 -d "$tree" "$base" 64M >/dev/null 2>&1 || fail "mkfs of the layout base failed"
    rm -rf "$tree"
    make_layout_disk "$disk" || fail "making the GPT instance disk failed"
    showlog "$log"
    qt_boot "$log" "$INITRD" "root=/dev/vda sharedroot.mkswap" -drive "$(ro_disk "$base")" -drive "$(rw_disk "$disk")"
    check_report "$log" ext4; no_error "$log"
    check_layout_boot "$log"
    showlog "$log2"
    qt_boot "$log2" "$INITRD" "root=/dev/vda" -drive "$(ro_disk "$base")" -drive "$(rw_disk "$disk")"
    check_report "$log2" ext4; no_error "$log2"
    [ "$(qt_report "$log2" boot_count)" = 2 ] ||
        fail "/var did not persist on its partition (boot_count $(qt_report "$log2" boot_count))"
    [ "$(qt_report "$log2" hostname)" = "$(qt_report "$log" hostname)" ] ||
        fail "the hostname did not persist on the etc partition"
    [ -z "$(qt_report "$log2" tmp_entries | tr -d ' ')" ] ||
        fail "the /tmp partition was not cleaned: $(qt_report "$log2" tmp_entries)"
    lgrep "$log2" -q 'REPORT swap=/dev/vdb4' || fail "swap not active on the second boot"
    rm -f "$base" "$disk"
    pass
}
