#!/bin/bash
# The EXAMPLE(S) sections of the man pages, run as written: each block is taken from the
# man page at test time (roff's \- and \e undone, continuation lines joined) and run in a
# scratch dir with the build's programs first in PATH; only paths outside the scratch dir are
# replaced (/boot, /srv/guest-kernel, /etc/sharedroot/hooks, the last with --hooks-dir). What
# each block should have made is checked: sharedroot-layout(5)'s partitioned instance disk,
# sharedroot-mkinitramfs(8)'s images (gzip, the modules asked for, reproducible) and kernel
# cpio list, sharedroot-hooks(7)'s hook listed by --list and its output,
# overlay-reconcile(8)'s preview of two hosts, settling of one and its check,
# sharedroot-mkbase(8)'s check-base --fix and check, erofs image and sha256sum -c (its debootstrap, which
# needs the network, replaced by a busybox tree: the walkthrough test debootstraps),
# sharedroot-check-base(8)'s checks of a copied image, of a cloud image (a qcow2 disk laid out
# as Debian's: root on partition 1, BIOS boot 14, EFI 15) and of a disk with two roots.
# $1 = the build dir. Needs root (loop devices).
set -u
B=${1:?usage: man-examples.sh BUILDDIR}
B=$(cd "$B" && pwd)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
D=$SRC/docs

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need man-examples losetup sfdisk mkfs.ext4 mkswap blkid cpio qemu-img busybox
[ -x "$B/initramfs/sharedroot-mkinitramfs" ] || { fail man-examples "$B/initramfs/sharedroot-mkinitramfs not built"; exit 1; }
KVER=$("$SRC/tools/cloud-kver") || { skip man-examples "no Debian cloud kernel installed"; exit 0; }
export KVER
export PATH=$B/initramfs:$B/checkbase:$B/mkbase:$B/instance:$B/reconcile:$PATH
LSAN_OPTIONS=suppressions=$SRC/tests/priv/lsan-libmount.supp
export LSAN_OPTIONS

