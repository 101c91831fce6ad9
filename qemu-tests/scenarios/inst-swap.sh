# shellcheck shell=bash
# sharedroot.swap= with sharedroot.mkswap: swap on a blank disk; refused (and the disk unchanged)
# over an ext4 signature

scenario() {
    local inst=$SCW/$SC.img blank=$SCW/$SC-blank.img ext=$SCW/$SC-ext4.img
    local log=$LOGS/$SC.log log2=$LOGS/$SC-2.log before
    mkdir -p "$SCW"; new_inst "$inst"; blank_disk "$blank" 32M
    inst_boot "$log" "sharedroot.instance=/dev/vdb sharedroot.swap=/dev/vdc sharedroot.mkswap" \
        -drive "$(rw_disk "$inst")" -drive "$(rw_disk "$blank")"
    check_report "$log" ext4; no_error "$log"
    lgrep "$log" -q 'REPORT swap=/dev/vdc' || fail "swap on /dev/vdc (blank, sharedroot.mkswap) is not active"
    [ "$(state "$log" SWAP)" = /dev/vdc ] || fail "state SWAP is '$(state "$log" SWAP)'"
    # over an ext4 signature: refused, the data intact
    rm -rf "$SCW/$SC-tree"; mkdir -p "$SCW/$SC-tree"; echo "data that must survive" >"$SCW/$SC-tree/file"
    rm -f "$ext"; mkfs.ext4 -q -F -d "$SCW/$SC-tree" "$ext" 16M >/dev/null 2>&1; rm -rf "$SCW/$SC-tree"
    before=$(sha "$ext")
    inst_boot "$log2" "sharedroot.instance=/dev/vdb sharedroot.swap=/dev/vdc sharedroot.mkswap" \
        -drive "$(rw_disk "$inst")" -drive "$(rw_disk "$ext")"
    check_report "$log2" ext4; no_error "$log2"
    lgrep "$log2" -q 'REPORT swap=' && fail "a swap is active although /dev/vdc holds ext4"
    lgrep "$log2" -q 'swap: refusing /dev/vdc.*ext4 filesystem.*nothing was written' ||
        fail "no warning refusing mkswap over the ext4 on /dev/vdc"
    [ "$(sha "$ext")" = "$before" ] || fail "the ext4 disk changed"
    note "$(lgrep "$log2" -m1 -o 'swap: refusing.*')"
    rm -f "$inst" "$blank" "$ext"
    pass
}
