# shellcheck shell=bash
# dax that cannot be used is said, never silent: an ext4 base with 1 KiB blocks on virtio-pmem
# boots without dax and a warning naming the block size and what to change (ROOT_DAX=0); with
# sharedroot.dax=always it stops with an error; an image whose size is not a multiple of 2 MiB
# (the kernel cannot map it) gives an error that says so instead of only "did not appear"; an
# ext4 base with 4 KiB blocks in a GPT partition that starts one sector past a page boundary
# (the kernel maps no such partition with dax) boots without dax and a warning naming the
# partition's start and the fix, without a refused mount first (ROOT_DAX=0); with
# sharedroot.dax=always it stops with an error that says so

scenario() {
    local log1=$LOGS/$SC-warn.log log2=$LOGS/$SC-always.log log3=$LOGS/$SC-misaligned.log
    local e=$SCW/$SC-erofs.img l
    mkdir -p "$SCW"
    showlog "$log1"
    # shellcheck disable=SC2046  # pmem_dev prints words
    qt_boot "$log1" "$INITRD" "root=/dev/pmem0" $(pmem_dev "$BASE_IMG")
    check_report "$log1" ext4 /dev/pmem0
    no_error "$log1"
    l=$(lgrep "$log1" -m1 'sharedroot: WARNING.*dax') || fail "no warning about dax"
    { grep -q 'block size 1024' <<<"$l" && grep -q 4096 <<<"$l"; } ||
        fail "the warning does not name the block size and the fix: $l"
    note "${l#*sharedroot: }"
    [ "$(state "$log1" ROOT_DAX)" = 0 ] || fail "ROOT_DAX=$(state "$log1" ROOT_DAX)"

    showlog "$log2"
    # shellcheck disable=SC2046
    qt_boot "$log2" "$INITRD" "root=/dev/pmem0 sharedroot.dax=always" $(pmem_dev "$BASE_IMG")
    expect_error "$log2" 'sharedroot.dax=always: /dev/pmem0 \(ext4, block size 1024\).*4096'

    # the test root's erofs image as mkfs.erofs wrote it: not a multiple of 2 MiB
    cp "$ROOTS/erofs.img" "$e"
    [ $(($(stat -c %s "$e") % 2097152)) -ne 0 ] || truncate -s +4096 "$e"
    showlog "$log3"
    # shellcheck disable=SC2046
    qt_boot "$log3" "$INITRD" "root=/dev/pmem0 sharedroot.timeout=3" $(pmem_dev "$e")
    expect_error "$log3" 'pmem device namespace[0-9.]* is there but the kernel could not map it.*multiple of 2 MiB'
    rm -f "$e"

    # the misaligned partition: sector 2049 (2048 + 1, not a multiple of 8)
    local tree=$SCW/$SC-tree x=$SCW/$SC-ext4.img p=$SCW/$SC-part.img log4=$LOGS/$SC-part.log
    local log5=$LOGS/$SC-part-always.log sectors
    command -v sfdisk >/dev/null || skip "sfdisk is not installed"
    rm -rf "$tree" "$x" "$x.sha256"
    qt_make_tree "$tree" "$QT_REPORT_INIT"
    "$BUILD/mkbase/sharedroot-mkbase" --type ext4 -o "$x" "$tree" >"$SCW/$SC.mk" 2>&1 ||
        fail "sharedroot-mkbase failed: $(cat "$SCW/$SC.mk")"
    rm -rf "$tree"
    sectors=$(($(stat -c %s "$x") / 512))
    rm -f "$p"
    truncate -s $(((2049 + sectors + 40) * 512)) "$p"
    truncate -s %2M "$p"
    printf 'label: gpt\nstart=2049, size=%d, type=linux\n' "$sectors" | sfdisk -q "$p" >/dev/null 2>&1 ||
        fail "sfdisk could not write the misaligned partition table"
    dd if="$x" of="$p" bs=512 seek=2049 conv=notrunc,sparse status=none || fail "dd failed"
    rm -f "$x" "$x.sha256"
    showlog "$log4"
    # shellcheck disable=SC2046
    qt_boot "$log4" "$INITRD" "root=/dev/pmem0p1" $(pmem_dev "$p")
    check_report "$log4" ext4 /dev/pmem0p1
    no_error "$log4"
    l=$(lgrep "$log4" -m1 'sharedroot: WARNING.*dax') || fail "no warning about dax on the misaligned partition"
    { grep -q 'partition at sector 2049' <<<"$l" && grep -q 'page boundary' <<<"$l" && grep -q '1 MiB' <<<"$l"; } ||
        fail "the warning does not name the partition's start and the fix: $l"
    note "${l#*sharedroot: }"
    lgrep "$log4" -q 'kernel refused to mount' && fail "the init tried a dax mount the kernel refused first"
    [ "$(state "$log4" ROOT_DAX)" = 0 ] || fail "ROOT_DAX=$(state "$log4" ROOT_DAX)"
    showlog "$log5"
    # shellcheck disable=SC2046
    qt_boot "$log5" "$INITRD" "root=/dev/pmem0p1 sharedroot.dax=always" $(pmem_dev "$p")
    expect_error "$log5" 'sharedroot.dax=always: /dev/pmem0p1 \(ext4, block size 4096, partition at sector 2049.*page boundary'
    rm -f "$p"
    pass
}
