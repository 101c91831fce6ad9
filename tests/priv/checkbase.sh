#!/bin/bash
# Privileged tests of sharedroot-check-base: the command line, --fix on a directory, and
# images, ext4 and erofs (mounted through a read-only loop device in a private mount namespace): findings
# inside an image, filesystem findings from the superblock, an image byte-identical after a
# check even with a dirty journal, truncated and corrupt images refused with a clear error.
# $1 = the build dir (containing checkbase/). Needs root and loop devices for the images.
set -u
B=${1:?usage: checkbase.sh BUILDDIR}
S=$B/checkbase/sharedroot-check-base

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ ! -x "$S" ]; then
    fail checkbase "$S not built"
    exit 1
fi
T=$(mktemp -d /tmp/sharedroot-checkbase.XXXXXX)
trap 'rm -rf "$T"' EXIT

# run ARGS...: sets OUT (stdout), ERR (stderr), RC.
run() {
    OUT=$("$S" "$@" 2>"$T/err")
    RC=$?
    ERR=$(cat "$T/err")
}
expect_rc() { # NAME RC
    if [ "$RC" -eq "$2" ]; then pass "$1"; else fail "$1" "exit $RC, expected $2: $OUT $ERR"; fi
}
expect_out() { # NAME PATTERN (grep -E on stdout)
    if echo "$OUT" | grep -qE -- "$2"; then pass "$1"; else fail "$1" "no '$2' in: $OUT $ERR"; fi
}
expect_err() { # NAME PATTERN (grep -E on stderr)
    if echo "$ERR" | grep -qE -- "$2"; then pass "$1"; else fail "$1" "no '$2' in: $ERR"; fi
}
json_ok() { # NAME: stdout is valid JSON
    if ! command -v python3 >/dev/null; then skip "$1" "no python3 to validate JSON"; return; fi
    if echo "$OUT" | python3 -m json.tool >/dev/null 2>&1; then pass "$1"; else
        fail "$1" "invalid JSON: $OUT"; fi
}

# clean_tree DIR: a base with nothing to report.
clean_tree() {
    mkdir -p "$1/etc" "$1/var/lib/dbus" "$1/sbin"
    : >"$1/etc/machine-id"
    ln -sf /etc/machine-id "$1/var/lib/dbus/machine-id"
    printf '#!/bin/sh\n' >"$1/sbin/init"
    chmod 755 "$1/sbin/init"
    echo 'LABEL=base / ext4 ro 0 1' >"$1/etc/fstab"
}
# dirty_tree DIR: a base straight from a build host.
dirty_tree() {
    clean_tree "$1"
    echo 0123456789abcdef0123456789abcdef >"$1/etc/machine-id"
    rm "$1/var/lib/dbus/machine-id"
    cp "$1/etc/machine-id" "$1/var/lib/dbus/machine-id"
    mkdir -p "$1/etc/ssh" "$1/var/lib/systemd"
    echo secret >"$1/etc/ssh/ssh_host_ed25519_key"
    echo public >"$1/etc/ssh/ssh_host_ed25519_key.pub"
    echo buildhost >"$1/etc/hostname"
    echo 'nameserver 192.0.2.53' >"$1/etc/resolv.conf"
    echo seed >"$1/var/lib/systemd/random-seed"
    printf '/dev/vda1 / ext4 errors=remount-ro 0 1\n/dev/vda2 none swap sw 0 0\n' >"$1/etc/fstab"
}

# --- command line ---
run --help
expect_rc help_exits_0 0
run
expect_rc no_target_exits_2 2
run --bogus "$T"
expect_rc unknown_option_exits_2 2
run "$T/missing"
expect_rc missing_target_exits_2 2
expect_err missing_target_named "$T/missing"
run --init relative "$T"
expect_rc relative_init_refused 2

