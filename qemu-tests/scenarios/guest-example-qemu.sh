# shellcheck shell=bash
# docs/examples/sharedroot-guest.qemu.sh, run as documented with this suite's kernel,
# initramfs and images; its accel=kvm:tcg becomes accel=$QT_ACCEL (on CI KVM exists but is
# far slower than TCG)

scenario() {
    local script=$QT_SELF_DIR/../docs/examples/sharedroot-guest.qemu.sh shim=$SCW/$SC-shim
    local inst=$SCW/$SC.img log=$LOGS/$SC.log real pid
    [ -r "$script" ] || fail "no $script"
    real=$(command -v "$QT_QEMU") || fail "no $QT_QEMU"
    grep -q 'accel=kvm:tcg' "$script" || note "the example no longer says accel=kvm:tcg"
    mkdir -p "$SCW" "$shim"; new_inst "$inst"
    cat >"$shim/qemu-system-x86_64" <<SHIM
#!/bin/bash
a=("\$@"); for i in "\${!a[@]}"; do a[\$i]=\${a[\$i]//accel=kvm:tcg/accel=$QT_ACCEL}; done
exec "$real" "\${a[@]}"
SHIM
    chmod 0755 "$shim/qemu-system-x86_64"
    showlog "$log"
    echo "sh $script $QT_KERNEL $INITRD $BASE_IMG $inst" >"$log.cmd"
    PATH=$shim:$PATH timeout -k 5 "$QT_TIMEOUT" sh "$script" "$QT_KERNEL" "$INITRD" "$BASE_IMG" "$inst" \
        </dev/null >"$log" 2>"$log.qemu" &
    pid=$!; qt_track "$pid"
    wait "$pid"
    check_report "$log" ext4; no_error "$log"
    [ "$(state "$log" MODE)" = instance ] || fail "state MODE is $(state "$log" MODE)"
    has_mount "$log" overlay /etc overlay
    has_mount "$log" /dev/vdb /run/sharedroot/instance ext4
    rm -rf "$inst" "$shim"
    pass
}
