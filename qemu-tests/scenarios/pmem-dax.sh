# shellcheck shell=bash
# The base shared in host memory: an erofs and an ext4 base made by sharedroot-mkbase from the
# test root's tree, each attached as a virtio-pmem device (memory-backend-file
# share=off,readonly=on), boot with the default image and sharedroot.dax=auto: mounted
# read-only with dax=always, ROOT_DAX=1, the console says so, no warning; a file of 4 MiB and
# a tail read in the guest does not grow its page cache (the file is mapped with dax: an erofs
# image with the tail packed inline, mkfs.erofs's default, is read through the page cache);
# the images unchanged

scenario() {
    local log1=$LOGS/$SC-erofs.log log2=$LOGS/$SC-ext4.log e=$SCW/$SC-erofs.img x=$SCW/$SC-ext4.img
    local tree=$SCW/$SC-tree mk=$BUILD/mkbase/sharedroot-mkbase before l uuid c
    mkdir -p "$SCW"
    rm -f "$e" "$e.sha256" "$x" "$x.sha256"
    qt_make_tree "$tree" "$QT_REPORT_INIT"
    mkdir -p "$tree/data"
    head -c $((4 * 1048576 + 100)) /dev/urandom >"$tree/data/daxblob"
    { "$mk" --type erofs -L srt-pmem -o "$e" "$tree" && "$mk" --type ext4 -o "$x" "$tree"; } \
        >"$SCW/$SC.mk" 2>&1 || fail "sharedroot-mkbase failed: $(cat "$SCW/$SC.mk")"
    rm -rf "$tree"
    uuid=$(blkid -p -s UUID -o value "$x")
    before="$(sha "$e") $(sha "$x")"

    showlog "$log1"
    # shellcheck disable=SC2046  # pmem_dev prints words
    qt_boot "$log1" "$INITRD" "root=LABEL=srt-pmem qt.step=daxread" $(pmem_dev "$e")
    check_report "$log1" erofs /dev/pmem0
    showlog "$log2"
    # shellcheck disable=SC2046
    qt_boot "$log2" "$INITRD" "root=UUID=$uuid qt.step=daxread" $(pmem_dev "$x")
    check_report "$log2" ext4 /dev/pmem0
    for l in "$log1" "$log2"; do
        no_error "$l"
        case ",$(qt_report "$l" root_opts)," in *,dax=always,*) ;; *)
            fail "$(basename "$l"): root mounted without dax: $(qt_report "$l" root_opts)" ;; esac
        [ "$(state "$l" ROOT_DAX)" = 1 ] || fail "$(basename "$l"): ROOT_DAX=$(state "$l" ROOT_DAX)"
        lgrep "$l" -q 'sharedroot: WARNING' && fail "warned: $(lgrep "$l" -m1 'sharedroot: WARNING')"
        lgrep "$l" -q 'dax: shared in host memory' || fail "$(basename "$l"): the console does not say dax"
        c=$(qt_report "$l" daxread_cached_kb)
        if [ -z "$c" ] || [ "$c" -ge 1024 ]; then
            fail "$(basename "$l"): reading 4 MiB of the base grew the guest's page cache by '$c' KiB (not mapped with dax)"
        fi
    done
    [ "$(sha "$e") $(sha "$x")" = "$before" ] || fail "a base image changed"
    note_stages "$log1"
    rm -f "$e" "$e.sha256" "$x" "$x.sha256" "$SCW/$SC.mk"
    pass
}
