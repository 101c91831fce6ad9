# shellcheck shell=bash
# sharedroot-layout(5)'s EXAMPLE, as written: its layout.fstab (taken from the man page at run
# time) in a base labelled base, and the instance disk made by its preparation block (run with
# bash -e in the scratch dir: truncate, sfdisk, losetup --partscan, mkfs.ext4, mkswap,
# losetup -d; tests/shim/losetup adds the partitions with partx on a kernel that does not scan
# a fresh loop device). The guest boots in layout mode with /etc's and /var's uppers, /tmp and
# swap on the partitions the file names. Needs root (loop devices).

# man_example N: the Nth .nf/.fi block of the EXAMPLE section of sharedroot-layout(5)
man_example() {
    awk -v want="$1" '/^\.SH / { s = ($0 ~ /^\.SH EXAMPLES?$/); next }
        s && /^\.nf/ { n++; b = (n == want); next } /^\.fi/ { b = 0 } b { print }' \
        "$QT_SELF_DIR/../docs/sharedroot-layout.5" | sed -e 's/\\-/-/g; s/\\e/\\/g'
}

scenario() {
    local d=$SCW/$SC log=$LOGS/$SC.log fstab prep l
    [ "$(id -u)" = 0 ] || skip "needs root (the example's losetup)"
    command -v sfdisk >/dev/null || skip "sfdisk is not installed"
    fstab=$(man_example 1); prep=$(man_example 2)
    grep -q '^# /etc/sharedroot/layout.fstab$' <<<"$fstab" || fail "the first EXAMPLE block is not the layout.fstab"
    grep -q '^LABEL=base ' <<<"$fstab" || fail "the example's root is not LABEL=base"
    grep -q '^truncate -s 2G instance.img$' <<<"$prep" || fail "the second EXAMPLE block is not the disk preparation"
    rm -rf "$d"; mkdir -p "$d"
    if ! (cd "$d" && PATH=$QT_SELF_DIR/../tests/shim:$PATH bash -e) <<<"$prep" >"$d/prep.out" 2>&1; then
        for l in $(losetup -n -O NAME -j "$d/instance.img"); do losetup -d "$l"; done
        fail "the example's disk preparation failed: $(tail -n 3 "$d/prep.out" | tr '\n' ' ')"
    fi
    [ -z "$(losetup -n -O NAME -j "$d/instance.img")" ] || fail "the example left a loop device"
    qt_make_tree "$d/tree" "$QT_REPORT_INIT"
    mkdir -p "$d/tree/etc/sharedroot"
    echo "$fstab" >"$d/tree/etc/sharedroot/layout.fstab"
    mkfs.ext4 -q -F -L base -E root_owner=0:0 -d "$d/tree" "$d/base.img" 64M >/dev/null 2>&1 ||
        fail "mkfs of the base failed"
    rm -rf "$d/tree"
    showlog "$log"
    qt_boot "$log" "$INITRD" "root=LABEL=base" -drive "$(ro_disk "$d/base.img")" -drive "$(rw_disk "$d/instance.img")"
    check_report "$log" ext4; no_error "$log"
    check_layout_boot "$log"
    rm -rf "$d"
    pass
}
