#!/bin/bash
# sharedroot-mkbase: ext4 and erofs images from a tree that read back as the tree (mounted
# read-only in a private mount namespace), two builds byte-identical (even after the tree
# was read in between), 4 KiB blocks, a size in 2 MiB steps, label and UUID as asked (or
# derived), the sha256 file, and its refusals: each exits 1 or 2 with a message naming the
# problem and leaves no file behind.
# Usage: mkbase.sh BUILD_DIR
# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
B=${1:?usage: mkbase.sh BUILD_DIR}
M=$B/mkbase/sharedroot-mkbase
need mkbase mkfs.ext4 mkfs.erofs blkid unshare sha256sum
[ -x "$M" ] || { skip mkbase "no $M"; exit 0; }
T=$(mktemp -d /tmp/mkbase-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

# A small OS-like tree: binaries, a symlink, a hard link, a file with a capability-style
# xattr, a setuid file, an empty machine-id (a base prepared for sharing)
tree=$T/tree
mkdir -p "$tree"/{bin,sbin,etc/ssh,usr/lib,var/lib,tmp,root}
cp /bin/true "$tree/bin/true"
ln -s ../bin/true "$tree/sbin/init"
ln -s true "$tree/bin/false-link"
ln "$tree/bin/true" "$tree/bin/true-hard"
head -c 300000 /dev/urandom >"$tree/usr/lib/blob"
printf 'ID=mkbase-test\n' >"$tree/etc/os-release"
: >"$tree/etc/machine-id"
printf 'data\n' >"$tree/var/lib/setuid"
chmod 4755 "$tree/var/lib/setuid"
chown 1000:1000 "$tree/root"
chmod 1777 "$tree/tmp"
# setxattr FILE NAME VALUE (python3: the attr package's setfattr is not a dependency)
setxattr() { python3 -c 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())' "$@" 2>/dev/null; }
setxattr "$tree/etc/os-release" user.note kept

built() { # NAME TYPE IMG [args]: mkbase succeeds
    local n=$1 t=$2 img=$3
    shift 3
    if "$M" --type "$t" -o "$img" "$@" "$tree" >"$T/$n.out" 2>"$T/$n.err"; then pass "$n"; else
        fail "$n" "$(cat "$T/$n.err")"; return 1; fi
}
# same_as_tree IMG TYPE: mounted read-only, the image holds the tree (content, modes, owners,
# links)
same_as_tree() {
    local img=$1 t=$2
    mkdir -p "$T/mnt"
    unshare -m bash -c "mount -o ro,loop -t $t '$img' '$T/mnt' &&
        diff -r --no-dereference -x lost+found '$tree' '$T/mnt' &&
        [ \"\$(stat -c '%a %u:%g' '$T/mnt/var/lib/setuid' '$T/mnt/root' '$T/mnt/tmp')\" = \"\$(stat -c '%a %u:%g' '$tree/var/lib/setuid' '$tree/root' '$tree/tmp')\" ] &&
        [ \"\$(stat -c %i '$T/mnt/bin/true')\" = \"\$(stat -c %i '$T/mnt/bin/true-hard')\" ] &&
        [ \"\$(readlink '$T/mnt/bin/false-link')\" = true ]" >"$T/diff" 2>&1
}

for t in ext4 erofs; do
    a=$T/$t-a.img b=$T/$t-b.img
    built "${t}_builds" "$t" "$a" -L "srt-$t" || continue
    if same_as_tree "$a" "$t"; then pass "${t}_image_holds_the_tree"; else
        fail "${t}_image_holds_the_tree" "$(head -c 2000 "$T/diff")"; fi
    # the second build a second later, after every file of the tree was read
    sleep 1.1
    find "$tree" -type f -exec cat {} + >/dev/null
    built "${t}_builds_again" "$t" "$b" -L "srt-$t"
    if cmp -s "$a" "$b"; then pass "${t}_two_builds_byte_identical"; else
        fail "${t}_two_builds_byte_identical" "$(cmp "$a" "$b" | head -n 3)"; fi
    check "${t}_size_in_2mib_steps" test $(($(stat -c %s "$a") % 2097152)) -eq 0
    check "${t}_block_size_4096" test "$(blkid -p -s BLOCK_SIZE -o value "$a")" = 4096
    check "${t}_label" test "$(blkid -p -s LABEL -o value "$a")" = "srt-$t"
    # the sha256 file is sha256sum's format and matches
    if (cd "$T" && sha256sum -c --quiet "$(basename "$a").sha256") >/dev/null 2>&1; then
        pass "${t}_sha256_file_matches"; else fail "${t}_sha256_file_matches" "$(cat "$a.sha256")"; fi
    check "${t}_output_names_uuid_and_sha" grep -q "UUID=$(blkid -p -s UUID -o value "$a").*sha256 $(cut -d' ' -f1 "$a.sha256")" "$T/${t}_builds.out"
done

# ext4: no journal, no inline data (dax refuses it), clean for e2fsck
if dumpe2fs -h "$T/ext4-a.img" 2>/dev/null | grep -q 'has_journal\|inline_data'; then
    fail ext4_no_journal_no_inline_data "$(dumpe2fs -h "$T/ext4-a.img" 2>/dev/null | grep features)"
else pass ext4_no_journal_no_inline_data; fi
check ext4_fsck_clean e2fsck -fn "$T/ext4-a.img" >/dev/null 2>&1

# erofs: every regular file flat, without its tail packed inline (dax maps only those): the
# blob of 300000 bytes (not whole blocks) has layout 0 (EROFS_INODE_FLAT_PLAIN), not 2
if command -v dump.erofs >/dev/null; then
    check erofs_files_without_inline_data grep -q 'Layout: 0 ' <(dump.erofs --path=/usr/lib/blob "$T/erofs-a.img" 2>&1)
else
    skip erofs_files_without_inline_data "no dump.erofs (erofs-utils)"
fi

# The UUID: derived from the tree (another tree, another UUID), or as given
u1=$(blkid -p -s UUID -o value "$T/ext4-a.img")
echo changed >"$tree/etc/motd"
built ext4_other_tree ext4 "$T/other.img"
u2=$(blkid -p -s UUID -o value "$T/other.img")
check uuid_differs_for_another_tree test "$u1" != "$u2"
rm -f "$tree/etc/motd"
# an xattr is content too: mkfs.ext4 -d copies it (the reconcile engine trusts a derived UUID
# to tell two trees apart, overlay-reconcile(8) FINGERPRINT)
if setxattr "$tree/etc/os-release" user.note other; then
    built ext4_other_xattr ext4 "$T/xattr.img"
    check uuid_differs_for_another_xattr test "$u1" != "$(blkid -p -s UUID -o value "$T/xattr.img")"
    setxattr "$tree/etc/os-release" user.note kept
else skip uuid_differs_for_another_xattr "no user xattrs on $T"; fi
# a derived UUID is sealed (the hash seed says so); a UUID given by hand is not
seed() { dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Directory Hash Seed: *//p'; }
check derived_uuid_sealed_by_hash_seed test "$(seed "$T/ext4-a.img")" != "$u1" -a -n "$(seed "$T/ext4-a.img")"
built ext4_given_uuid ext4 "$T/u.img" -U 5A7E0000-0000-4000-8000-00000000E404 --size 24M
check uuid_as_given test "$(blkid -p -s UUID -o value "$T/u.img")" = 5a7e0000-0000-4000-8000-00000000e404
check given_uuid_not_sealed test "$(seed "$T/u.img")" = 5a7e0000-0000-4000-8000-00000000e404
check size_as_given test "$(stat -c %s "$T/u.img")" = $((24 << 20))
# the write state is sealed with a derived UUID (overlay-reconcile(8) FINGERPRINT: never
# mounted read-write, a write time in January 1970, kilobytes written from the UUID, e2fsck
# finds it clean above); a UUID given by hand leaves mke2fs's (written at the tree's time)
sb() { TZ=UTC dumpe2fs -h "$1" 2>/dev/null | sed -n "s/^$2: *//p"; }
check derived_uuid_write_state_sealed test "$(sb "$T/ext4-a.img" 'Mount count')" = 0 -a \
    "$(sb "$T/ext4-a.img" 'Last mount time')" = n/a -a "$(sb "$T/ext4-a.img" 'Filesystem state')" = clean -a \
    "$(TZ=UTC date -d "$(sb "$T/ext4-a.img" 'Last write time')" +%Y%m)" = 197001
check given_uuid_write_state_not_sealed test "$(TZ=UTC date -d "$(sb "$T/u.img" 'Last write time')" +%Y)" != 1970

# Refusals: status, a message naming the problem, nothing left behind
refused() { # NAME STATUS REGEX ARGS...: mkbase exits STATUS, stderr matches, no image made
    local n=$1 want=$2 re=$3 rc
    shift 3
    rm -f "$T/r.img"
    "$M" "$@" >"$T/r.out" 2>"$T/r.err"; rc=$?
    if [ "$rc" -ne "$want" ]; then fail "$n" "status $rc (want $want): $(cat "$T/r.err")"
    elif ! grep -qE -- "$re" "$T/r.err"; then fail "$n" "message: $(cat "$T/r.err")"
    elif [ -e "$T/r.img" ] || [ -e "$T/r.img.sha256" ] || ls "$T"/.mkbase-* >/dev/null 2>&1; then
        fail "$n" "left a file behind: $(ls -a "$T")"
    else pass "$n"; fi
}
refused refuses_no_type 2 'type ext4 or --type erofs is required' -o "$T/r.img" "$tree"
refused refuses_bad_type 2 '--type xfs: use ext4 or erofs' -t xfs -o "$T/r.img" "$tree"
refused refuses_no_output 2 '-o IMAGE is required' -t ext4 "$tree"
refused refuses_two_dirs 2 'expected one DIR' -t ext4 -o "$T/r.img" "$tree" "$tree"
refused refuses_long_label 2 'label is 1 to 16 bytes' -t ext4 -L seventeen-bytes-x -o "$T/r.img" "$tree"
refused refuses_label_with_space 2 'white space' -t erofs -L 'a b' -o "$T/r.img" "$tree"
refused refuses_bad_uuid 2 'expected 8-4-4-4-12' -t ext4 -U nope -o "$T/r.img" "$tree"
refused refuses_size_for_erofs 2 'size is for ext4' -t erofs --size 64M -o "$T/r.img" "$tree"
refused refuses_tiny_size 2 'from 8M to 16T' -t ext4 --size 1M -o "$T/r.img" "$tree"
refused refuses_bad_timestamp 2 'timestamp -5: seconds' -t ext4 -T -5 -o "$T/r.img" "$tree"
refused refuses_missing_dir 1 "$T/nope: No such file" -t ext4 -o "$T/r.img" "$T/nope"
refused refuses_file_as_dir 1 'is not a directory' -t ext4 -o "$T/r.img" /bin/true
refused refuses_slash 1 'refusing to build a base from /' -t ext4 -o "$T/r.img" /
mkdir -p "$T/empty"
refused refuses_empty_tree 1 'empty.* is empty' -t ext4 -o "$T/r.img" "$T/empty"
: >"$T/exists.img"
refused refuses_existing_output 1 'exists.img exists.*never overwrites' -t ext4 -o "$T/exists.img" "$tree"
check existing_output_untouched test ! -s "$T/exists.img"
refused refuses_output_in_tree 1 'inside the tree' -t erofs -o "$tree/base.img" "$tree"
check nothing_written_in_tree test ! -e "$tree/base.img"
mkdir -p "$T/big"; head -c 12000000 /dev/urandom >"$T/big/file"
refused refuses_too_small 1 "mkfs.ext4 failed.*larger --size" -t ext4 --force --size 8M -o "$T/r.img" "$T/big"
# a mount point inside the tree (a chroot's /proc left mounted): only in a private namespace
mkdir -p "$tree/proc"
if unshare -m bash -c "mount -t tmpfs none '$tree/proc' && '$M' -t ext4 -o '$T/r.img' '$tree'" >"$T/r.out" 2>"$T/r.err"; then
    fail refuses_mount_point_in_tree "built: $(cat "$T/r.out")"
elif grep -q "$tree/proc is a mount point" "$T/r.err" && [ ! -e "$T/r.img" ]; then
    pass refuses_mount_point_in_tree
else fail refuses_mount_point_in_tree "$(cat "$T/r.err")"; fi
rmdir "$tree/proc"
# check-base errors refuse the build; --force builds anyway
echo 0123456789abcdef0123456789abcdef >"$tree/etc/machine-id"
refused refuses_check_base_errors 1 'check-base found [0-9]+ errors? in .*--force' -t erofs -o "$T/r.img" "$tree"
if grep -q 'machine-id' "$T/r.err"; then pass check_base_report_names_the_file; else
    fail check_base_report_names_the_file "$(cat "$T/r.err")"; fi
built force_builds_anyway erofs "$T/forced.img" --force
check help_exits_0 "$M" --help >/dev/null
check version_exits_0 "$M" --version >/dev/null
# --init names the program the checks look for
: >"$tree/etc/machine-id"
refused refuses_missing_init 1 'init: /nonexistent' -t ext4 --init /nonexistent -o "$T/r.img" "$tree"
built init_option_checked ext4 "$T/init.img" --init /bin/true
