#!/bin/bash
# shellcheck disable=SC2016  # the single-quoted bash -c and sh -c scripts get their arguments as $0, $1
# sharedroot-mkinitramfs end to end: reproducible output, --list, the archive's layout, the
# ELF closure and the module index proven by running them in a chroot, every error case.
# Usage: tests/priv/mkinitramfs.sh BUILD_DIR   (needs root for chroot)
set -uo pipefail
B=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
MK=$B/initramfs/sharedroot-mkinitramfs
KVER=$("$(dirname "${BASH_SOURCE[0]}")/../../tools/cloud-kver")
T=$(mktemp -d "${TMPDIR:-/tmp}/mkinitramfs-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check() { # name, command...
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
# expect_error NAME STATUS PATTERN -- ARGS...: exit status and a message naming the object.
expect_error() {
    local name=$1 want=$2 pat=$3; shift 4
    "$MK" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" -eq "$want" ] && grep -q -- "$pat" "$T/err" && grep -q '^sharedroot-mkinitramfs: ' "$T/err"; then
        pass "$name"
    else
        fail "$name" "exit $rc, stderr: $(head -c 300 "$T/err")"
    fi
}
list_archive() { # file, decompressor
    $2 <"$1" | cpio -it --quiet 2>/dev/null
}
unpack() { # file, dir
    mkdir -p "$2" && (cd "$2" && zstd -dc <"$1" | cpio -id --quiet 2>/dev/null)
}
# Run a command chrooted into DIR with /proc mounted (a sanitized /init needs it), privately.
in_chroot() { # dir, command...
    local d=$1; shift
    unshare --mount --fork sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$d" "$@"
}

if [ ! -x "$MK" ]; then
    fail "mkinitramfs_built" "$MK missing"; exit 1
fi
if [ ! -d "/lib/modules/$KVER" ]; then
    skip "mkinitramfs_all" "kernel $KVER modules not installed"; exit 0
fi
INIT_ARGS=()
if [ ! -x "$B/init/sharedroot-init" ]; then
    INIT_ARGS=(--init /usr/bin/kmod)   # until the build tree has an init
fi

# --- reproducibility ---
mkdir -p "$T/a" "$T/b" "$T/tmpa" "$T/tmpb"
TMPDIR=$T/tmpa "$MK" -q -o "$T/a/initrd.img" --kver "$KVER" "${INIT_ARGS[@]}"
ra=$?
TMPDIR=$T/tmpb "$MK" -q -o "$T/b/initrd.img" --kver "$KVER" "${INIT_ARGS[@]}"
rb=$?
check builds_exit_zero [ $((ra + rb)) -eq 0 ]
check reproducible_twice_byte_identical cmp -s "$T/a/initrd.img" "$T/b/initrd.img"
check staging_is_cleaned_up [ -z "$(find "$T/tmpa" "$T/tmpb" -mindepth 1)" ]
check no_temporary_file_left [ "$(ls -A "$T/a")" = initrd.img ]
SOURCE_DATE_EPOCH=1700000000 "$MK" -q -o "$T/b/sde.img" --kver "$KVER" "${INIT_ARGS[@]}"
check source_date_epoch_changes_output bash -c '! cmp -s "$0" "$1"' "$T/a/initrd.img" "$T/b/sde.img"
mt=$(zstd -dc <"$T/b/sde.img" | cpio -itv --quiet 2>/dev/null | grep -m1 ' init$')
check source_date_epoch_is_the_mtime grep -q 'Nov 14  2023' <<<"$mt"
SOURCE_DATE_EPOCH=1700000000 "$MK" -q -o "$T/b/sde2.img" --kver "$KVER" "${INIT_ARGS[@]}"
check source_date_epoch_reproducible cmp -s "$T/b/sde.img" "$T/b/sde2.img"

# --- the default --init comes from the build tree ---
if [ ${#INIT_ARGS[@]} -eq 0 ]; then
    "$MK" --list --kver "$KVER" >"$T/list" 2>"$T/err"
    check default_init_from_build_tree grep -q "^init /init ($B/init/sharedroot-init)" "$T/list"
else
    skip default_init_from_build_tree "no $B/init/sharedroot-init yet"
    "$MK" --list --kver "$KVER" "${INIT_ARGS[@]}" >"$T/list" 2>"$T/err"
fi

# --- --list ---
check list_names_virtio_blk grep -q '^module virtio_blk (default)' "$T/list"
check list_names_virtio_pmem grep -q '^module virtio_pmem (default)' "$T/list"
check list_names_the_module_plan grep -q '^modplan /lib/modules/.*/sharedroot.modplan (module plan for sharedroot-init' "$T/list"
check list_names_nd_pmem grep -q '^module nd_pmem (default)' "$T/list"
check list_names_dependency grep -q '^module virtio_ring (dependency of virtio_' "$T/list"
check list_names_softdep grep -q '^module crc32c.* (softdep of libcrc32c)' "$T/list"
check list_names_builtin grep -q '^module ext4 (builtin, default filesystem)' "$T/list"
check list_names_libraries grep -q '^lib /lib/x86_64-linux-gnu/libc.so.6 (needed by ' "$T/list"
check list_names_interpreter grep -q '^interp /lib64/ld-linux-x86-64.so.2 (interpreter of /init)' "$T/list"
check list_writes_nothing [ ! -e "$T/list.img" ]
# what is not in the image is named, with how to add it
check list_names_left_out_network grep -q '^left-out network root (.*give --network)$' "$T/list"
check list_names_left_out_libgit2 grep -q '^left-out libgit2 (.*give --with-merge)$' "$T/list"
check list_names_no_left_out_shell bash -c '! grep -q "^left-out shell" "$0"' "$T/list"
"$MK" --list --kver "$KVER" "${INIT_ARGS[@]}" --no-shell >"$T/list-ns" 2>"$T/err"
check list_no_shell_names_the_left_out_shell grep -q '^left-out shell (--no-shell: .*/busybox and its applets are added)$' "$T/list-ns"
"$MK" --list --kver "$KVER" "${INIT_ARGS[@]}" --network --with-merge >"$T/list-nm" 2>"$T/err"
check list_network_merge_not_left_out bash -c '! grep -qE "^left-out (network|libgit2)" "$0"' "$T/list-nm"
# a statically linked busybox (busybox-static, 1.9 MB) is named as such, with what is smaller
if readelf -l /usr/bin/busybox 2>/dev/null | grep -q INTERP; then
    check list_dynamic_busybox_plain grep -qx 'shell /bin/busybox (emergency shell, from /usr/bin/busybox)' "$T/list"
else
    check list_static_busybox_says_so grep -q '^shell /bin/busybox (emergency shell, from /usr/bin/busybox; statically linked, [0-9]* KiB: .*--shell PATH)$' "$T/list"
fi
# the dynamic loader is one file: libc's DT_NEEDED path links to the PT_INTERP path
check list_loader_stored_once grep -q '^lib /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 -> /lib64/ld-linux-x86-64.so.2 (needed by .*the same file as /lib64/ld-linux-x86-64.so.2, stored once)$' "$T/list"

# --- filesystems: xfs (4 MB) only when --fs asks for it; --list says what was left out ---
check default_leaves_out_xfs bash -c '! grep -q "^module xfs " "$0"' "$T/list"
check list_names_left_out_xfs_and_the_fix \
    grep -q '^left-out module xfs (filesystem xfs, not in --fs: [0-9]* KiB .*give --fs ext4,erofs,squashfs,xfs)$' "$T/list"
"$MK" --list --kver "$KVER" "${INIT_ARGS[@]}" --fs ext4 --fs xfs >"$T/list-xfs" 2>"$T/err"
check fs_adds_xfs grep -q '^module xfs (filesystem, --fs)' "$T/list-xfs"
check fs_replaces_the_default_set bash -c '! grep -q "^module erofs " "$0" && grep -q "^left-out module erofs .*give --fs ext4,xfs,erofs)$" "$0"' "$T/list-xfs"
check fs_xfs_not_reported_left_out bash -c '! grep -q "^left-out module xfs " "$0"' "$T/list-xfs"
"$MK" --list --kver "$KVER" "${INIT_ARGS[@]}" -M xfs >"$T/list-mxfs" 2>"$T/err"
check modules_xfs_not_reported_left_out bash -c 'grep -q "^module xfs (requested)" "$0" && ! grep -q "^left-out module xfs " "$0"' "$T/list-mxfs"

# --- layout ---
list_archive "$T/a/initrd.img" "zstd -dc" >"$T/files"
for f in init bin/busybox bin/sh dev/console dev/null etc/initrd-release lib64/ld-linux-x86-64.so.2 \
    lib/modules/$KVER/modules.dep.bin lib/modules/$KVER/modules.alias.bin \
    lib/modules/$KVER/modules.softdep lib/modules/$KVER/modules.builtin.bin \
    lib/modules/$KVER/sharedroot.modplan \
    lib/modules/$KVER/kernel/drivers/block/virtio_blk.ko \
    lib/modules/$KVER/kernel/drivers/virtio/virtio_ring.ko \
    proc sys run sysroot tmp root; do
    check "archive_has_$f" grep -qx "$f" "$T/files"
done
check archive_sorted_by_path bash -c 'LC_ALL=C sort -c "$0"' "$T/files"
check archive_lib_is_a_directory bash -c 'zstd -dc <"$0" | cpio -itv --quiet 2>/dev/null | grep -q "^d.* lib$"' "$T/a/initrd.img"

# --- the closure and the module index really work ---
unpack "$T/a/initrd.img" "$T/root"
if [ ${#INIT_ARGS[@]} -eq 0 ]; then
    out=$(in_chroot "$T/root" /init --version 2>&1)
    check chroot_init_version_runs grep -q '^sharedroot-init ' <<<"$out"
else
    skip chroot_init_version_runs "no sharedroot-init in the build tree yet"
fi
check init_does_not_link_libkmod bash -c '! ldd "$0/init" 2>/dev/null | grep -q libkmod; ! ls "$0"/lib/*/libkmod* "$0"/lib/*/libcrypto* >/dev/null 2>&1' "$T/root"
check modplan_first_line bash -c '[ "$(head -n 1 "$0"/lib/modules/*/sharedroot.modplan)" = "sharedroot-modplan 1" ]' "$T/root"
check modplan_has_virtio_blk_after_virtio_ring bash -c 'grep -q "^module virtio_blk .*virtio_ring" "$0"/lib/modules/*/sharedroot.modplan' "$T/root"
# The init's two resolvers agree: the image's module plan and libkmod (dlopen) on the kernel's
# own module directory would load the same modules (a dry run: nothing is inserted).
PM=$B/tests/probe-mounts
for m in virtio_scsi virtio:d00000002v00001AF4 fs-squashfs; do
    a=$("$PM" load "$m" --moddir "$T/root/lib/modules/$KVER" --dry-run 2>/dev/null | sort)
    k=$("$PM" load "$m" --moddir "/lib/modules/$KVER" --dry-run 2>/dev/null | sort)
    check "plan_and_libkmod_agree_on_$m" bash -c '[ "$0" = "$1" ]' "$a" "$k"
done
check plan_dry_run_names_virtio_scsi_deps bash -c '"$0" load virtio_scsi --moddir "$1" --dry-run 2>&1 | grep -q "would load module scsi_mod (for virtio_scsi)" || grep -qx virtio_scsi /proc/modules' "$PM" "$T/root/lib/modules/$KVER"
check archive_loader_is_one_file bash -c '[ -L "$0/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ] && [ -f "$0/lib64/ld-linux-x86-64.so.2" ] && [ ! -L "$0/lib64/ld-linux-x86-64.so.2" ]' "$T/root"
check archive_stores_no_content_twice bash -c '[ -z "$(find "$0" -type f -size +0 -exec sha256sum {} + | sort | uniq -d -w 64)" ]' "$T/root"
check chroot_busybox_shell_runs bash -c '[ "$(chroot "$0" /bin/sh -c "echo ok")" = ok ]' "$T/root"
# libkmod inside the image: kmod's modprobe, built with its closure, resolves against the index.
"$MK" -q -o "$T/kmod.img" --kver "$KVER" --init /usr/bin/kmod --no-shell --fs ext4,xfs
unpack "$T/kmod.img" "$T/kroot"
ln -s /init "$T/kroot/modprobe"
out=$(chroot "$T/kroot" /modprobe -S "$KVER" -n -v virtio_blk 2>&1)
check chroot_modprobe_resolves_dependencies grep -q 'insmod /lib/modules/.*/virtio_ring.ko' <<<"$out"
out=$(chroot "$T/kroot" /modprobe -S "$KVER" -n -v -R 'virtio:d00000002v00001AF4' 2>&1)
check chroot_modprobe_resolves_alias grep -qx 'virtio_blk' <<<"$out"
out=$(chroot "$T/kroot" /modprobe -S "$KVER" -n -v xfs 2>&1)
check chroot_modprobe_follows_softdep grep -q 'crc32c' <<<"$out"
check chroot_modprobe_knows_builtin chroot "$T/kroot" /modprobe -S "$KVER" -n ext4
check no_shell_leaves_out_sh bash -c '! zstd -dc <"$0" | cpio -it --quiet 2>/dev/null | grep -qx "bin/sh"' "$T/kmod.img"

# --- the plain build with tools/build-deps (-Dstatic_deps): libmount linked into the init and
# util-linux's mkswap built without SELinux, so that nothing in the image links libselinux ---
P=$(cd "$B/.." && pwd)/plain
SD=$(cat "$P/.static_deps" 2>/dev/null)
if [ -n "$SD" ] && [ -x "$P/initramfs/sharedroot-mkinitramfs" ] && [ -x "$SD/sbin/mkswap" ]; then
    for a in "-o $T/static.img" --list; do
        # shellcheck disable=SC2086 # "-o FILE" is two words
        "$P/initramfs/sharedroot-mkinitramfs" -q $a --kver "$KVER" --init "$P/init/sharedroot-init"
    done >"$T/static.list"
    check static_deps_image_builds [ -s "$T/static.img" ]
    unpack "$T/static.img" "$T/sroot"
    check static_deps_init_links_no_libmount bash -c '! readelf -d "$0/init" | grep -qE "libmount|libselinux"' "$T/sroot"
    check static_deps_mkswap_from_build_deps grep -q "^binary /sbin/mkswap (.*built without SELinux by tools/build-deps" "$T/static.list"
    check static_deps_image_has_no_selinux bash -c '[ -z "$(find "$0" -name "libselinux*" -o -name "libpcre2*" -o -name "libmount*")" ]' "$T/sroot"
    check static_deps_list_explains_every_lib bash -c 'for f in "$0"/lib/*/*.so*; do grep -q "^lib /lib/[^/]*/${f##*/} " "$1" || exit 1; done' "$T/sroot" "$T/static.list"
    out=$(in_chroot "$T/sroot" /init --version 2>&1)
    check static_deps_chroot_init_runs grep -q '^sharedroot-init ' <<<"$out"
    out=$(in_chroot "$T/sroot" /sbin/mkswap --version 2>&1)
    check static_deps_chroot_mkswap_runs grep -q '^mkswap from util-linux' <<<"$out"
    truncate -s 1M "$T/sroot/swapfile"
    in_chroot "$T/sroot" /sbin/mkswap -L t /swapfile >/dev/null 2>&1
    check static_deps_chroot_mkswap_writes_a_signature bash -c '[ "$(blkid -o value -s TYPE "$0")" = swap ] && [ -n "$(blkid -o value -s UUID "$0")" ]' "$T/sroot/swapfile"
else
    skip static_deps_image "$P not set up with -Dstatic_deps (SHAREDROOT_SYSTEM_LIBS=1 tools/build, or not built)"
fi

# --- compression ---
"$MK" -q -o "$T/g.img" --kver "$KVER" "${INIT_ARGS[@]}" --compress gzip
check gzip_compression_works bash -c 'gzip -dc <"$0" | cpio -it --quiet 2>/dev/null | grep -qx init' "$T/g.img"
"$MK" -q -o "$T/g2.img" --kver "$KVER" "${INIT_ARGS[@]}" --compress gzip
check gzip_is_reproducible cmp -s "$T/g.img" "$T/g2.img"
"$MK" -q -o "$T/n.img" --kver "$KVER" "${INIT_ARGS[@]}" --compress none
check none_compression_is_plain_cpio bash -c 'head -c 6 "$0" | grep -q 070701 && cpio -it --quiet <"$0" 2>/dev/null | grep -qx init' "$T/n.img"
check zstd_holds_the_same_archive bash -c 'zstd -dc <"$0" | cmp -s - "$1"' "$T/a/initrd.img" "$T/n.img"
# zstd level 9, not libarchive's 3: smaller than the same archive at zstd's default level
check zstd_level_above_default bash -c '[ "$(stat -c %s "$0")" -lt "$(zstd -q -3 -c <"$1" | wc -c)" ]' "$T/a/initrd.img" "$T/n.img"
"$MK" -q -o "$T/m.img" --kver "$KVER" "${INIT_ARGS[@]}" --modules dm_mod,raid1 --modules vfat
check extra_modules_are_added bash -c 'zstd -dc <"$0" | cpio -it --quiet 2>/dev/null | grep -q "/dm-mod.ko$"' "$T/m.img"

# --- --network: NIC drivers, nbd, udhcpc (busybox) and the resident helper, with or without
# the emergency shell ---
"$MK" -q -o "$T/net.img" --kver "$KVER" "${INIT_ARGS[@]}" --network --no-shell
zstd -dc <"$T/net.img" | cpio -it --quiet 2>/dev/null >"$T/net.files"
check network_adds_nbd_and_virtio_net bash -c 'grep -q "/nbd.ko$" "$0" && grep -q "/virtio_net.ko$" "$0"' "$T/net.files"
check network_adds_busybox_without_the_shell bash -c 'grep -qx bin/busybox "$0" && ! grep -qx bin/sh "$0"' "$T/net.files"
check network_adds_the_dhcp_script_link grep -qx lib/sharedroot/udhcpc-script "$T/net.files"
check network_adds_the_resident_helper grep -qx lib/sharedroot/sharedroot-nbd "$T/net.files"
check network_dhcp_script_is_the_init bash -c 'zstd -dc <"$0" | cpio -itv --quiet 2>/dev/null | grep -q "lib/sharedroot/udhcpc-script -> /init$"' "$T/net.img"
"$MK" -q -o "$T/net2.img" --kver "$KVER" "${INIT_ARGS[@]}" --network
check network_with_shell_builds bash -c 'zstd -dc <"$0" | cpio -it --quiet 2>/dev/null | grep -qx lib/sharedroot/sharedroot-nbd' "$T/net2.img"
check no_network_leaves_them_out bash -c '! zstd -dc <"$0" | cpio -it --quiet 2>/dev/null | grep -qE "/nbd.ko$|sharedroot-nbd|udhcpc-script"' "$T/a/initrd.img"

# --- errors ---
expect_error error_missing_kernel 1 "/lib/modules/0.0-none" -- -o "$T/x.img" --kver 0.0-none
expect_error error_missing_moddir_suggests_kver 1 "--kver" -- -o "$T/x.img" --kver 0.0-none
expect_error error_fs_unknown 1 "fs nosuchfs: kernel .* has no module fs-nosuchfs" -- --list --kver "$KVER" "${INIT_ARGS[@]}" --fs ext4,nosuchfs
expect_error error_fs_not_a_name 2 "'Ext4/x' is not a filesystem type" -- --list --kver "$KVER" --fs Ext4/x
expect_error error_fs_empty_item 2 "--fs 'ext4,,xfs'" -- --list --kver "$KVER" --fs ext4,,xfs
expect_error error_fs_empty 2 "--fs ''" -- --list --kver "$KVER" --fs ''
expect_error error_fs_overlong 2 "is not a filesystem type" -- --list --kver "$KVER" --fs "ext4,$(printf 'x%.0s' {1..33})"
expect_error error_fs_hostile_name 2 "is not a filesystem type" -- --list --kver "$KVER" --fs '../../x'
expect_error error_unknown_module 1 "module no_such_mod" -- -o "$T/x.img" --kver "$KVER" "${INIT_ARGS[@]}" --modules no_such_mod
expect_error error_unreadable_init 1 "/nonexistent" -- -o "$T/x.img" --kver "$KVER" --init /nonexistent
expect_error error_non_elf_init 1 "/etc/passwd is not an ELF" -- -o "$T/x.img" --kver "$KVER" --init /etc/passwd
expect_error error_missing_output_dir 1 "$T/nodir" -- -o "$T/nodir/x.img" --kver "$KVER" "${INIT_ARGS[@]}"
expect_error usage_no_output 2 "-o FILE" -- --kver "$KVER"
expect_error usage_bad_compression 2 "xz" -- -o "$T/x.img" --compress xz
expect_error usage_bad_option 2 "invalid option" -- --frobnicate
expect_error usage_shell_and_no_shell 2 "exclude" -- -o "$T/x.img" --shell /bin/sh --no-shell
check failed_builds_leave_nothing [ -z "$(find "$T" -maxdepth 1 -name '*x.img*')" ]
check help_exits_zero bash -c '"$0" --help | grep -q "^Usage: "' "$MK"
check version_exits_zero bash -c '"$0" --version | grep -q "^sharedroot-mkinitramfs "' "$MK"