# --- directories ---
clean_tree "$T/clean"
run "$T/clean"
expect_rc clean_dir_exits_0 0
expect_out clean_dir_says_no_findings "no findings"
run --json "$T/clean"
json_ok clean_dir_json_valid
expect_out clean_dir_json_empty '"findings":\[\]'

dirty_tree "$T/dirty"
run "$T/dirty"
expect_rc dirty_dir_exits_1 1
for f in machine-id dbus-machine-id ssh-host-key hostname resolv-conf random-seed fstab-root-rw \
    fstab-swap fstab-device-name; do
    expect_out "dirty_dir_reports_$f" "^(error|warning): $f: "
done
run --json "$T/dirty"
json_ok dirty_dir_json_valid
expect_out dirty_dir_json_counts '"errors":[0-9]+,"warnings":[0-9]+\}'

cp -a "$T/dirty" "$T/fixme"
run --fix "$T/fixme"
expect_rc fix_leaves_unsafe_findings_exit_1 1
expect_out fix_says_what_it_did '^fixed: machine-id: /etc/machine-id: emptied'
for f in machine-id dbus-machine-id ssh-host-key hostname random-seed; do
    if echo "$OUT" | grep -qE "^(error|warning): $f: "; then fail "fix_fixes_$f" "$OUT"; else
        pass "fix_fixes_$f"; fi
done
for f in resolv-conf fstab-root-rw fstab-swap backup-left; do
    expect_out "fix_leaves_reported_$f" "^(error|warning): $f: "
done
if [ ! -s "$T/fixme/etc/machine-id" ] && [ "$(readlink "$T/fixme/var/lib/dbus/machine-id")" = /etc/machine-id ] &&
    [ ! -e "$T/fixme/etc/ssh/ssh_host_ed25519_key" ] &&
    [ "$(cat "$T/fixme/var/backups/sharedroot-check-base/etc/ssh/ssh_host_ed25519_key")" = secret ] &&
    grep -q 0123456789abcdef "$T/fixme/var/backups/sharedroot-check-base/etc/machine-id"; then
    pass fix_changes_files_and_keeps_backups
else fail fix_changes_files_and_keeps_backups "$(cd "$T/fixme" && find . -ls)"; fi
if diff -r "$T/dirty/etc/fstab" "$T/fixme/etc/fstab" >/dev/null &&
    diff "$T/dirty/etc/resolv.conf" "$T/fixme/etc/resolv.conf" >/dev/null; then
    pass fix_leaves_unsafe_ones_alone
else fail fix_leaves_unsafe_ones_alone; fi

# --- images ---
if [ "$(id -u)" -ne 0 ]; then
    skip checkbase_images "needs root (loop devices, mount namespaces)"
    exit 0
fi
if ! command -v mkfs.ext4 >/dev/null || ! command -v debugfs >/dev/null; then
    skip checkbase_images "needs e2fsprogs"
    exit 0
fi
# mkimg NAME TREE: a 16 MiB ext4 image of TREE.
mkimg() {
    truncate -s 16M "$T/$1"
    mkfs.ext4 -q -F -d "$2" "$T/$1"
}
loops_of() { losetup -j "$1" 2>/dev/null | wc -l; }

mkimg clean.img "$T/clean" || { fail checkbase_images "mkfs.ext4 -d"; exit 1; }
run "$T/clean.img"
if [ "$RC" -eq 2 ] && echo "$ERR" | grep -qiE "loop|namespace"; then
    skip checkbase_images "cannot mount images here: $ERR"
    exit 0
fi
expect_rc clean_image_exits_0 0
if [ "$(loops_of "$T/clean.img")" -eq 0 ]; then pass image_loop_device_released; else
    fail image_loop_device_released "$(losetup -j "$T/clean.img")"; fi
if grep -q sharedroot-check-base /proc/self/mountinfo; then
    fail image_mount_stays_private "$(grep sharedroot-check-base /proc/self/mountinfo)"
else pass image_mount_stays_private; fi

