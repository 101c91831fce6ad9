#!/bin/sh
# QEMU command line for a sharedroot guest: the shared base read-only (several guests may use
# it at once: readonly=on takes a shared lock), the per-instance disk writable.
# Usage: sharedroot-guest.qemu.sh KERNEL INITRD BASE_IMG INSTANCE_IMG [EXTRA KERNEL ARGS]
kernel=$1 initrd=$2 base=$3 instance=$4
shift 4
exec qemu-system-x86_64 -machine pc,accel=kvm:tcg -m 512 -smp 1 \
    -nodefaults -no-user-config -display none -serial stdio -net none \
    -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 root=/dev/vda sharedroot.instance=/dev/vdb panic=10 $*" \
    -drive "file=$base,format=raw,if=virtio,readonly=on" \
    -drive "file=$instance,format=raw,if=virtio"
