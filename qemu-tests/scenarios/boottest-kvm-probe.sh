# shellcheck shell=bash
# sharedroot-boottest's accelerator probe, with a QEMU shim: a KVM guest that prints nothing
# (as with a /dev/kvm that is uselessly slow) makes it fall back to TCG within the probe
# timeout, says so, and the probe guest is gone; a KVM guest that prints makes it use KVM

scenario() {
    local out t shim=$SCW/$SC-shim/qemu-system-x86_64 real
    mkdir -p "$SCW"
    real=$(command -v "$QT_QEMU") || fail "no $QT_QEMU"
    mkdir -p "${shim%/*}"
    # the shim: "accel=kvm" either hangs silently or runs under TCG (this host has no usable
    # KVM), everything else is the real QEMU
    cat >"$shim" <<EOF2
#!/bin/sh
case " \$* " in
*accel=kvm*)
    [ "\$SHIM_KVM" = hang ] && exec sleep 300
    for a; do shift; case \$a in pc,accel=kvm) set -- "\$@" pc,accel=tcg ;; *) set -- "\$@" "\$a" ;; esac; done ;;
esac
exec "$real" "\$@"
EOF2
    chmod 0755 "$shim"
    for mode in hang works; do
        out=$SCW/$SC-$mode
        rm -rf "$out"
        showlog "$out.out"
        # a silent guest is given 3 s; the one that boots (TCG, maybe on a loaded machine) all
        # the time a boot may take
        t=3; [ $mode = works ] && t=$QT_TIMEOUT
        SHIM_KVM=$mode boottest --accel auto --kvm-probe-timeout "$t" --qemu "$shim" --reps 1 \
            --output "$out" --kernel "$QT_KERNEL" --initrd "$INITRD" --base "$ROOTS/ext4.img" \
            >"$out.out" 2>&1 || fail "$mode: exit status $?: $(tail -n 3 "$out.out")"
        boottest_no_qemu_left "$out"
        [ -s "$out/logs/kvm-probe.cmd" ] || fail "$mode: no probe guest was started"
    done
    grep -q '"accel":"tcg"' "$SCW/$SC-hang/report.json" || fail "hang: not TCG"
    grep -q "TCG: the KVM probe failed: timed out after 3 s waiting for the end of the kernel's boot" \
        "$SCW/$SC-hang/report.json" || fail "hang: the note does not say why"
    grep -q 'accelerator tcg' "$SCW/$SC-hang.out" || fail "hang: the verdict line does not say tcg"
    grep -q '"accel":"kvm"' "$SCW/$SC-works/report.json" || fail "works: not KVM"
    boottest_pass
}
