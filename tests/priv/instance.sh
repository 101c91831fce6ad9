#!/bin/bash
# shellcheck disable=SC2317  # cleanup (the EXIT trap), has, after_has (through check) run indirectly
# The per-instance layer of sharedroot-init (stages instance, overlay, tmp-swap and the state
# file), as test runs in private mount namespaces against loop devices: volatile mode, first
# use and reuse of instance storage, refusal of foreign/unfit/unformatted disks (checked with
# sha256 of the image: nothing written), a layout file with separate etc, var, tmp and swap
# partitions (GPT, PARTLABEL=), /tmp cleaning with a planted symlink, swap (device, mkswap
# refusal, swap file), /run/sharedroot/state and in-root mode.
# $1 = the build dir (containing init/sharedroot-init). Needs root.
set -u
B=${1:?usage: instance.sh BUILDDIR}
INIT=$(cd "$(dirname "$B/init/sharedroot-init")" 2>/dev/null && pwd)/sharedroot-init

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+: $2}"; }
skip() { echo "SKIP: $1: $2"; }
check() { # name, condition-command...
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

if [ "$(id -u)" -ne 0 ]; then skip instance "needs root"; exit 0; fi
[ -x "$INIT" ] || { fail instance "$INIT not built"; exit 1; }
for t in mkfs.ext4 debugfs sfdisk losetup unshare mkswap swapon swapoff; do
    command -v "$t" >/dev/null || { skip instance "$t not installed"; exit 0; }
done

T=$(mktemp -d /tmp/sharedroot-instance.XXXXXX)
LOOPS=()
cleanup() {
    local l
    for l in "${LOOPS[@]}"; do blockdev --setrw "$l" 2>/dev/null; losetup -d "$l" 2>/dev/null; done
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
attach() { # image [losetup options] -> sets DEV to the loop device, remembers it for cleanup
    DEV=$(losetup --find --show "${@:2}" "$1") || return 1
    LOOPS+=("$DEV")
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

ID=$$
BL=srib$ID   # base label

# --- the base: a small tree with /etc, /var, /tmp; empty machine-id, no host keys
mk_tree() { # dir
    mkdir -p "$1"/{bin,sbin,etc,var/lib/app,tmp,run,proc,sys,dev}
    chmod 1777 "$1/tmp"
    cp /usr/bin/busybox "$1/bin/busybox"
    ln -s /bin/busybox "$1/sbin/init"
    echo base-host >"$1/etc/hostname"
    : >"$1/etc/machine-id"
    echo "from the base" >"$1/etc/base-file"
    echo "base var" >"$1/var/lib/app/data"
}
mk_tree "$T/tree"
mkfs.ext4 -q -F -L "$BL" -d "$T/tree" "$T/base.img" 16M
attach "$T/base.img"; BASE=$DEV

# --- running the init: everything inside a private mount namespace with its own /run.
# run CMDLINE AFTER [init args...]: the init's output in $T/out (status in $RC), AFTER (a
# shell snippet run in the same namespace once the init is done, with the mounts it made) in
# $T/after. Swap is not namespaced: whatever swap the run enabled is switched off again.
cat /proc/swaps >"$T/swaps.before"
RUNS=0
run() {
    echo "$1" >"$T/cmdline"
    local after=$2 t0=$SECONDS; shift 2
    # shellcheck disable=SC2016  # the script's variables come from its environment
    OUT=$T/out AFTER_OUT=$T/after AFTER=$after SWAPS_BEFORE=$T/swaps.before \
        unshare -m --propagation private bash -c '
        mount -t tmpfs tmpfs /run || exit 99
        "$@" >"$OUT" 2>&1; echo $? >"$OUT.rc"
        (eval "$AFTER") >"$AFTER_OUT" 2>&1
        awk "NR > 1 { print \$1 }" /proc/swaps | while read -r s; do
            grep -q "^$s " "$SWAPS_BEFORE" || swapoff "$s" || echo "swapoff $s failed" >&2
        done
    ' - "$INIT" --cmdline "$T/cmdline" --sysroot "$T/sysroot" "$@"
    RC=$(cat "$T/out.rc" 2>/dev/null || echo 99)
    sync
    RUNS=$((RUNS + 1))
    [ -z "${DEBUG:-}" ] || { cp "$T/out" "$T/out.$RUNS"; cp "$T/after" "$T/after.$RUNS" 2>/dev/null
        echo "# run $RUNS $(cat "$T/cmdline"): status $RC, $((SECONDS - t0)) s" >&2; }
}
has() { grep -q -- "$1" "$T/out"; }
after_has() { grep -q -- "$1" "$T/after"; }
mkdir -p "$T/sysroot"
STATE=/run/sharedroot/state
INST=/run/sharedroot/instance

# --- volatile mode
run "root=LABEL=$BL" "cat $STATE; grep ' $T/sysroot/etc overlay ' /proc/mounts; echo 'v' >$T/sysroot/etc/volatile-file && echo written"
check volatile_boots [ "$RC" = 0 ]
check volatile_is_announced has "VOLATILE mode"
check volatile_state_mode after_has 'MODE="volatile"'
check volatile_etc_is_an_overlay_with_a_tmpfs_upper \
    bash -c "grep -q 'upperdir=$INST/overlay/etc/upper' '$T/after' && grep -q 'INSTANCE_0_DEVICE=\"tmpfs\"' '$T/after'"
check volatile_overlay_is_writable after_has '^written$'
run "root=LABEL=$BL" "ls $T/sysroot/etc"
check volatile_nothing_persists bash -c "[ $RC = 0 ] && ! grep -q volatile-file '$T/after'"

# --- instance storage: first use of an empty ext4, then reuse
IL=srii$ID
mkfs.ext4 -q -F -L "$IL" "$T/inst.img" 16M
attach "$T/inst.img"; INSTDEV=$DEV
run "root=LABEL=$BL sharedroot.instance=LABEL=$IL" "
    cat $STATE
    ls -la $INST $INST/overlay/etc $INST/overlay/var
    stat -c 'tmpmode=%a' $INST/tmp
    echo 'through the overlay' >$T/sysroot/etc/persist-me && echo wrote-etc
    echo 'var data' >$T/sysroot/var/lib/app/mine && echo wrote-var
    cat $T/sysroot/etc/base-file"
check instance_first_use_boots [ "$RC" = 0 ]
check instance_first_use_is_announced has "empty filesystem at $INST is now sharedroot instance storage"
# the device exists when the root stage starts: its check runs while the base is mounted, on
# more than one CPU (the init asks sysconf, which counts the online CPUs as nproc --all does
# not; getconf does the same)
NCPU=$(getconf _NPROCESSORS_ONLN)
if [ "$NCPU" -ge 2 ]; then
    check instance_check_starts_in_the_root_stage has "instance: checking $INSTDEV while the base is mounted"
else
    check instance_check_not_early_on_one_cpu bash -c "! grep -q 'instance: checking' '$T/out'"
fi
check instance_first_use_creates_the_marker after_has ' .sharedroot-instance$'
check instance_first_use_creates_upper_and_work \
    bash -c "grep -c -E ' (upper|work)\$' '$T/after' | grep -qx 4"
check instance_first_use_creates_tmp_1777 after_has '^tmpmode=1777$'
check instance_state_mode after_has 'MODE="instance"'
check instance_lower_is_visible after_has '^from the base$'
check instance_overlay_writes after_has '^wrote-etc$'
for k in VERSION MODE IN_ROOT ROOT_SPEC ROOT_DEVICE ROOT_FSTYPE BASE INSTANCE_COUNT INSTANCE_0_SOURCE \
    INSTANCE_0_DEVICE INSTANCE_0_MOUNT OVERLAY_COUNT OVERLAY_0_DIR OVERLAY_0_LOWER OVERLAY_0_UPPER \
    OVERLAY_0_WORK OVERLAY_1_DIR TMP SWAP STAGE_INSTANCE_MS STAGE_OVERLAY_MS STAGE_TMP_SWAP_MS; do
    grep -q "^$k=" "$T/after" || { fail "state_has_key_$k"; STATE_BAD=1; }
done
[ -z "${STATE_BAD:-}" ] && pass state_has_every_key
check state_names_the_instance_device after_has "INSTANCE_0_DEVICE=\"$INSTDEV\""
check state_overlay_0_is_etc bash -c "grep -q '^OVERLAY_0_DIR=\"/etc\"' '$T/after' && grep -q '^OVERLAY_0_UPPER=\"$INST/overlay/etc/upper\"' '$T/after'"
check state_tmp_is_the_instance after_has "TMP=\"instance:$INST/tmp\""
# the file written through the overlay is in the upper dir on the disk itself
check instance_write_lands_in_the_upper \
    bash -c "debugfs -R 'cat /overlay/etc/upper/persist-me' '$T/inst.img' 2>/dev/null | grep -q 'through the overlay'"

run "root=LABEL=$BL sharedroot.instance=LABEL=$IL" "cat $T/sysroot/etc/persist-me $T/sysroot/var/lib/app/mine"
check instance_reuse_boots [ "$RC" = 0 ]
check instance_reuse_is_not_a_first_use bash -c "! grep -q 'is now sharedroot instance storage' '$T/out'"
check instance_reuse_sees_the_etc_file after_has '^through the overlay$'
check instance_reuse_sees_the_var_file after_has '^var data$'

# --- the early check is not started where something could come between it and its use, and
# a failure before the instance stage waits for it and leaves nothing mounted
run "root=LABEL=$BL sharedroot.instance=LABEL=$IL sharedroot.break=root" ""
check early_check_not_with_a_break_after_root bash -c "! grep -q 'instance: checking' '$T/out'"
mkdir -p "$T/hooks/root.d"; printf '#!/bin/sh\nexit 0\n' >"$T/hooks/root.d/10-true"
chmod 0755 "$T/hooks/root.d/10-true"
SHAREDROOT_HOOKS_DIR=$T/hooks run "root=LABEL=$BL sharedroot.instance=LABEL=$IL" "true"
check early_check_not_with_root_hooks bash -c "[ '$RC' = 0 ] && ! grep -q 'instance: checking' '$T/out' && grep -q 'fsck of $INSTDEV (ext4) clean' '$T/out'"
rm -rf "$T/hooks"
# (e2fsck -p of a clean filesystem writes its superblock's write time and counters, as it does
# in the instance stage; the look before it approved the disk, and nothing else is written)
run "root=LABEL=$BL rootflags=sharedroot-bogus sharedroot.instance=LABEL=$IL" "grep ' $INST ' /proc/mounts; pgrep -x e2fsck"
check early_check_then_a_failed_root_stage_fails [ "$RC" = 1 ]
[ "$NCPU" -lt 2 ] || check early_check_ran_before_the_failure has "instance: checking $INSTDEV while the base is mounted"
check early_check_ended_with_the_failed_boot bash -c "! [ -s '$T/after' ]"
check early_check_left_the_disk_clean bash -c "e2fsck -n '$T/inst.img' >/dev/null 2>&1 && debugfs -R 'cat /overlay/etc/upper/persist-me' '$T/inst.img' 2>/dev/null | grep -q 'through the overlay'"

# --- refusals: nothing may be written (sha256 of the whole image)
refused() { # name image cmdline-instance-spec expected-message
    local name=$1 img=$2 spec=$3 msg=$4 before after
    before=$(sha "$img")
    run "root=LABEL=$BL sharedroot.instance=$spec" "grep ' $INST ' /proc/mounts"
    after=$(sha "$img")
    check "${name}_fails" [ "$RC" = 1 ]
    check "${name}_says_why" has "$msg"
    check "${name}_nothing_written" [ "$before" = "$after" ]
    check "${name}_left_unmounted" bash -c "! [ -s '$T/after' ]"
}
FL=srif$ID
mkdir -p "$T/foreign/data"; echo precious >"$T/foreign/data/file"
mkfs.ext4 -q -F -L "$FL" -d "$T/foreign" "$T/foreign.img" 16M
attach "$T/foreign.img"
refused foreign_ext4 "$T/foreign.img" "LABEL=$FL" "has no .sharedroot-instance marker"

# A /tmp device is emptied at every boot: a foreign one must be refused, not wiped.
before=$(sha "$T/foreign.img")
run "root=LABEL=$BL sharedroot.tmp=LABEL=$FL" "true"
check foreign_tmp_device_refused bash -c "[ '$RC' = 1 ] && grep -q 'sharedroot.tmp.*has no .sharedroot-instance marker' '$T/out'"
check foreign_tmp_device_nothing_written [ "$before" = "$(sha "$T/foreign.img")" ]

modprobe vfat 2>/dev/null
if ! command -v mkfs.vfat >/dev/null; then
    skip vfat "mkfs.vfat not installed (dosfstools; tools/install-deps installs it)"
elif ! grep -qw vfat /proc/filesystems; then
    skip vfat "this host's kernel has no vfat driver; the QEMU scenario covers it"
else
    truncate -s 32M "$T/vfat.img"
    mkfs.vfat -n SRIV >/dev/null "$T/vfat.img"
    attach "$T/vfat.img"; VDEV=$DEV
    refused vfat "$T/vfat.img" "$VDEV" "does not support trusted.\* extended attributes"
fi

XFS_WHY=
if ! command -v mkfs.xfs >/dev/null; then
    XFS_WHY="mkfs.xfs not installed (xfsprogs; tools/install-deps installs it)"
else
    truncate -s 320M "$T/xfs.img"
    if ! mkfs.xfs -q -f -m crc=0 -n ftype=0 "$T/xfs.img" >/dev/null 2>&1; then
        XFS_WHY="mkfs.xfs -m crc=0 -n ftype=0 failed (this mkfs.xfs cannot make a filesystem without d_type)"
    else
        attach "$T/xfs.img"; XDEV=$DEV
        mkdir -p "$T/xm"
        if ! unshare -m bash -c "mount -o ro '$XDEV' '$T/xm'" 2>/dev/null; then
            XFS_WHY="this host's kernel cannot mount xfs V4 (crc=0), which ftype=0 needs ($(dmesg 2>/dev/null | grep -m1 -o 'Deprecated V4 format.*' || echo 'mount failed')); the QEMU scenario covers it"
        fi
    fi
fi
if [ -z "$XFS_WHY" ]; then
    refused xfs_ftype0 "$T/xfs.img" "$XDEV" "does not report file types in directories (d_type"
else
    skip xfs_ftype0 "$XFS_WHY"
fi

truncate -s 16M "$T/blank.img"
attach "$T/blank.img"; BLANK=$DEV
refused unformatted "$T/blank.img" "$BLANK" "holds no filesystem"

# a corrupted filesystem that e2fsck -p cannot repair: refused before a read-write mount
mkfs.ext4 -q -F -L "srik$ID" "$T/corrupt.img" 16M
debugfs -w -R "set_bg 0 block_bitmap 99999" "$T/corrupt.img" >/dev/null 2>&1
debugfs -w -R "set_bg 0 checksum calc" "$T/corrupt.img" >/dev/null 2>&1
cp "$T/corrupt.img" "$T/corrupt-probe.img"
e2fsck -p "$T/corrupt-probe.img" >/dev/null 2>&1; FRC=$?; rm -f "$T/corrupt-probe.img"
if [ "$FRC" -ge 4 ]; then
    attach "$T/corrupt.img"; CDEV=$DEV
    cp "$T/corrupt.img" "$T/corrupt.before"
    run "root=LABEL=$BL sharedroot.instance=$CDEV" "grep ' $INST ' /proc/mounts"
    check corrupted_fails [ "$RC" = 1 ]
    check corrupted_names_fsck_and_the_device grep -qE "(e2fsck|fsck.ext4) -p $CDEV exited with status [4-9]" "$T/out"
    check corrupted_not_mounted bash -c "! [ -s '$T/after' ]"
    # e2fsck -p itself marks the superblock "with errors" (s_state and its checksum, in the
    # primary superblock at 1024..2047); nothing else may change
    check corrupted_nothing_written_but_fscks_error_flag cmp -s -i 2048 "$T/corrupt.before" "$T/corrupt.img"
else
    skip corrupted "could not make an ext4 that e2fsck -p refuses (status $FRC)"
fi

# --- /tmp on instance storage: cleaned at boot; a planted symlink is removed, not followed
mkdir -p "$T/outside"; echo keep >"$T/outside/target"
mkdir -p "$T/im"
unshare -m bash -c "
    mount '$INSTDEV' '$T/im' &&
    echo junk >'$T/im/tmp/junk' && mkdir -p '$T/im/tmp/d/e' && echo x >'$T/im/tmp/d/e/f' &&
    ln -s '$T/outside/target' '$T/im/tmp/link-file' && ln -s '$T/outside' '$T/im/tmp/link-dir' &&
    ln -s ../overlay/var/upper/lib/app/mine '$T/im/tmp/link-var' && umount '$T/im'"
run "root=LABEL=$BL sharedroot.instance=LABEL=$IL" "ls -A $T/sysroot/tmp; echo END; stat -c 'mode=%a' $T/sysroot/tmp; cat $T/sysroot/var/lib/app/mine"
check tmp_is_cleaned bash -c "[ $RC = 0 ] && [ \"\$(sed -n '1p' '$T/after')\" = END ]"
check tmp_mode_1777 after_has '^mode=1777$'
check tmp_symlink_target_intact bash -c "[ \"\$(cat '$T/outside/target')\" = keep ] && [ -d '$T/outside' ]"
check tmp_symlink_into_var_not_followed after_has '^var data$'

# --- swap
cp "$T/foreign.img" "$T/swap-ext4.img"
attach "$T/swap-ext4.img"; SEXT=$DEV
before=$(sha "$T/swap-ext4.img")
run "root=LABEL=$BL sharedroot.instance=LABEL=$IL sharedroot.swap=$SEXT sharedroot.mkswap" "cat /proc/swaps; cat $STATE"
check swap_over_ext4_boots_anyway [ "$RC" = 0 ]
check swap_over_ext4_refused has "swap: refusing $SEXT"
check swap_over_ext4_names_the_signature has "ext4 filesystem"
check swap_over_ext4_nothing_written [ "$before" = "$(sha "$T/swap-ext4.img")" ]
check swap_over_ext4_not_active bash -c "! grep -q '^$SEXT ' '$T/after'"

truncate -s 16M "$T/swap-blank.img"
attach "$T/swap-blank.img"; SBLANK=$DEV
run "root=LABEL=$BL sharedroot.instance=LABEL=$IL sharedroot.swap=$SBLANK" ""
check swap_blank_without_mkswap_not_written bash -c "[ $RC = 0 ] && grep -q 'add sharedroot.mkswap' '$T/out' && ! blkid -p '$T/swap-blank.img' >/dev/null"
run "root=LABEL=$BL sharedroot.instance=LABEL=$IL sharedroot.swap=$SBLANK sharedroot.mkswap" "cat /proc/swaps; cat $STATE"
check swap_blank_with_mkswap_active bash -c "[ $RC = 0 ] && grep -q '^$SBLANK ' '$T/after'"
check swap_state_names_it after_has "SWAP=\"$SBLANK\""
check swap_signature_written [ "$(blkid -p -s TYPE -o value "$T/swap-blank.img")" = swap ]

run "root=LABEL=$BL sharedroot.instance=LABEL=$IL sharedroot.swap=file:1M sharedroot.mkswap" \
    "cat /proc/swaps; stat -c 'swapfile=%a %s' $INST/swapfile"
check swapfile_created_0600 bash -c "[ $RC = 0 ] && grep -q '^swapfile=600 1048576$' '$T/after'"
check swapfile_active after_has "^$INST/swapfile "
run "root=LABEL=$BL sharedroot.instance=LABEL=$IL sharedroot.swap=file:1M" "cat /proc/swaps"
check swapfile_reused_without_mkswap bash -c "[ $RC = 0 ] && grep -q '^$INST/swapfile ' '$T/after'"
run "root=LABEL=$BL sharedroot.swap=file:1M sharedroot.mkswap" "cat /proc/swaps"
check swapfile_needs_instance_storage bash -c "[ $RC = 0 ] && grep -q 'needs instance storage' '$T/out'"

# --- a layout file: separate etc, var, tmp and swap partitions on one GPT disk
truncate -s 80M "$T/disk.img"
sfdisk -q "$T/disk.img" >/dev/null <<EOF
label: gpt
size=20M, name=sre$ID
size=20M, name=srv$ID
size=20M, name=srt$ID
name=srw$ID
EOF
attach "$T/disk.img" -P; DISK=$DEV
# losetup -P does not always scan the table at once here: ask again
[ -b "${DISK}p1" ] || partx -a "$DISK" 2>/dev/null
for i in 1 2 3 4; do for _ in $(seq 50); do [ -b "${DISK}p$i" ] && break; sleep 0.1; done; done
mkfs.ext4 -q -F "${DISK}p1"; mkfs.ext4 -q -F "${DISK}p2"; mkfs.ext4 -q -F "${DISK}p3"
LAYOUT_TEXT="# separate partitions for etc, var, tmp and swap
LABEL=$BL                 /                     ext4    ro                 0 0
PARTLABEL=sre$ID          /run/sharedroot/etc   ext4    defaults,noatime   0 2
PARTLABEL=srw$ID          none                  swap    sw                 0 0
PARTLABEL=srt$ID          /tmp                  ext4    defaults           0 2
PARTLABEL=srv$ID          /run/sharedroot/var   auto    defaults           0 2
overlay /etc overlay upperdir=/run/sharedroot/etc/upper,workdir=/run/sharedroot/etc/work 0 0
overlay /var overlay upperdir=/run/sharedroot/var/upper,workdir=/run/sharedroot/var/work 0 0"
echo "$LAYOUT_TEXT" >"$T/layout.fstab"
# the same layout inside a second base image at the default place
mk_tree "$T/tree2"; mkdir -p "$T/tree2/etc/sharedroot"
# shellcheck disable=SC2001  # sed: the first match of each line
echo "$LAYOUT_TEXT" | sed "s/LABEL=$BL /LABEL=${BL}l/" >"$T/tree2/etc/sharedroot/layout.fstab"
echo "$LAYOUT_TEXT" >"$T/tree2/etc/sharedroot/other.fstab"
mkfs.ext4 -q -F -L "${BL}l" -d "$T/tree2" "$T/base2.img" 16M
attach "$T/base2.img"
LAYOUT_AFTER="cat $STATE; cat /proc/swaps; grep -E ' ($T/sysroot/(etc|var|tmp)|/run/sharedroot/(etc|var)) ' /proc/mounts
    echo e >$T/sysroot/etc/layout-etc; echo v >$T/sysroot/var/layout-var; echo t >$T/sysroot/tmp/layout-tmp
    ls /run/sharedroot/etc/upper /run/sharedroot/var/upper"

run "root=LABEL=$BL sharedroot.layout=$T/layout.fstab sharedroot.mkswap" "$LAYOUT_AFTER"
check layout_from_cmdline_boots [ "$RC" = 0 ]
check layout_state_mode bash -c "grep -q 'MODE=\"layout\"' '$T/after' && grep -q 'LAYOUT=\"initramfs:$T/layout.fstab\"' '$T/after'"
check layout_etc_partition_mounted after_has "^${DISK}p1 /run/sharedroot/etc ext4"
check layout_var_partition_mounted after_has "^${DISK}p2 /run/sharedroot/var ext4"
check layout_tmp_partition_mounted after_has "^${DISK}p3 $T/sysroot/tmp ext4"
check layout_swap_partition_active after_has "^${DISK}p4 "
check layout_etc_upper_on_its_partition bash -c "grep -q ' $T/sysroot/etc overlay .*upperdir=/run/sharedroot/etc/upper' '$T/after' && grep -qx layout-etc '$T/after'"
check layout_var_upper_on_its_partition bash -c "grep -q ' $T/sysroot/var overlay .*upperdir=/run/sharedroot/var/upper' '$T/after' && grep -qx layout-var '$T/after'"
check layout_state_lists_three_partitions after_has 'INSTANCE_COUNT="2"'
run "root=LABEL=$BL sharedroot.layout=$T/layout.fstab" "ls -A $T/sysroot/tmp; echo END; ls /run/sharedroot/etc/upper"
check layout_tmp_partition_cleaned_at_boot bash -c "[ $RC = 0 ] && [ \"\$(sed -n '1p' '$T/after')\" = END ]"
check layout_etc_persists after_has '^layout-etc$'

run "root=LABEL=${BL}l" "cat $STATE; cat /proc/swaps"
check layout_default_path_in_base_boots bash -c "[ $RC = 0 ] && grep -q 'LAYOUT=\"/run/sharedroot/base/etc/sharedroot/layout.fstab\"' '$T/after'"
check layout_default_path_swap_active after_has "^${DISK}p4 "
run "root=LABEL=${BL}l sharedroot.layout=/etc/sharedroot/other.fstab" "cat $STATE"
check layout_cmdline_path_found_in_base bash -c "[ $RC = 0 ] && grep -q 'LAYOUT=\".*/etc/sharedroot/other.fstab\"' '$T/after'"
run "root=LABEL=$BL sharedroot.layout=/nonexistent.fstab" ""
check layout_missing_file_is_a_clear_error bash -c "[ $RC = 1 ] && grep -q 'sharedroot.layout=/nonexistent.fstab: not found' '$T/out'"

# One partition named on two lines: the paths of the two upper dirs differ, but they are one
# directory (overlayfs with index=off lets two overlays share it: a file written in /var
# appeared in /etc). The overlay stage compares the directories themselves.
cat >"$T/shared.fstab" <<EOF
LABEL=$BL                 /                     ext4    ro                 0 0
PARTLABEL=sre$ID          /run/sharedroot/etc   ext4    defaults           0 0
PARTLABEL=sre$ID          /run/sharedroot/var   ext4    defaults           0 0
overlay /etc overlay upperdir=/run/sharedroot/etc/upper,workdir=/run/sharedroot/etc/work 0 0
overlay /var overlay upperdir=/run/sharedroot/var/upper,workdir=/run/sharedroot/var/work 0 0
EOF
run "root=LABEL=$BL sharedroot.layout=$T/shared.fstab" "grep -c ' $T/sysroot/[a-z]* overlay ' /proc/mounts"
check layout_one_partition_twice_is_refused bash -c "[ $RC = 1 ] && grep -q 'are the same directory' '$T/out'"
check layout_one_partition_twice_mounts_no_overlay after_has '^0$'

# --- in-root mode: the root is already mounted read-only; overlays go directly on it
mkdir -p "$T/inroot"
echo "sharedroot.instance=LABEL=$IL" >"$T/cmdline"
OUT=$T/out unshare -m --propagation private bash -c "
    mount -t tmpfs tmpfs /run || exit 99
    mount -o ro,noload '$BASE' '$T/inroot' || exit 98
    '$INIT' --cmdline '$T/cmdline' --sysroot '$T/inroot' --in-root >'$T/out' 2>&1; echo \$? >'$T/out.rc'
    (cat $STATE; grep -E ' $T/inroot(/etc|/var|/tmp)? ' /proc/mounts; cat $T/inroot/etc/persist-me) >'$T/after' 2>&1"
RC=$(cat "$T/out.rc" 2>/dev/null || echo 99)
check inroot_boots [ "$RC" = 0 ]
check inroot_state bash -c "grep -q 'IN_ROOT=\"1\"' '$T/after' && grep -q 'MODE=\"instance\"' '$T/after'"
check inroot_overlays_on_the_root bash -c "grep -q ' $T/inroot/etc overlay ' '$T/after' && grep -q ' $T/inroot/var overlay ' '$T/after'"
check inroot_sees_the_instance after_has '^through the overlay$'
check inroot_root_stays_ro after_has " $T/inroot ext4 ro"

exit 0
