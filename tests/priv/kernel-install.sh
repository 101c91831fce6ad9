#!/bin/bash
# Kernel package integration with a scratch /boot: the Debian postinst.d hook builds
# initrd.img-sharedroot-VERSION beside the kernel image it is given (Debian's calling
# convention: postinst.d/sharedroot VERSION /boot/vmlinuz-VERSION), never the distribution's
# initrd.img-VERSION unless TARGET=replace; postrm.d removes it; the config file's options
# reach sharedroot-mkinitramfs; the kernel-install plugin does the same.
# $1 = the build dir. Needs the kernel's modules (/lib/modules/VERSION); root for nothing.
set -uo pipefail
B=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
KVER=$("$(dirname "${BASH_SOURCE[0]}")/../../tools/cloud-kver")
K=$B/initramfs/kernel-install

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check() { # name, command...
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name"; sed 's/^/    | /' "$T/out" | tail -n 20; fi
}
[ -d "/lib/modules/$KVER" ] || { skip kernel-install "kernel $KVER not installed"; exit 0; }
[ -x "$K/postinst.d-sharedroot" ] || [ -f "$K/postinst.d-sharedroot" ] || { fail kernel-install "$K not built"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/kernel-install-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
BOOT=$T/boot; mkdir -p "$BOOT"
: >"$BOOT/vmlinuz-$KVER"
echo distro >"$BOOT/initrd.img-$KVER"
# configure_file() output is not executable in the build tree (meson install sets the mode)
install -m 0755 "$K/sharedroot-kernel-hook" "$T/sharedroot-kernel-hook"
export SHAREDROOT_KERNEL_HOOK=$T/sharedroot-kernel-hook
export SHAREDROOT_MKINITRAMFS=$B/initramfs/sharedroot-mkinitramfs
export SHAREDROOT_MKINITRAMFS_CONF=$T/mkinitramfs.conf
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cp "$SRC/initramfs/kernel-install/mkinitramfs.conf" "$T/mkinitramfs.conf"
hook() { sh "$K/$1" "${@:2}" >"$T/out" 2>&1; }

hook postinst.d-sharedroot "$KVER" "$BOOT/vmlinuz-$KVER"; rc=$?
check postinst_builds_the_sharedroot_initrd bash -c "[ $rc -eq 0 ] && [ -s '$BOOT/initrd.img-sharedroot-$KVER' ]"
check postinst_leaves_the_distribution_initrd_alone bash -c "[ \"\$(cat '$BOOT/initrd.img-$KVER')\" = distro ]"
check postinst_initrd_is_a_zstd_cpio_with_init bash -c "zstd -dc '$BOOT/initrd.img-sharedroot-$KVER' | cpio -it --quiet 2>/dev/null | grep -qx init"

hook postrm.d-sharedroot "$KVER" "$BOOT/vmlinuz-$KVER"; rc=$?
check postrm_removes_the_sharedroot_initrd bash -c "[ $rc -eq 0 ] && [ ! -e '$BOOT/initrd.img-sharedroot-$KVER' ] && [ -e '$BOOT/initrd.img-$KVER' ]"
hook postrm.d-sharedroot "$KVER" "$BOOT/vmlinuz-$KVER"; rc=$?
check postrm_of_a_missing_initrd_is_fine [ $rc -eq 0 ]

INITRD=No hook postinst.d-sharedroot "$KVER" "$BOOT/vmlinuz-$KVER"
check postinst_honours_INITRD_No [ ! -e "$BOOT/initrd.img-sharedroot-$KVER" ]

# NETWORK=auto: the boot command line asks for the network -> --network
echo "console=ttyS0 root=nbd:10.0.2.100:base ip=dhcp" >"$T/cmdline-net"
echo "console=ttyS0 root=LABEL=base mynbd:x=1" >"$T/cmdline-local"
SHAREDROOT_KERNEL_CMDLINES=$T/cmdline-net hook postinst.d-sharedroot "$KVER" "$BOOT/vmlinuz-$KVER"
check network_auto_detects_a_network_root bash -c "grep -q 'asks for the network' '$T/out' && zstd -dc '$BOOT/initrd.img-sharedroot-$KVER' | cpio -it --quiet | grep -qx lib/sharedroot/sharedroot-nbd"
SHAREDROOT_KERNEL_CMDLINES=$T/cmdline-local hook postinst.d-sharedroot "$KVER" "$BOOT/vmlinuz-$KVER"
check network_auto_leaves_a_local_root_alone bash -c "! grep -q 'asks for the network' '$T/out' && ! zstd -dc '$BOOT/initrd.img-sharedroot-$KVER' | cpio -it --quiet | grep -qx lib/sharedroot/sharedroot-nbd"
cp "$T/mkinitramfs.conf" "$T/mkinitramfs.conf.orig"
echo 'NETWORK=sometimes' >>"$T/mkinitramfs.conf"
hook postinst.d-sharedroot "$KVER" "$BOOT/vmlinuz-$KVER"; rc=$?
check network_bad_value_is_refused bash -c "[ $rc -ne 0 ] && grep -q 'NETWORK=sometimes' '$T/out'"
cp "$T/mkinitramfs.conf.orig" "$T/mkinitramfs.conf"
rm -f "$BOOT/initrd.img-sharedroot-$KVER"

printf '#!/bin/sh\necho hi\n' >"$T/myhook"; chmod 755 "$T/myhook"
cat >>"$T/mkinitramfs.conf" <<EOC
COMPRESS=gzip
HOOKS="root:$T/myhook"
TARGET=replace
EOC
hook postinst.d-sharedroot "$KVER" "$BOOT/vmlinuz-$KVER"
check config_replace_writes_the_distribution_name bash -c "gzip -t '$BOOT/initrd.img-$KVER' && [ ! -e '$BOOT/initrd.img-sharedroot-$KVER' ]"
check config_hooks_reach_the_image bash -c "gzip -dc '$BOOT/initrd.img-$KVER' | cpio -it --quiet | grep -qx lib/sharedroot/hooks/root.d/myhook"

echo 'ENABLED=no' >>"$T/mkinitramfs.conf"; rm -f "$BOOT/initrd.img-$KVER"
hook postinst.d-sharedroot "$KVER" "$BOOT/vmlinuz-$KVER"
check config_disabled_does_nothing [ ! -e "$BOOT/initrd.img-$KVER" ]

cp "$SRC/initramfs/kernel-install/mkinitramfs.conf" "$T/mkinitramfs.conf"
hook 50-sharedroot.install add "$KVER" "$T/entry" "$BOOT/vmlinuz-$KVER"
check kernel_install_plugin_add_builds [ -s "$BOOT/initrd.img-sharedroot-$KVER" ]
hook 50-sharedroot.install remove "$KVER" "$T/entry" "$BOOT/vmlinuz-$KVER"
check kernel_install_plugin_remove_deletes [ ! -e "$BOOT/initrd.img-sharedroot-$KVER" ]
hook postinst.d-sharedroot "../x" "$BOOT/vmlinuz-x"; rc=$?
check bad_version_is_refused bash -c "[ $rc -eq 2 ] && grep -q 'not a kernel version' '$T/out'"