T=$(mktemp -d /tmp/sharedroot-man-examples.XXXXXX)
cleanup() {
    local l
    for l in $(losetup -n -O NAME -j "$T/layout/instance.img" 2>/dev/null); do losetup -d "$l"; done
    loop_detach_all
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# man_block PAGE N: the Nth .nf/.fi block of PAGE's EXAMPLE(S) section, as the reader sees it
man_block() {
    awk -v want="$2" '/^\.SH / { s = ($0 ~ /^\.SH EXAMPLES?$/); next }
        s && /^\.nf/ { n++; b = (n == want); next } /^\.fi/ { b = 0 } b { print }' "$D/$1" |
        sed -e 's/\\-/-/g; s/\\e/\\/g' | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta'
}
# run_block NAME DIR: runs stdin with bash -e in DIR; PASS/FAIL NAME, output in DIR/NAME.out
run_block() {
    mkdir -p "$2"
    if (cd "$2" && bash -e) >"$2/$1.out" 2>&1; then pass "$1"
    else fail "$1" "$(tail -n 5 "$2/$1.out" | tr '\n' ' ')"; return 1; fi
}

# --- sharedroot-layout(5): the partitioned instance disk, prepared on the host
# Some kernels do not scan a fresh loop device: tests/shim/losetup, first in PATH, adds the
# partitions with partx as a scanning kernel would
SHIM=$SRC/tests/shim
blk=$(man_block sharedroot-layout.5 2)
if grep -q '^truncate -s 2G instance.img$' <<<"$blk"; then
    if PATH=$SHIM:$PATH run_block layout5_prepare_the_disk_as_written "$T/layout" <<<"$blk"; then
        check layout5_leaves_no_loop_device test -z "$(losetup -n -O NAME -j "$T/layout/instance.img")"
        LOOP=$(PATH=$SHIM:$PATH losetup --find --show --partscan "$T/layout/instance.img") && LOOPS+=("$LOOP")
        parts=$(for p in 1 2 3 4; do
            blkid -p -o export "${LOOP}p$p" | grep -E '^(PART_ENTRY_NAME|TYPE)=' | sort | tr '\n' ' '; echo; done)
        check layout5_partitions_are_named_and_formatted test "$parts" = "$(printf '%s\n' \
            'PART_ENTRY_NAME=inst-etc TYPE=ext4 ' 'PART_ENTRY_NAME=inst-var TYPE=ext4 ' \
            'PART_ENTRY_NAME=inst-tmp TYPE=ext4 ' 'PART_ENTRY_NAME=inst-swap TYPE=swap ')"
        check layout5_etc_partition_is_256M test "$(blockdev --getsize64 "${LOOP}p1")" = $((256 << 20))
        check layout5_var_partition_is_1G test "$(blockdev --getsize64 "${LOOP}p2")" = $((1 << 30))
    fi
else
    fail layout5_has_the_disk_example "no 'truncate -s 2G instance.img' block in sharedroot-layout.5"
fi

# --- sharedroot-mkinitramfs(8)
blk=$(man_block sharedroot-mkinitramfs.8 1)
# shellcheck disable=SC2016  # the man page's literal $(uname -r)
grep -q '^sharedroot-mkinitramfs -o /boot/initrd.img-$(uname -r)$' <<<"$blk" ||
    fail mkinitramfs8_has_the_examples "the first EXAMPLES block changed: $blk"
if [ -d "/lib/modules/$(uname -r)" ]; then
    mkdir -p "$T/mk/boot"
    sed -n '1s|/boot/|'"$T"'/mk/boot/|p' <<<"$blk" | run_block mkinitramfs8_for_the_running_kernel "$T/mk" &&
        check mkinitramfs8_running_kernel_image_written test -s "$T/mk/boot/initrd.img-$(uname -r)"
else
    skip mkinitramfs8_for_the_running_kernel "no /lib/modules/$(uname -r) (a container?)"
fi
sed -n 2p <<<"$blk" | run_block mkinitramfs8_list "$T/mk" &&
    check mkinitramfs8_list_names_the_init grep -q '/init' "$T/mk/mkinitramfs8_list.out"
if sed -n 3p <<<"$blk" | run_block mkinitramfs8_gzip_with_modules "$T/mk"; then
    check mkinitramfs8_image_is_gzip test "$(head -c 2 "$T/mk/initrd.img" | od -An -tx1 | tr -d ' ')" = 1f8b
    zcat "$T/mk/initrd.img" | cpio -t --quiet >"$T/mk/names" 2>/dev/null
    check mkinitramfs8_image_has_dm_mod grep -qE '/dm-mod\.ko' "$T/mk/names"
    check mkinitramfs8_image_has_raid1 grep -qE '/raid1\.ko' "$T/mk/names"
    mv "$T/mk/initrd.img" "$T/mk/initrd-1.img"
    sed -n 3p <<<"$blk" | run_block mkinitramfs8_gzip_again "$T/mk" &&
        check mkinitramfs8_source_date_epoch_image_is_reproducible cmp -s "$T/mk/initrd.img" "$T/mk/initrd-1.img"
fi
blk=$(man_block sharedroot-mkinitramfs.8 2)
grep -q -- '--kernel-cpio-list /srv/guest-kernel/sharedroot.list' <<<"$blk" ||
    fail mkinitramfs8_has_the_cpio_list_example "the second EXAMPLES block changed: $blk"
mkdir -p "$T/guest-kernel"
if grep '^sharedroot-mkinitramfs ' <<<"$blk" | sed "s|/srv/guest-kernel|$T/guest-kernel|g" |
    run_block mkinitramfs8_kernel_cpio_list "$T/mk"; then
    l=$T/guest-kernel/sharedroot.list
    check mkinitramfs8_cpio_list_has_the_init grep -qE '^(file|slink) /init ' "$l"
    # every file the list names is there for the kernel build to take
    check mkinitramfs8_cpio_list_sources_exist bash -c \
        "awk '\$1 == \"file\" { print \$3 }' '$l' | while read -r f; do [ -e \"\$f\" ] || { echo \"missing \$f\"; exit 1; }; done"
    check mkinitramfs8_config_names_the_list grep -qF "CONFIG_INITRAMFS_SOURCE=\"/srv/guest-kernel/sharedroot.list\"" <<<"$blk"
fi

# --- sharedroot-hooks(7): a hook file and its listing
hook=$(man_block sharedroot-hooks.7 1)
cmds=$(man_block sharedroot-hooks.7 2)
path=$(sed -n '1s/^# //p' <<<"$hook")
if [ "$path" = /etc/sharedroot/hooks/instance.d/20-report-optional ]; then
    mkdir -p "$T/hooks/instance.d"
    sed 1d <<<"$hook" >"$T/hooks/instance.d/20-report-optional"
    sed -e "s|/etc/sharedroot/hooks|$T/hooks|g" \
        -e "s|^sharedroot-mkinitramfs --list|sharedroot-mkinitramfs --hooks-dir $T/hooks --kver \"\$KVER\" --list|" <<<"$cmds" |
        run_block hooks7_chmod_and_list "$T/hk" &&
        check hooks7_list_shows_the_hook grep -q '^hook /lib/sharedroot/hooks/instance.d/20-report-optional ' "$T/hk/hooks7_chmod_and_list.out"
    out=$(SHAREDROOT_INSTANCE=/dev/vdb SHAREDROOT_ROOT_DEVICE=/dev/vda SHAREDROOT_MODE=instance \
        "$T/hooks/instance.d/20-report-optional")
    check hooks7_hook_prints_its_line test "$out" = "instance /dev/vdb on root /dev/vda (instance)"
    while read -r v; do
        check "hooks7_${v}_is_documented" grep -q "^\\.B $v\\b\\|^\\.BR $v\\b\\|^$v\\b" "$D/sharedroot-hooks.7"
    done < <(grep -o 'SHAREDROOT_[A-Z_]*' "$T/hooks/instance.d/20-report-optional" | sort -u)
else
    fail hooks7_has_the_example "the EXAMPLE block does not start with # /etc/sharedroot/hooks/instance.d/20-report-optional"
fi

# --- sharedroot-check-base(8): a patched copy, a cloud image as downloaded, two roots
mkdir -p "$T/cb/tree"/{bin,sbin,etc,var,tmp,run,proc,sys,dev}
cp "$(command -v busybox)" "$T/cb/tree/bin/busybox"
ln -s /bin/busybox "$T/cb/tree/sbin/init"
: >"$T/cb/tree/etc/machine-id"
mkfs.ext4 -q -F -L base -d "$T/cb/tree" "$T/cb/base-2024-05.img" 16M >/dev/null 2>&1
blk=$(man_block sharedroot-check-base.8 1)
if grep -q '^sharedroot-check-base base-2024-06.img$' <<<"$blk"; then
    grep -v '^#' <<<"$blk" | run_block checkbase8_patched_copy "$T/cb" &&
        check checkbase8_copy_has_no_findings grep -q '^base-2024-06.img: no findings$' "$T/cb/checkbase8_patched_copy.out"
else
    fail checkbase8_has_the_copy_example "the first EXAMPLES block changed: $blk"
fi
# gpt_disk IMG SIZE-MB SFDISK-LINES...: a GPT disk; each partition named root* gets the tree's ext4
gpt_disk() {
    local img=$1 size=$2 n=0 start; shift 2
    rm -f "$img"; truncate -s "${size}M" "$img"
    printf '%s\n' 'label: gpt' "$@" | sfdisk -q "$img" || return 1
    mkfs.ext4 -q -F -d "$T/cb/tree" "$T/cb/root.img" 16M >/dev/null 2>&1 || return 1
    while read -r start; do
        dd if="$T/cb/root.img" of="$img" bs=512 seek="$start" conv=notrunc status=none || return 1
        n=$((n + 1))
    done < <(sfdisk -J "$img" | python3 -c 'import json, sys
for p in json.load(sys.stdin)["partitiontable"]["partitions"]:
    if p.get("name", "").startswith("root"): print(p["start"])')
    [ "$n" -gt 0 ]
}
root=4f68bce3-e8cd-4db1-96e7-fbcaf984b709
gpt_disk "$T/cb/debian.raw" 40 "start=1M, size=16M, type=$root, name=root" \
    "size=3M, type=21686148-6449-6E6F-744E-656564454649, name=bios" \
    "size=8M, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp" &&
    qemu-img convert -q -f raw -O qcow2 "$T/cb/debian.raw" "$T/cb/debian-12-genericcloud-amd64.qcow2"
gpt_disk "$T/cb/two-roots.img" 40 "start=1M, size=16M, type=$root, name=root-a" \
    "size=16M, type=$root, name=root-b"
blk=$(man_block sharedroot-check-base.8 2)
if grep -q '^sharedroot-check-base debian-12-genericcloud-amd64.qcow2 ' <<<"$blk"; then
    grep -v '^#' <<<"$blk" | run_block checkbase8_cloud_image_and_two_roots "$T/cb" &&
        check checkbase8_cloud_image_checks_partition_1 grep -q '^checked: gpt partition 1: .*name "root"' "$T/cb/checkbase8_cloud_image_and_two_roots.out" &&
        check checkbase8_two_roots_checks_partition_2 grep -q '^checked: gpt partition 2: .*name "root-b"' "$T/cb/checkbase8_cloud_image_and_two_roots.out" &&
        check checkbase8_both_have_no_findings test "$(grep -c ': no findings$' "$T/cb/checkbase8_cloud_image_and_two_roots.out")" = 2
else
    fail checkbase8_has_the_cloud_example "the second EXAMPLES block changed: $blk"
fi

# --- overlay-reconcile(8): preview base v2 against two hosts, settle host1, check it
# /mnt/base-v2/etc is base v2's /etc; each host's store recorded base v1 (as its boots do), then
# host1 changed a line of merge.conf that v2 leaves alone, host2 the line of conflict.conf v2
# changes too
M=$T/rc/mnt
mkdir -p "$M/base-v1/etc" "$M/base-v2/etc" "$M"/host{1,2}/overlay/etc/upper "$M"/host{1,2}/reconcile
seq 1 20 | sed 's/^/line /' >"$M/base-v1/etc/merge.conf"
echo "v1" >"$M/base-v1/etc/conflict.conf"
for h in host1 host2; do
    "$B/reconcile/overlay-reconcile" --record --lower "$M/base-v1/etc" --store "$M/$h/reconcile/etc" >/dev/null
done
sleep 1.1
sed 's/^line 3$/line 3 host1/' "$M/base-v1/etc/merge.conf" >"$M/host1/overlay/etc/upper/merge.conf"
cp "$M/base-v1/etc/conflict.conf" "$M/host1/overlay/etc/upper/conflict.conf"
echo "host2" >"$M/host2/overlay/etc/upper/conflict.conf"
sleep 1.1
sed 's/^line 18$/line 18 v2/' "$M/base-v1/etc/merge.conf" >"$M/base-v2/etc/merge.conf"
echo "v2" >"$M/base-v2/etc/conflict.conf"
# orc_line N BLOCK EXPECTED-STATUSES NAME: line N of the block (/mnt/ in the scratch dir) exits
# with one of the statuses (a regex)
orc_line() {
    local line st
    line=$(sed -n "$1p" <<<"$2" | sed "s|/mnt/|$M/|g")
    (cd "$T/rc" && bash -c "$line") >"$T/rc/$4.out" 2>&1
    st=$?
    if [[ $st =~ ^($3)$ ]]; then pass "$4"; else fail "$4" "exit $st, not $3: $line: $(tail -n 3 "$T/rc/$4.out" | tr '\n' ' ')"; fi
}
blk1=$(man_block overlay-reconcile.8 1)
blk2=$(man_block overlay-reconcile.8 2)
if grep -q -- '^overlay-reconcile --lower /mnt/base-v2/etc --upper /mnt/host1/overlay/etc/upper' <<<"$blk2" &&
    [ "$(grep -c . <<<"$blk1")" = 1 ] && [ "$(grep -c . <<<"$blk2")" = 2 ]; then
    # the preview: host2's conflict needs attention (1); nothing is written
    before=$(cd "$M" && find . -type f -exec sha256sum {} + | sort)
    orc_line 1 "$blk1" 1 reconcile8_preview_of_two_hosts
    check reconcile8_preview_shows_host2_conflict grep -q 'conflict.conf' "$T/rc/reconcile8_preview_of_two_hosts.out"
    check reconcile8_preview_diffs_host1_merge grep -q '^[-+].*line 18 v2' "$T/rc/reconcile8_preview_of_two_hosts.out"
    check reconcile8_preview_writes_nothing test "$(cd "$M" && find . -type f -exec sha256sum {} + | sort)" = "$before"
    # settling host1 (the report of what it found and did: 0 or 1, not an error): its merge.conf
    # has both changes, its unchanged copy of conflict.conf goes
    orc_line 1 "$blk2" '0|1' reconcile8_apply_merge_on_host1
    check reconcile8_host1_merge_conf_has_both_changes bash -c \
        "grep -qx 'line 3 host1' '$M/host1/overlay/etc/upper/merge.conf' && grep -qx 'line 18 v2' '$M/host1/overlay/etc/upper/merge.conf'"
    check reconcile8_host1_copy_dropped test ! -e "$M/host1/overlay/etc/upper/conflict.conf"
    check reconcile8_host2_untouched test "$(cat "$M/host2/overlay/etc/upper/conflict.conf")" = host2
    orc_line 2 "$blk2" 0 reconcile8_nothing_left_on_host1
else
    fail reconcile8_has_the_examples "the EXAMPLES blocks changed: $blk1 / $blk2"
fi

# --- sharedroot-mkbase(8): check-base --fix, the backups removed, check-base, an erofs base
# labelled base, its checksum; line by line (--fix exits 1 when it fixed something)
blk=$(man_block sharedroot-mkbase.8 1)
if ! command -v mkfs.erofs >/dev/null; then
    skip mkbase8_example "mkfs.erofs not installed (erofs-utils)"
elif grep -q '^debootstrap .* /srv/tree ' <<<"$blk" && grep -q '^sharedroot-mkbase .* -o /srv/base.img /srv/tree$' <<<"$blk"; then
    mkdir -p "$T/srv/tree"/{bin,sbin,etc,var,tmp,run,proc,sys,dev}
    cp "$(command -v busybox)" "$T/srv/tree/bin/busybox"
    ln -s /bin/busybox "$T/srv/tree/sbin/init"
    echo "0123456789abcdef0123456789abcdef" >"$T/srv/tree/etc/machine-id"   # what --fix empties
    n=0
    while IFS= read -r line; do
        n=$((n + 1))
        case $line in debootstrap\ *) continue ;; esac
        line=$(sed "s|/srv/|$T/srv/|g; s|cd /srv |cd $T/srv |" <<<"$line")
        (cd "$T/srv" && bash -c "$line") >"$T/srv/line$n.out" 2>&1
        st=$?
        case $line in *"check-base --fix "*) ok='0|1' ;; *) ok=0 ;; esac
        if [[ $st =~ ^($ok)$ ]]; then pass "mkbase8_line_${n}_exits_${ok/|/_or_}"
        else fail "mkbase8_line_${n}_exits_${ok/|/_or_}" "exit $st: $line: $(tail -n 3 "$T/srv/line$n.out" | tr '\n' ' ')"; fi
    done <<<"$blk"
    check mkbase8_fix_emptied_the_machine_id test ! -s "$T/srv/tree/etc/machine-id"
    check mkbase8_image_is_erofs_labelled_base \
        test "$(blkid -p -o export "$T/srv/base.img" | grep -E '^(TYPE|LABEL)=' | sort | tr '\n' ' ')" = "LABEL=base TYPE=erofs "
    check mkbase8_image_has_no_findings bash -c "'$B/checkbase/sharedroot-check-base' '$T/srv/base.img' >/dev/null"
else
    fail mkbase8_has_the_example "the EXAMPLES block changed: $blk"
fi