mkimg dirty.img "$T/dirty"
before=$(sha256sum <"$T/dirty.img")
run --json "$T/dirty.img"
expect_rc dirty_image_exits_1 1
json_ok dirty_image_json_valid
expect_out dirty_image_reports_machine_id '"id":"machine-id","severity":"error","path":"/etc/machine-id"'
expect_out dirty_image_reports_fstab '"id":"fstab-root-rw"'
expect_out dirty_image_kind '"kind":"image","fstype":"ext4"'
run --fix "$T/dirty.img"
expect_rc fix_refuses_images 2
expect_err fix_refusal_explains "--fix changes directories only, and .*dirty.img is an image"
if [ "$(sha256sum <"$T/dirty.img")" = "$before" ]; then pass image_unchanged_by_check_and_fix_refusal
else fail image_unchanged_by_check_and_fix_refusal; fi

# erofs images (issue 14: the read-only base format): the same findings as the tree, the clean
# one clean, the image byte-identical, --fix refused
if command -v mkfs.erofs >/dev/null; then
    if ! mkfs.erofs --quiet "$T/dirty.erofs" "$T/dirty" >/dev/null 2>&1 ||
        ! mkfs.erofs --quiet "$T/clean.erofs" "$T/clean" >/dev/null 2>&1; then
        fail erofs_images "mkfs.erofs failed"
    fi
    run "$T/clean.erofs"
    expect_rc erofs_clean_image_exits_0 0
    before=$(sha256sum <"$T/dirty.erofs")
    run --json "$T/dirty.erofs"
    expect_rc erofs_dirty_image_exits_1 1
    json_ok erofs_dirty_image_json_valid
    expect_out erofs_dirty_image_kind '"kind":"image","fstype":"erofs"'
    expect_out erofs_dirty_image_reports_machine_id '"id":"machine-id","severity":"error","path":"/etc/machine-id"'
    expect_out erofs_dirty_image_reports_fstab '"id":"fstab-root-rw"'
    run --fix "$T/dirty.erofs"
    expect_rc erofs_fix_refused 2
    if [ "$(sha256sum <"$T/dirty.erofs")" = "$before" ] && [ "$(loops_of "$T/dirty.erofs")" -eq 0 ]; then
        pass erofs_image_unchanged_and_released
    else fail erofs_image_unchanged_and_released "$(losetup -j "$T/dirty.erofs")"; fi
else
    skip erofs_images "mkfs.erofs (erofs-utils) not installed"
fi

