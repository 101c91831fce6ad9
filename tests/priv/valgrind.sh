#!/bin/bash
# Valgrind (memcheck) over the programs, on the plain (unsanitized) build: no invalid access,
# no use of uninitialised memory, no definite leak. $1 = the sanitized build dir; its sibling
# "plain" is used (valgrind and AddressSanitizer do not mix).
set -u
# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
B=$(cd "${1:?usage: valgrind.sh BUILDDIR}/.." && pwd)/plain
command -v valgrind >/dev/null || { skip valgrind "valgrind is not installed"; exit 0; }
[ "$(id -u)" -eq 0 ] || { skip valgrind "needs root"; exit 0; }
[ -x "$B/init/sharedroot-init" ] || { fail valgrind "$B not built (tools/build)"; exit 1; }

T=$(mktemp -d /tmp/sharedroot-valgrind.XXXXXX)
LOOPS=()
cleanup() {
    for l in "${LOOPS[@]}"; do blockdev --setrw "$l" 2>/dev/null; losetup -d "$l" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

VG=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --track-origins=yes)
vg() { # name, command...: PASS when valgrind reports no error
    local name=$1
    shift
    "${VG[@]}" --log-file="$T/$name.vg" "$@" >"$T/$name.out" 2>&1
    local rc=$?
    if [ "$rc" -ne 99 ] && ! grep -q 'ERROR SUMMARY: [1-9]' "$T/$name.vg"; then
        pass "$name"
    else
        fail "$name" "valgrind found errors"
        sed 's/^/    | /' "$T/$name.vg" | head -40
    fi
}

# sharedroot-init: a whole test run (instance storage, overlays, reconcile) in a namespace
mkdir -p "$T/tree/"{sbin,bin,etc,var,tmp} "$T/sysroot"
cp /usr/bin/busybox "$T/tree/bin/busybox"
ln -s /bin/busybox "$T/tree/sbin/init"
echo base >"$T/tree/etc/issue"
mkfs.ext4 -q -F -L vgbase$$ -d "$T/tree" "$T/base.img" 16M
mkfs.ext4 -q -F -L vginst$$ "$T/inst.img" 16M
LOOPS+=("$(losetup --find --show "$T/base.img")" "$(losetup --find --show "$T/inst.img")")
echo "root=LABEL=vgbase$$ sharedroot.instance=LABEL=vginst$$ -- single" >"$T/cmdline"
export VGOUT=$T
unshare -m --propagation private bash -c 'mount -t tmpfs tmpfs /run && exec "$@"' - \
    "${VG[@]}" --log-file="$T/init.vg" "$B/init/sharedroot-init" --cmdline "$T/cmdline" \
    --sysroot "$T/sysroot" >"$T/init.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && ! grep -q 'ERROR SUMMARY: [1-9]' "$T/init.vg"; then
    pass init_test_run_is_valgrind_clean
else
    fail init_test_run_is_valgrind_clean "exit $rc"
    sed 's/^/    | /' "$T/init.vg" "$T/init.out" | head -40
fi

vg init_cmdline_errors_are_valgrind_clean "$B/init/sharedroot-init" --cmdline /nonexistent
vg mkinitramfs_list_is_valgrind_clean "$B/initramfs/sharedroot-mkinitramfs" --list -q \
    --kver "$("$(dirname "${BASH_SOURCE[0]}")/../../tools/cloud-kver")"
mkdir -p "$T/lower/d" "$T/upper/d" "$T/store"
printf 'a\nb\nc\n' >"$T/lower/d/f"
"$B/reconcile/overlay-reconcile" --record --lower "$T/lower" --store "$T/store" >/dev/null
sleep 1
printf 'A\nb\nc\n' >"$T/upper/d/f"
printf 'a\nb\nC\n' >"$T/lower/d/f"
vg reconcile_report_is_valgrind_clean "$B/reconcile/overlay-reconcile" --json --diff \
    --lower "$T/lower" --upper "$T/upper" --store "$T/store"
vg reconcile_apply_merge_is_valgrind_clean "$B/reconcile/overlay-reconcile" --apply \
    --policy merge --lower "$T/lower" --upper "$T/upper" --store "$T/store"
check reconcile_merge_was_applied grep -qx 'A' "$T/upper/d/f"
vg check_base_is_valgrind_clean "$B/checkbase/sharedroot-check-base" --json "$T/tree"
# a qcow2 image: the chain check, the conversion into a raw copy (qemu-img, not traced) and
# the image checked through it
if command -v qemu-img >/dev/null && qemu-img convert -O qcow2 "$T/base.img" "$T/base.qcow2"; then
    mkdir -p "$T/cbtmp"
    TMPDIR=$T/cbtmp vg check_base_qcow2_is_valgrind_clean "$B/checkbase/sharedroot-check-base" \
        --json "$T/base.qcow2"
    check check_base_qcow2_was_checked grep -q '"target":"'"$T/base.qcow2"'"' "$T/check_base_qcow2_is_valgrind_clean.out"
    check check_base_qcow2_copy_removed [ -z "$(ls -A "$T/cbtmp")" ]
else
    skip check_base_qcow2_is_valgrind_clean "no qemu-img (qemu-utils)"
fi
