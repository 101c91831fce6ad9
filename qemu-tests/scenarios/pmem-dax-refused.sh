# shellcheck shell=bash
# dax that cannot be used is said, never silent: an ext4 base with 1 KiB blocks on virtio-pmem
# boots without dax and a warning naming the block size and what to change (ROOT_DAX=0); with
# sharedroot.dax=always it stops with an error; an image whose size is not a multiple of 2 MiB
# (the kernel cannot map it) gives an error that says so instead of only "did not appear"

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
    pass
}