# A dirty journal (transactions waiting for replay) and an orphan list: a plain ro mount
# would replay both; the check must report them and leave every byte as it was.
cp "$T/clean.img" "$T/journal.img"
ino=$(debugfs -R "stat /sbin/init" "$T/journal.img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
head -c 1024 /dev/urandom >"$T/block"
printf 'jo\njw -b 300,301 %s\njc\nset_super_value last_orphan %s\n' "$T/block" "${ino:-12}" >"$T/cmds"
debugfs -w -f "$T/cmds" "$T/journal.img" >/dev/null 2>&1
if dumpe2fs -h "$T/journal.img" 2>/dev/null | grep -q needs_recovery; then
    before=$(sha256sum <"$T/journal.img")
    run "$T/journal.img"
    expect_rc dirty_journal_exits_1 1
    expect_out dirty_journal_reported "^error: fs-needs-recovery: "
    expect_out orphans_reported "^warning: fs-orphans: .*"
    if [ "$(sha256sum <"$T/journal.img")" = "$before" ]; then pass dirty_journal_image_byte_identical
    else fail dirty_journal_image_byte_identical "the check wrote to the image"; fi
else
    skip dirty_journal_image_byte_identical "debugfs could not make a dirty journal"
fi

# The image as a block device (read-only loop set up by the admin).
if L=$(losetup --find --show --read-only "$T/dirty.img" 2>/dev/null); then
    run "$L"
    losetup -d "$L"
    expect_rc block_device_target_checked 1
else
    skip block_device_target_checked "no free loop device"
fi

# A feature the guest kernel cannot mount (dirdata), straight in the superblock.
cp "$T/clean.img" "$T/feature.img"
off=$((1024 + 0x61)) # second byte of s_feature_incompat; dirdata is 0x1000
byte=$(od -An -tu1 -j "$off" -N1 "$T/feature.img" | tr -d ' ')
# shellcheck disable=SC2059  # the format is the escape that makes the byte
printf "\\x$(printf %02x $((byte | 0x10)))" | dd of="$T/feature.img" bs=1 seek="$off" conv=notrunc status=none
run "$T/feature.img"
expect_rc unmountable_feature_exits_2 2
expect_out unmountable_feature_reported "^error: fs-incompat-feature: .*"
expect_out unmountable_feature_named "dirdata"
expect_out unmountable_feature_notes_mount "only the superblock was checked"

# Truncated, corrupt and foreign images: exit 2 with a message naming the image.
head -c 8M "$T/clean.img" >"$T/truncated.img"
run "$T/truncated.img"
expect_rc truncated_image_exits_2 2
expect_err truncated_image_explained "truncated.img is truncated"
head -c 1500 "$T/clean.img" >"$T/stub.img"
run "$T/stub.img"
expect_rc stub_image_exits_2 2
expect_err stub_image_explained "stub.img: no filesystem found"
cp "$T/clean.img" "$T/corrupt.img"
dd if=/dev/zero of="$T/corrupt.img" bs=1024 seek=2 count=6 conv=notrunc status=none
run "$T/corrupt.img"
expect_rc corrupt_image_exits_2 2
expect_err corrupt_image_explained "Cannot mount .*corrupt.img"
head -c 4M /dev/urandom >"$T/noise.img"
run "$T/noise.img"
expect_rc random_bytes_exit_2 2
for img in truncated corrupt noise; do
    if [ "$(loops_of "$T/$img.img")" -ne 0 ]; then fail "no_loop_left_by_$img" "$(losetup -j "$T/$img.img")"
    else pass "no_loop_left_by_$img"; fi
done

# xfs has no superblock flag for a log that needs replay: xfs_logprint tells. A dirty log
# (a filesystem shut down with changes in flight) is reported, a clean one is not, and the
# image is byte-identical after the check.
if ! command -v mkfs.xfs >/dev/null || ! command -v xfs_io >/dev/null; then
    skip xfs_dirty_log_reported "no xfsprogs"
elif truncate -s 300M "$T/xfs.img" && mkfs.xfs -q "$T/xfs.img" && mkdir -p "$T/xm" &&
    L=$(losetup --find --show "$T/xfs.img") && unshare -m --propagation private bash -c "
        mount '$L' '$T/xm' && echo change >'$T/xm/f' &&
        xfs_io -x -c 'shutdown -f' '$T/xm' && umount '$T/xm'" 2>/dev/null; then
    losetup -d "$L"
    before=$(sha256sum <"$T/xfs.img")
    run "$T/xfs.img"
    expect_out xfs_dirty_log_reported "^error: fs-needs-recovery: "
    expect_out xfs_dirty_log_explained "found: the xfs log is dirty"
    if [ "$(sha256sum <"$T/xfs.img")" = "$before" ]; then pass xfs_dirty_image_byte_identical
    else fail xfs_dirty_image_byte_identical "the check changed the image"; fi
    truncate -s 300M "$T/xfs2.img" && mkfs.xfs -q "$T/xfs2.img"
    run "$T/xfs2.img"
    if echo "$OUT" | grep -q "fs-needs-recovery"; then fail xfs_clean_log_not_reported "$OUT"
    else pass xfs_clean_log_not_reported; fi
else
    [ -n "${L:-}" ] && losetup -d "$L"
    skip xfs_dirty_log_reported "this host cannot mount xfs to make a dirty log"
fi
