# shellcheck shell=bash
# In-root mode: no initramfs; the kernel mounts the base (NVMe and ext4 are built in)
# read-only itself and runs sharedroot-init from it, which stacks the instance layer in
# place and execs /sbin/init.

scenario() {
    local tree=$SCW/$SC-tree base=$SCW/$SC-base.img inst=$SCW/$SC.img unpack=$SCW/$SC-initrd
    local log=$LOGS/$SC.log log2=$LOGS/$SC-2.log before l
    mkdir -p "$SCW"
    qt_make_tree "$tree" "$QT_REPORT_INIT"
    rm -rf "$unpack"; mkdir -p "$unpack"
    (cd "$unpack" && zstd -dc "$INITRD" | cpio -idm --quiet) || fail "could not unpack the initramfs"
    cp -a "$unpack/lib" "$unpack/lib64" "$tree/" || fail "copying the libraries and modules failed"
    install -m 0755 "$unpack/init" "$tree/sbin/sharedroot-init"
    rm -rf "$unpack"
    mknod -m 600 "$tree/dev/console" c 5 1; mknod -m 666 "$tree/dev/null" c 1 3
    rm -f "$base"
    mkfs.ext4 -q -F -E root_owner=0:0 -d "$tree" "$base" 96M >/dev/null 2>&1 || fail "mkfs of the in-root base failed"
    rm -rf "$tree"
    new_inst "$inst"
    before=$(sha "$base")
    for l in "$log" "$log2"; do
        showlog "$l"
        qt_boot "$l" - "root=/dev/nvme0n1 ro rootflags=noload init=/sbin/sharedroot-init sharedroot.instance=/dev/vda" \
            -drive "file=$base,if=none,id=b,format=raw,readonly=on" -device nvme,drive=b,serial=base \
            -drive "$(rw_disk "$inst")"
        grep -q 'REPORT END' "$l" ||
            fail "$l: the real init never printed REPORT END: $(lgrep "$l" -m1 -E 'sharedroot: ERROR|Kernel panic')"
        no_error "$l"
        [ "$(state "$l" IN_ROOT)" = 1 ] || fail "$l: state IN_ROOT is '$(state "$l" IN_ROOT)'"
        [ "$(state "$l" MODE)" = instance ] || fail "$l: state MODE is $(state "$l" MODE)"
        case $(qt_report "$l" root_dev) in /dev/nvme0n1|/dev/root) ;; *) fail "$l: root is $(qt_report "$l" root_dev)" ;; esac
        [ "$(qt_report "$l" root_ro)" = 1 ] || fail "$l: the root is not read-only"
        [ "$(qt_report "$l" write_root)" = failed ] || fail "$l: writing the base worked"
        [ "$(qt_report "$l" pid)" = 1 ] || fail "$l: the real init is not PID 1"
        has_mount "$l" overlay /etc overlay
        has_mount "$l" /dev/vda /run/sharedroot/instance ext4
    done
    [ "$(qt_report "$log2" boot_count)" = 2 ] || fail "/var did not persist in in-root mode"
    [ "$(qt_report "$log2" machine_id)" = "$(qt_report "$log" machine_id)" ] || fail "machine-id did not persist in in-root mode"
    [ "$(sha "$base")" = "$before" ] || fail "the base image changed"
    rm -f "$base" "$inst"
    pass
}
