# shellcheck shell=bash
# docs/guest-examples.md's base shared in host memory, as written: its base made by the doc's
# `sharedroot-mkbase --type erofs -o base.img TREE` (TREE: the test root's tree) and its
# virtio-pmem QEMU command line (taken from the doc at run time, with its $(stat ...)) with
# only the /srv/sharedroot paths (this suite's kernel, initramfs, the base and a new instance
# disk) and accel=kvm:tcg (the suite's accelerator) replaced, the serial console (stdio) into
# the log, bounded by the suite's timeout: the root is /dev/pmem0 (erofs) mounted with dax
# ("dax: shared in host memory", ROOT_DAX=1), the instance disk is vda; the base unchanged

scenario() {
    local d=$SCW/$SC log=$LOGS/$SC.log mkb line before
    rm -rf "$d"; mkdir -p "$d"
    # shellcheck disable=SC2016  # the doc's backquotes
    mkb=$(grep -o '`sharedroot-mkbase --type erofs -o base.img TREE`' "$GUEST_EXAMPLES" | tr -d '`')
    [ -n "$mkb" ] || fail "the doc no longer says sharedroot-mkbase --type erofs -o base.img TREE"
    qt_make_tree "$d/tree" "$QT_REPORT_INIT"
    (cd "$d" && PATH=$BUILD/mkbase:$PATH ${mkb/%TREE/$d/tree}) >"$d/mkbase.out" 2>&1 ||
        fail "$mkb failed: $(tail -n 3 "$d/mkbase.out")"
    rm -rf "$d/tree"
    new_inst "$d/web-1.img"
    before=$(sha "$d/base.img")
    line=$(example_block '^### QEMU$')
    [[ $line == qemu-system-x86_64\ *virtio-pmem-pci* ]] || fail "the doc's pmem QEMU block changed: $line"
    line=${line//\/srv\/sharedroot\/vmlinuz/$QT_KERNEL}
    line=${line//\/srv\/sharedroot\/initrd.img-sharedroot/$INITRD}
    line=${line//\/srv\/sharedroot\/base.img/$d/base.img}
    line=${line//\/srv\/sharedroot\/instances\/web-1.img/$d/web-1.img}
    line=${line//accel=kvm:tcg/accel=$QT_ACCEL}
    [[ $line == *'-serial stdio'* ]] || fail "the doc's pmem QEMU line has no -serial stdio"
    [[ $line == */srv/* ]] && fail "a path the scenario does not know: $line"
    run_doc_line "$log" "$line"
    check_report "$log" erofs /dev/pmem0; no_error "$log"
    lgrep "$log" -q 'dax: shared in host memory' || fail "the console does not say dax: shared in host memory"
    [ "$(state "$log" ROOT_DAX)" = 1 ] || fail "state ROOT_DAX=$(state "$log" ROOT_DAX)"
    [ "$(state "$log" MODE)" = instance ] || fail "state MODE is $(state "$log" MODE)"
    has_mount "$log" /dev/vda /run/sharedroot/instance ext4
    [ "$(sha "$d/base.img")" = "$before" ] || fail "the base changed"
    rm -rf "$d"
    pass
}
