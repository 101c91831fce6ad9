#!/bin/bash
# shellcheck disable=SC2317  # cleanup (the EXIT trap) and helpers run through check
# sharedroot-instance (instance/): every command and every refusal, against real images,
# loop devices and sharedroot-init test runs in private mount namespaces. An image made by
# create must be what the init's first boot makes of an empty disk (same dirs, modes and
# owners) and must not be claimed again; files given to create are seen through the overlay
# with their exact owners and modes; refusals leave the image byte-identical and no file
# behind.
# $1 = the build dir (containing instance/sharedroot-instance). Needs root.
set -u
B=${1:?usage: instance-tool.sh BUILDDIR}
B=$(cd "$B" && pwd)
SI=$B/instance/sharedroot-instance
INIT=$B/init/sharedroot-init

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need instance-tool mkfs.ext4 debugfs losetup unshare setpriv
# a leak inside libmount when another process takes the loop device it picked (see the file)
LSAN_OPTIONS=suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lsan-libmount.supp
export LSAN_OPTIONS
[ -x "$SI" ] || { fail instance-tool "$SI not built"; exit 1; }

T=$(mktemp -d /tmp/sharedroot-instance-tool.XXXXXX)
chmod 1777 "$T"
# the unprivileged runs: the build tree may sit below a directory that only root may enter
# (a clone in /root or in a mktemp -d dir); then nobody runs a copy of the program from $T
SI_NOBODY=$SI
if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$SI"; then
    SI_NOBODY=$T/si-nobody
    install -m 0755 "$SI" "$SI_NOBODY"
fi
cleanup() {
    loop_detach_all
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
attach() { loop_attach "$1" && DEV=$LOOP; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
export -f sha
# no temporary image left next to NAME (exported: checks run in bash -c)
no_leftovers() {
    local f
    for f in "$(dirname "$1")/.$(basename "$1")."*; do [ -e "$f" ] && return 1; done
    return 0
}
export -f no_leftovers

# --- a base: busybox, /etc with a file, /var
BL=srit$$
mkdir -p "$T"/tree/{bin,sbin,etc/ssh,var/lib/app,tmp,run,proc,sys,dev} "$T/sysroot"
cp /usr/bin/busybox "$T/tree/bin/busybox"
ln -s /bin/busybox "$T/tree/sbin/init"
echo "from the base" >"$T/tree/etc/base-file"
: >"$T/tree/etc/machine-id"
mkfs.ext4 -q -F -L "$BL" -d "$T/tree" "$T/base.img" 16M 2>/dev/null
attach "$T/base.img" || { skip instance-tool "no loop device"; exit 0; }

# run CMDLINE [AFTER]: a full test run of the init in a private namespace with its own /run;
# AFTER runs there with the init's mounts in place (output in $T/after).
INST=/run/sharedroot/instance
run() {
    echo "$1" >"$T/cmdline"
    # shellcheck disable=SC2016  # the script's variables come from its environment
    AFTER=${2:-true} OUT=$T/out AOUT=$T/after unshare -m --propagation private bash -c '
        mount -t tmpfs tmpfs /run || exit 99
        "$@" >"$OUT" 2>&1; echo $? >"$OUT.rc"
        (eval "$AFTER") >"$AOUT" 2>&1' - \
        "$INIT" --cmdline "$T/cmdline" --sysroot "$T/sysroot"
    RC=$(cat "$T/out.rc")
}
has() { grep -q -- "$1" "$T/out"; }
after_has() { grep -q -- "$1" "$T/after"; }
LISTING="cd $INST && find . -maxdepth 3 -not -path './lost+found*' -not -path './reconcile/*/*' -printf '%p %M %U %G\n' | sort"

# === create ===
# the reference: what the init's first boot makes of an empty ext4
mkfs.ext4 -q -F "$T/empty.img" 64M
attach "$T/empty.img"
run "root=LABEL=$BL sharedroot.instance=$DEV" "$LISTING"
check reference_first_boot_claims [ "$RC" = 0 ]
cp "$T/after" "$T/listing.init"

printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyOfTheTest test@host\n' >"$T/keys"
echo "app setting" >"$T/app.conf"
chmod 644 "$T/keys" "$T/app.conf"
# made without root: staged as nobody, owners set in the image afterwards
setpriv --reuid=65534 --regid=65534 --clear-groups env TMPDIR="$T" \
    "$SI_NOBODY" create "$T/a.img" --size 64M --label srit-a --hostname alpha \
    --authorized-keys "$T/keys" --file "$T/app.conf:/etc/app/app.conf:0640:0:4" \
    --file "$T/app.conf:/var/lib/app/own:0600:1000:1000" 2>"$T/err"
check create_unprivileged_succeeds [ $? = 0 ]
staged=("$T"/sharedroot-instance.*)
check create_leaves_no_staging_dir [ ! -e "${staged[0]}" ]
check create_owner_set_without_root bash -c \
    "debugfs -R 'stat /overlay/etc/upper/app/app.conf' '$T/a.img' 2>/dev/null | grep -q 'User: *0 *Group: *4 '"
attach "$T/a.img"; ADEV=$DEV
run "root=LABEL=$BL sharedroot.instance=$ADEV" "$LISTING"
check create_boots [ "$RC" = 0 ]
check create_is_not_claimed_again bash -c "! grep -q 'is now sharedroot instance storage' '$T/out'"
check create_layout_is_the_init_s diff "$T/listing.init" "$T/after"
run "root=LABEL=$BL sharedroot.instance=$ADEV sharedroot.hostname=other" "
    cat $T/sysroot/etc/hostname
    stat -c 'conf %a %u %g' $T/sysroot/etc/app/app.conf
    stat -c 'own %a %u %g' $T/sysroot/var/lib/app/own
    cat $T/sysroot/etc/ssh/authorized_keys/root
    grep AuthorizedKeysFile $T/sysroot/etc/ssh/sshd_config.d/*.conf
    stat -c 'etcdir %a %u %g' $T/sysroot/etc/ssh
    cat $T/sysroot/etc/base-file
    getfattr -d -m - $T/sysroot/etc/hostname 2>/dev/null | grep -c = || true"
check create_hostname_is_seen after_has '^alpha$'
check create_hostname_wins_over_the_kernel_parameter has 'has its own /etc/hostname (alpha)'
check create_file_mode_and_owner_exact after_has '^conf 640 0 4$'
check create_var_file_mode_and_owner_exact after_has '^own 600 1000 1000$'
check create_authorized_keys_in_etc after_has 'KeyOfTheTest'
check create_sshd_reads_the_etc_keys after_has 'AuthorizedKeysFile .*/etc/ssh/authorized_keys/%u'
check create_base_still_visible after_has '^from the base$'
check create_parent_dirs_are_root_0755 after_has '^etcdir 755 0 0$'
check create_files_carry_no_xattrs bash -c "[ \"\$(tail -1 '$T/after')\" = 0 ]"

# refusals
before=$(sha "$T/a.img")
"$SI" create "$T/a.img" --size 64M 2>"$T/err"
check create_refuses_an_existing_image bash -c "[ $? = 1 ] && grep -q 'exists already' '$T/err' && [ '$before' = \"\$(sha '$T/a.img')\" ]"
"$SI" create "$T/b.img" --size 64M --hostname 'bad_name' 2>"$T/err"
check create_refuses_a_bad_hostname bash -c "[ $? = 2 ] && grep -q 'not a valid host name' '$T/err' && [ ! -e '$T/b.img' ]"
"$SI" create "$T/b.img" --size 64M --file "$T/app.conf:/usr/lib/x" 2>"$T/err"
check create_refuses_a_file_outside_the_overlays bash -c "[ $? = 1 ] && grep -q 'not a file in an overlaid dir' '$T/err' && [ ! -e '$T/b.img' ] && no_leftovers '$T/b.img'"
"$SI" create "$T/b.img" --size 64M --file "$T/missing:/etc/x" 2>"$T/err"
check create_refuses_a_missing_source bash -c "[ $? = 1 ] && grep -q 'cannot open $T/missing' '$T/err' && [ ! -e '$T/b.img' ] && no_leftovers '$T/b.img'"
"$SI" create "$T/b.img" 2>"$T/err"
check create_needs_a_size bash -c "[ $? = 2 ] && grep -q -- '--size is required' '$T/err'"
"$SI" create "$T/b.img" --size 64M --authorized-keys /dev/null 2>"$T/err"
check create_refuses_empty_keys bash -c "[ $? = 1 ] && grep -q 'it is empty' '$T/err' && [ ! -e '$T/b.img' ]"
head -c 3M /dev/urandom >"$T/big"
"$SI" create "$T/b.img" --size 2M --file "$T/big:/etc/big" 2>"$T/err"
check create_too_small_says_so bash -c "[ $? = 1 ] && grep -q 'b.img' '$T/err' && [ ! -e '$T/b.img' ] && no_leftovers '$T/b.img'"

if command -v mkfs.xfs >/dev/null; then
    "$SI" create "$T/x.img" --size 320M --fs xfs --hostname xeno --file "$T/app.conf:/etc/app.conf:0600:7:8" 2>"$T/err"
    check create_xfs_succeeds [ $? = 0 ]
    attach "$T/x.img"
    run "root=LABEL=$BL sharedroot.instance=$DEV" "cat $T/sysroot/etc/hostname; stat -c 'conf %a %u %g' $T/sysroot/etc/app.conf"
    check create_xfs_boots_with_its_files bash -c "[ $RC = 0 ] && grep -qx xeno '$T/after' && grep -qx 'conf 600 7 8' '$T/after' && ! grep -q 'is now sharedroot instance storage' '$T/out'"
else
    skip create_xfs "mkfs.xfs not installed"
fi

# === clone ===
# give instance a an identity, as a booted machine has one: machine-id, host keys, a lease,
# a journal, a random seed, a backup in its store, a file in tmp, a swap file
run "root=LABEL=$BL sharedroot.instance=$ADEV" "
    echo 0123456789abcdef0123456789abcdef >$T/sysroot/etc/machine-id
    echo key >$T/sysroot/etc/ssh/ssh_host_ed25519_key; echo pub >$T/sysroot/etc/ssh/ssh_host_ed25519_key.pub
    mkdir -p $T/sysroot/var/lib/dhcp $T/sysroot/var/log/journal/0123 $T/sysroot/var/lib/systemd
    echo lease >$T/sysroot/var/lib/dhcp/dhclient.eth0.leases
    echo j >$T/sysroot/var/log/journal/0123/system.journal
    echo seed >$T/sysroot/var/lib/systemd/random-seed
    echo keep >$T/sysroot/etc/app/keep-me
    mkdir -p $INST/reconcile/etc/backups/run1 && echo old >$INST/reconcile/etc/backups/run1/x
    echo junk >$INST/tmp/junk; head -c 1M /dev/zero >$INST/swapfile"
check clone_source_prepared [ "$RC" = 0 ]
blockdev --setrw "$ADEV"; losetup -d "$ADEV"
before=$(sha "$T/a.img")
"$SI" clone "$T/a.img" "$T/c.img" --hostname gamma --label srit-c >"$T/cout" 2>"$T/err"
check clone_succeeds [ $? = 0 ]
check clone_leaves_the_source_byte_identical [ "$before" = "$(sha "$T/a.img")" ]
check clone_stays_sparse [ "$(du -k "$T/c.img" | cut -f1)" -lt 8192 ]
check clone_has_a_new_uuid [ "$(blkid -s UUID -o value "$T/a.img")" != "$(blkid -s UUID -o value "$T/c.img")" ]
check clone_has_the_new_label [ "$(blkid -s LABEL -o value "$T/c.img")" = srit-c ]
check clone_reports_what_it_did grep -q 'identity reset' "$T/cout"
attach "$T/c.img"
run "root=LABEL=$BL sharedroot.instance=$DEV" "
    echo id=\$(cat $T/sysroot/etc/machine-id)
    cat $T/sysroot/etc/hostname
    ls $T/sysroot/etc/ssh $T/sysroot/var/lib/dhcp $T/sysroot/var/log/journal $T/sysroot/var/lib/systemd
    cat $T/sysroot/etc/app/keep-me $T/sysroot/etc/ssh/authorized_keys/root
    ls $INST/reconcile/etc/backups $INST/tmp; ls $INST"
check clone_boots [ "$RC" = 0 ]
check clone_machine_id_is_empty after_has '^id=$'
check clone_has_its_host_name after_has '^gamma$'
check clone_host_keys_removed bash -c "! grep -q ssh_host '$T/after'"
check clone_lease_journal_seed_removed bash -c "! grep -q -e leases -e 0123 -e random-seed '$T/after'"
check clone_keeps_the_instance_s_files bash -c "grep -qx keep '$T/after' && grep -q KeyOfTheTest '$T/after'"
check clone_drops_backups_tmp_and_swap bash -c "! grep -q -e run1 -e junk -e swapfile '$T/after'"
blockdev --setrw "$DEV"; losetup -d "$DEV"
"$SI" clone "$T/a.img" "$T/c2.img" >/dev/null 2>"$T/err"
check clone_without_hostname_succeeds [ $? = 0 ] || cat "$T/err"
check clone_without_hostname_removes_it bash -c \
    "! debugfs -R 'stat /overlay/etc/upper/hostname' '$T/c2.img' 2>&1 | grep -q 'Inode:'"

# clone with keys and files: create's options and rules, in the copy's upper dirs; the file
# replaces the source's version, and a deletion (whiteout) of the source
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyOfTheClone clone@host\n' >"$T/keys2"
echo "clone setting" >"$T/clone.conf"
"$SI" clone "$T/a.img" "$T/c4.img" --hostname delta --authorized-keys "$T/keys2" --user admin \
    --file "$T/clone.conf:/etc/app/app.conf:0600:7:8" --file "$T/clone.conf:/etc/new/dir/x.conf" \
    --file "$T/clone.conf:/var/lib/app/v:0640:0:4" >"$T/cout" 2>"$T/err"
check clone_with_keys_and_files_succeeds [ $? = 0 ] || cat "$T/err"
check clone_says_how_many_files_it_wrote grep -q '6 files written' "$T/cout"
attach "$T/c4.img"
run "root=LABEL=$BL sharedroot.instance=$DEV" "
    cat $T/sysroot/etc/hostname
    stat -c 'conf %a %u %g' $T/sysroot/etc/app/app.conf; cat $T/sysroot/etc/app/app.conf
    stat -c 'new %a %u %g' $T/sysroot/etc/new $T/sysroot/etc/new/dir $T/sysroot/etc/new/dir/x.conf
    stat -c 'v %a %u %g' $T/sysroot/var/lib/app/v
    cat $T/sysroot/etc/ssh/authorized_keys/admin $T/sysroot/etc/ssh/authorized_keys/root
    grep AuthorizedKeysFile $T/sysroot/etc/ssh/sshd_config.d/*.conf
    rm $T/sysroot/etc/base-file
    getfattr -d -m - $T/sysroot/etc/app/app.conf $T/sysroot/etc/new/dir/x.conf 2>/dev/null | grep -c = || true"
check clone_with_files_boots [ "$RC" = 0 ]
check clone_host_name_from_the_option after_has '^delta$'
check clone_file_replaces_the_instance_s_version bash -c "grep -qx 'conf 600 7 8' '$T/after' && grep -qx 'clone setting' '$T/after'"
check clone_file_parent_dirs_are_root_0755 bash -c "[ \$(grep -c '^new 755 0 0$' '$T/after') = 2 ] && grep -qx 'new 644 0 0' '$T/after'"
check clone_var_file_mode_and_owner_exact after_has '^v 640 0 4$'
check clone_authorized_keys_for_the_user bash -c "grep -q KeyOfTheClone '$T/after' && grep -q KeyOfTheTest '$T/after'"
check clone_sshd_reads_the_etc_keys after_has 'AuthorizedKeysFile .*/etc/ssh/authorized_keys/%u'
check clone_files_carry_no_xattrs bash -c "[ \"\$(tail -1 '$T/after')\" = 0 ]"
blockdev --setrw "$DEV"; losetup -d "$DEV"
check clone_source_has_a_whiteout bash -c "debugfs -R 'stat /overlay/etc/upper/base-file' '$T/c4.img' 2>/dev/null | grep -q 'character special'"
"$SI" clone "$T/c4.img" "$T/c5.img" --file "$T/clone.conf:/etc/base-file:0640" >/dev/null 2>"$T/err"
check clone_file_over_a_deletion_succeeds [ $? = 0 ] || cat "$T/err"
check clone_file_replaces_a_deletion bash -c "debugfs -R 'cat /overlay/etc/upper/base-file' '$T/c5.img' 2>/dev/null | grep -qx 'clone setting'"
# refusals: nothing is left, the source stays byte-identical
before=$(sha "$T/c4.img")
refused_clone() { # NAME STATUS PATTERN OPTIONS...
    local name=$1 st=$2 pat=$3
    shift 3
    rm -f "$T/c6.img"
    "$SI" clone "$T/c4.img" "$T/c6.img" "$@" >/dev/null 2>"$T/err"
    check "$name" bash -c "[ $? = $st ] && grep -q -- \"$pat\" '$T/err' && [ ! -e '$T/c6.img' ] && no_leftovers '$T/c6.img' && [ '$before' = \"\$(sha '$T/c4.img')\" ]"
}
refused_clone clone_refuses_a_file_over_a_dir 1 '/etc/new is a dir in this instance' --file "$T/clone.conf:/etc/new"
refused_clone clone_refuses_a_file_below_a_file 1 'app.conf in the upper dir is not a dir' --file "$T/clone.conf:/etc/app/app.conf/x"
refused_clone clone_refuses_a_file_outside_the_overlays 1 'not a file in an overlaid dir' --file "$T/clone.conf:/usr/lib/x"
refused_clone clone_refuses_a_missing_source_file 1 "cannot open $T/missing" --file "$T/missing:/etc/x"
refused_clone clone_refuses_empty_keys 1 'it is empty' --authorized-keys /dev/null
refused_clone clone_refuses_a_path_given_twice 2 '/etc/hostname is given twice' --hostname h --file "$T/clone.conf:/etc/hostname"
refused_clone clone_refuses_a_bad_user 2 '--user Bad is not a user name' --authorized-keys "$T/keys2" --user Bad
refused_clone clone_refuses_a_malformed_file 2 '--file .*give SRC:/DEST' --file "/etc/x"
refused_clone clone_refuses_a_bad_hostname 2 'not a valid host name' --hostname 'bad_name'

# refusals: the source in use, a foreign source, an existing destination
attach "$T/a.img"
"$SI" clone "$T/a.img" "$T/c3.img" 2>"$T/err"
check clone_refuses_an_attached_image bash -c "[ $? = 1 ] && grep -q 'is attached to $DEV' '$T/err' && [ ! -e '$T/c3.img' ] && no_leftovers '$T/c3.img'"
blockdev --setrw "$DEV"; losetup -d "$DEV"
python3 -c "
import fcntl, os, sys, time
fd = os.open('$T/a.img', os.O_RDONLY)
fcntl.lockf(fd, fcntl.LOCK_SH, 1, 100)   # as QEMU locks its disks
sys.stdout.write('locked\n'); sys.stdout.flush(); time.sleep(30)" >"$T/lockout" &
LOCKER=$!
for _ in $(seq 50); do grep -q locked "$T/lockout" && break; sleep 0.1; done
"$SI" clone "$T/a.img" "$T/c3.img" 2>"$T/err"
check clone_refuses_a_locked_image bash -c "[ $? = 1 ] && grep -q 'is locked by another process' '$T/err' && [ ! -e '$T/c3.img' ]"
kill "$LOCKER"; wait "$LOCKER" 2>/dev/null
mkdir -p "$T/foreign"; echo precious >"$T/foreign/data"
mkfs.ext4 -q -F -d "$T/foreign" "$T/foreign.img" 16M 2>/dev/null
before=$(sha "$T/foreign.img")
"$SI" clone "$T/foreign.img" "$T/c3.img" 2>"$T/err"
check clone_refuses_a_disk_without_marker bash -c "[ $? = 1 ] && grep -q 'no .sharedroot-instance marker' '$T/err' && [ ! -e '$T/c3.img' ] && no_leftovers '$T/c3.img' && [ '$before' = \"\$(sha '$T/foreign.img')\" ]"
before=$(sha "$T/c.img")
"$SI" clone "$T/a.img" "$T/c.img" 2>"$T/err"
check clone_refuses_an_existing_destination bash -c "[ $? = 1 ] && grep -q 'exists already' '$T/err' && [ '$before' = \"\$(sha '$T/c.img')\" ]"

# === backup and restore ===
# hostile-looking but legal upper contents: a whiteout, an opaque dir, an xattr whiteout, a
# user xattr, a hard link, a symlink pointing out, odd name bytes
unshare -m bash -c "
    mkdir -p '$T/m' && mount -o loop '$T/c.img' '$T/m' || exit 1
    U='$T/m/overlay/etc/upper'
    mknod \$U/gone c 0 0
    mkdir \$U/opq \$U/xw
    python3 -c \"
import os
u = '\$U'
os.setxattr(u + '/opq', 'trusted.overlay.opaque', b'y')
os.setxattr(u + '/xw', 'trusted.overlay.opaque', b'x')
open(u + '/xw/deleted', 'w').close()
os.setxattr(u + '/xw/deleted', 'trusted.overlay.whiteout', b'')
os.setxattr(u + '/hostname', 'user.note', b'\\\\x00binary\\\\xff')
open(u + '/odd \\\\x01 name\\\\xe9', 'w').write('odd')
\"
    ln \$U/hostname \$U/hostname.link
    ln -s /etc/shadow \$U/points-out
    echo changed >\$U/base-file
    umount '$T/m'"
check backup_fixture_made [ $? = 0 ]
detached() { for _ in $(seq 400); do losetup -j "$1" | grep -q . || return 0; sleep 0.05; done; return 1; }
check backup_fixture_loop_detached detached "$T/c.img"
"$SI" backup "$T/c.img" -o "$T/c.pax" >/dev/null 2>"$T/err"
check backup_image_succeeds [ $? = 0 ] || cat "$T/err"
check backup_keeps_whiteouts_and_markers bash -c \
    "tar tvf '$T/c.pax' 2>/dev/null | grep -q '^c.* 0,0 .*overlay/etc/upper/gone' && grep -qa 'trusted.overlay.opaque' '$T/c.pax'"
setpriv --reuid=65534 --regid=65534 --clear-groups env TMPDIR="$T" \
    "$SI_NOBODY" restore "$T/c.pax" "$T/r.img" >/dev/null 2>"$T/err"
check restore_unprivileged_succeeds [ $? = 0 ]
"$SI" backup "$T/r.img" -o "$T/r.pax" >/dev/null 2>"$T/err"
check restore_then_backup_is_byte_identical cmp "$T/c.pax" "$T/r.pax"
check restore_keeps_label_and_uuid bash -c "[ \"\$(blkid -s UUID -o value '$T/r.img')\" = \"\$(blkid -s UUID -o value '$T/c.img')\" ] && [ \"\$(blkid -s LABEL -o value '$T/r.img')\" = srit-c ]"
# the trees, compared through mounts: every path's type, mode, owner, size, times, xattrs, data
tree_of() { # image -> listing on stdout
    unshare -m bash -c "mkdir -p '$T/m' && mount -o ro,loop '$1' '$T/m' && cd '$T/m' &&
        find . -path ./lost+found -prune -o -printf '%p %y %m %U %G %s %T@ %C@\n' | sort &&
        find . -path ./lost+found -prune -o -type f -print0 | sort -z | xargs -0 sha256sum &&
        python3 -c \"
import os
for d, ds, fs in sorted(os.walk('.')):
    for n in sorted(ds + fs):
        p = os.path.join(d, n)
        print(p, sorted((a, os.getxattr(p, a, follow_symlinks=False)) for a in os.listxattr(p, follow_symlinks=False)))
\"; cd /; umount '$T/m'"
}
# (the overlay work dirs' contents are not kept: overlayfs remakes them)
tree_of "$T/c.img" | grep -v '^./overlay/[^/]*/work/' >"$T/tree.c"
tree_of "$T/r.img" | grep -v '^./overlay/[^/]*/work/' >"$T/tree.r"
check restore_gives_equal_trees_with_ctimes cmp -s "$T/tree.c" "$T/tree.r"
check restore_tree_listing_is_not_empty bash -c "grep -q 'gone c' '$T/tree.r' && grep -q \"trusted.overlay.opaque', b'y'\" '$T/tree.r' && grep -q 'hostname.link' '$T/tree.r'"
attach "$T/r.img"
run "root=LABEL=$BL sharedroot.instance=$DEV" "cat $T/sysroot/etc/hostname; ls $T/sysroot/etc/gone 2>&1"
check restore_boots_with_the_same_state bash -c "[ $RC = 0 ] && grep -qx gamma '$T/after' && grep -q 'No such file' '$T/after'"
blockdev --setrw "$DEV"; losetup -d "$DEV"

# refusals
"$SI" backup "$T/foreign.img" -o "$T/f.pax" 2>"$T/err"
check backup_refuses_a_disk_without_marker bash -c "[ $? = 1 ] && grep -q 'no .sharedroot-instance marker' '$T/err' && [ ! -e '$T/f.pax' ]"
"$SI" backup "$T/c.img" -o "$T/c.pax" 2>"$T/err"
check backup_refuses_an_existing_file bash -c "[ $? = 1 ] && grep -q 'exists already' '$T/err'"
unshare -m --propagation private bash -c "
    mkdir -p '$T/m' '$T/merged' && mount -o loop '$T/c.img' '$T/m' &&
    mount -t overlay overlay -o lowerdir='$T/tree/etc',upperdir='$T/m/overlay/etc/upper',workdir='$T/m/overlay/etc/work' '$T/merged' &&
    '$SI' backup '$T/m' -o '$T/busy.pax'; echo rc=\$? >'$T/busy.rc'" 2>"$T/err"
check backup_refuses_an_instance_in_use bash -c "grep -qx rc=1 '$T/busy.rc' && grep -q 'upper dir of a mounted overlay' '$T/err' && [ ! -e '$T/busy.pax' ]"
unshare -m --propagation private bash -c "
    mkdir -p '$T/m' && mount -o loop,ro '$T/c.img' '$T/m' && '$SI' backup '$T/m' -o '$T/dir.pax'" >/dev/null 2>"$T/err"
check backup_of_a_dir_succeeds bash -c "[ $? = 0 ] && tar tf '$T/dir.pax' 2>/dev/null | grep -q overlay/etc/upper/gone"
before=$(sha "$T/foreign.img")
"$SI" restore "$T/c.pax" "$T/foreign.img" 2>"$T/err"
check restore_refuses_to_replace_a_foreign_disk bash -c "[ $? = 1 ] && grep -q 'no .sharedroot-instance marker' '$T/err' && [ '$before' = \"\$(sha '$T/foreign.img')\" ]"
printf 'not an archive' >"$T/junk.pax"
before=$(sha "$T/r.img")
"$SI" restore "$T/junk.pax" "$T/r.img" 2>"$T/err"
check restore_refuses_junk_and_keeps_the_image bash -c "[ $? = 1 ] && grep -q 'nothing was written to' '$T/err' && [ '$before' = \"\$(sha '$T/r.img')\" ] && no_leftovers '$T/r.img'"
"$SI" restore "$T/c.pax" "$T/r.img" --size 64K 2>"$T/err"
check restore_too_small_keeps_the_image bash -c "[ $? = 1 ] && [ '$before' = \"\$(sha '$T/r.img')\" ] && no_leftovers '$T/r.img'"
"$SI" restore "$T/c.pax" "$T/r.img" >/dev/null 2>"$T/err"
check restore_replaces_an_instance_image [ $? = 0 ]

# === status ===
"$SI" status "$T/c.img" >"$T/st" 2>"$T/err"
check status_succeeds [ $? = 0 ]
check status_own_file_with_size grep -Eq '^  own +file +6  /etc/hostname$' "$T/st"
check status_copy_told_by_the_recorded_base grep -Eq '^  copy +file +8  /etc/base-file$' "$T/st"
check status_deletion grep -Eq '^  deleted +whiteout .* /etc/gone$' "$T/st"
check status_opaque_dir grep -Eq '^  opaque +dir .* /etc/opq$' "$T/st"
check status_symlink_not_followed grep -Eq '^  own +symlink .* /etc/points-out$' "$T/st"
check status_raw_names_escaped grep -Fq '/etc/odd\x20\x01\x20name\xc3\xa9' "$T/st"
check status_merged_dirs_not_listed bash -c "! grep -Eq ' /etc/ssh$' '$T/st'"
check status_says_where_the_base_came_from grep -q 'base: as recorded at the last boot' "$T/st"
"$SI" status "$T/c.img" --base "$T/tree" >"$T/st" 2>"$T/err"
check status_with_base_succeeds [ $? = 0 ]
check status_with_base_gives_outcomes bash -c "grep -Eq '^  own +file .*/etc/hostname  host-only$' '$T/st' &&
    grep -Eq '^  copy +file .*/etc/base-file  unchanged$' '$T/st' &&
    grep -Eq '^  deleted +whiteout .*/etc/gone  ' '$T/st'"
check status_with_base_lists_inside_an_own_dir bash -c "grep -Eq '^  own +dir .* /etc/app  host-only$' '$T/st' &&
    grep -Eq '^  own +file .* /etc/app/keep-me  host-only$' '$T/st' && grep -Eq '^  own +file .* /etc/app/app.conf  host-only$' '$T/st'"
"$SI" status "$T/c.img" --base "$T/tree" --json >"$T/st.json" 2>"$T/err"
check status_json_parses python3 -c "
import json, sys
d = json.load(open('$T/st.json'))
e = {x['path']: x for o in d['overlays'] for x in o['entries']}
assert e['/etc/hostname']['what'] == 'own' and e['/etc/hostname']['size'] == 6, e['/etc/hostname']
assert e['/etc/hostname']['outcome'] == 'host-only'
assert e['/etc/gone']['what'] == 'deleted' and e['/etc/opq']['what'] == 'opaque'
assert e['/etc/app/keep-me']['outcome'] == 'host-only' and e['/etc/app/keep-me']['what'] == 'own'
assert any(o['dir'] == '/var' for o in d['overlays'])
"
before=$(sha "$T/c.img")
check status_leaves_the_image_byte_identical [ "$before" = "$(sha "$T/c.img")" ]
"$SI" status "$T/foreign.img" 2>"$T/err"
check status_refuses_a_disk_without_marker bash -c "[ $? = 1 ] && grep -q 'no .sharedroot-instance marker' '$T/err'"
"$SI" status "$T/c.img" --base "$T/nothing" 2>"$T/err"
check status_refuses_a_missing_base bash -c "[ $? = 1 ] && grep -q 'is not a directory' '$T/err'"
"$SI" status 2>"$T/err"
check status_needs_an_instance bash -c "[ $? = 2 ] && grep -q 'give IMAGE or DIR' '$T/err'"
# an instance in use may be looked at (a snapshot, as overlay-reconcile --report does)
unshare -m --propagation private bash -c "
    mkdir -p '$T/m' '$T/merged' && mount -o loop '$T/c.img' '$T/m' &&
    mount -t overlay overlay -o lowerdir='$T/tree/etc',upperdir='$T/m/overlay/etc/upper',workdir='$T/m/overlay/etc/work' '$T/merged' &&
    '$SI' status '$T/m'" >"$T/st" 2>"$T/err"
check status_of_a_dir_in_use_succeeds bash -c "[ $? = 0 ] && grep -q '/etc/hostname' '$T/st'"
check status_of_a_dir_through_a_symlink_refused bash -c "
    ln -sfn '$T/m' '$T/m-link'; unshare -m --propagation private bash -c \"
        mount -o loop,ro '$T/c.img' '$T/m' && '$SI' status '$T/m-link/'\" 2>'$T/err'
    [ \$? = 1 ] && grep -q 'symlink' '$T/err'"

# a planted symlink where an upper dir must be: refused, nothing outside read or changed
cp --sparse=always "$T/c.img" "$T/h.img"
unshare -m bash -c "mkdir -p '$T/m' && mount -o loop '$T/h.img' '$T/m' &&
    mv '$T/m/overlay/etc/upper' '$T/m/overlay/etc/upper.real' && ln -s /etc '$T/m/overlay/etc/upper' && umount '$T/m'"
"$SI" status "$T/h.img" >"$T/st" 2>"$T/err"
check status_refuses_a_planted_upper_symlink bash -c "[ $? = 1 ] && grep -q 'overlay/etc/upper' '$T/err' && ! grep -q passwd '$T/st'"
"$SI" reset "$T/h.img" /etc/passwd 2>"$T/err"
check reset_refuses_a_planted_upper_symlink bash -c "[ $? = 1 ] && [ -s /etc/passwd ]"

# === reset (offline) ===
cp --sparse=always "$T/c.img" "$T/d.img"
"$SI" reset "$T/d.img" /etc/hostname /etc/opq >"$T/out" 2>"$T/err"
check reset_succeeds [ $? = 0 ]
check reset_says_where_the_old_version_is grep -q 'reset /etc/hostname (its version is in reconcile/etc/backups/' "$T/out"
check reset_removed_it_from_the_upper bash -c \
    "! debugfs -R 'stat /overlay/etc/upper/hostname' '$T/d.img' 2>&1 | grep -q 'Inode:' &&
     ! debugfs -R 'stat /overlay/etc/upper/opq' '$T/d.img' 2>&1 | grep -q 'Inode:'"
run_id=$(sed -n 's|.*reconcile/etc/backups/\([^/]*\)/hostname).*|\1|p' "$T/out")
check reset_keeps_it_in_the_backups bash -c \
    "debugfs -R 'cat /reconcile/etc/backups/$run_id/hostname' '$T/d.img' 2>/dev/null | grep -qx gamma &&
     debugfs -R 'stat /reconcile/etc/backups/$run_id/opq' '$T/d.img' 2>&1 | grep -q 'Type: directory'"
check reset_keeps_the_other_files bash -c "debugfs -R 'stat /overlay/etc/upper/app/app.conf' '$T/d.img' 2>&1 | grep -q 'Inode:'"
before=$(sha "$T/d.img")
"$SI" reset "$T/d.img" /etc/never-changed 2>"$T/err"
check reset_refuses_a_path_the_instance_does_not_override bash -c "[ $? = 1 ] && grep -q 'has no version of /etc/never-changed of its own' '$T/err' && [ '$before' = \"\$(sha '$T/d.img')\" ]"
"$SI" reset "$T/d.img" /etc/app/app.conf /etc/never-changed 2>"$T/err"
check reset_changes_nothing_when_one_path_is_wrong bash -c "[ $? = 1 ] && [ '$before' = \"\$(sha '$T/d.img')\" ]"
"$SI" reset "$T/d.img" /usr/bin/x 2>"$T/err"
check reset_refuses_a_path_outside_the_overlays bash -c "[ $? = 1 ] && grep -q 'not in an overlaid dir' '$T/err'"
"$SI" reset "$T/d.img" etc/hostname 2>"$T/err"
check reset_refuses_a_relative_path bash -c "[ $? = 2 ] && grep -q 'not a clean absolute path' '$T/err'"
"$SI" reset "$T/d.img" /etc/../etc/shadow 2>"$T/err"
check reset_refuses_dot_dot bash -c "[ $? = 2 ] && grep -q 'not a clean absolute path' '$T/err'"
"$SI" reset "$T/d.img" 2>"$T/err"
check reset_needs_paths_or_all bash -c "[ $? = 2 ] && grep -q 'or --all' '$T/err'"
"$SI" reset "$T/foreign.img" --all 2>"$T/err"
check reset_refuses_a_disk_without_marker bash -c "[ $? = 1 ] && grep -q 'no .sharedroot-instance marker' '$T/err'"
attach "$T/d.img"
"$SI" reset "$T/d.img" --all 2>"$T/err"
check reset_refuses_an_attached_image bash -c "[ $? = 1 ] && grep -q 'is attached to' '$T/err' && [ '$before' = \"\$(sha '$T/d.img')\" ]"
# every command that opens an image refuses one in use the same way
"$SI" status "$T/d.img" 2>"$T/err"
check status_refuses_an_attached_image bash -c "[ $? = 1 ] && grep -q 'is attached to' '$T/err'"
"$SI" backup "$T/d.img" -o "$T/d.pax" 2>"$T/err"
check backup_refuses_an_attached_image bash -c "[ $? = 1 ] && grep -q 'is attached to' '$T/err' && [ ! -e '$T/d.pax' ]"
"$SI" restore "$T/c.pax" "$T/d.img" 2>"$T/err"
check restore_refuses_an_attached_image bash -c "[ $? = 1 ] && grep -q 'is attached to' '$T/err' && [ '$before' = \"\$(sha '$T/d.img')\" ]"
losetup -d "$DEV"; detached "$T/d.img"
unshare -m --propagation private bash -c "
    mkdir -p '$T/m' '$T/merged' && mount -o loop '$T/d.img' '$T/m' &&
    mount -t overlay overlay -o lowerdir='$T/tree/etc',upperdir='$T/m/overlay/etc/upper',workdir='$T/m/overlay/etc/work' '$T/merged' &&
    '$SI' reset '$T/m' /etc/app/app.conf; echo rc=\$? >'$T/busy.rc'; ls '$T/m/overlay/etc/upper/app' >'$T/busy.ls'" 2>"$T/err"
check reset_refuses_an_instance_in_use bash -c "grep -qx rc=1 '$T/busy.rc' && grep -q 'upper dir of a mounted overlay' '$T/err' && grep -q app.conf '$T/busy.ls'"
detached "$T/d.img"
"$SI" reset "$T/d.img" --all >"$T/out" 2>"$T/err"
check reset_all_succeeds [ $? = 0 ]
check reset_all_empties_the_upper_dirs bash -c \
    "[ -z \"\$(debugfs -R 'ls -p /overlay/etc/upper' '$T/d.img' 2>/dev/null | grep -v -e '/\.\{1,2\}/' -e '^$')\" ] &&
     [ -z \"\$(debugfs -R 'ls -p /overlay/var/upper' '$T/d.img' 2>/dev/null | grep -v -e '/\.\{1,2\}/' -e '^$')\" ]"

# === status --base before the first boot ===
# create's files were written for the base the first boot will record (the store is
# "prepared"): a report before that boot takes the given base as that recording
"$SI" create "$T/p.img" --size 32M --file "$T/app.conf:/etc/base-file" >/dev/null 2>"$T/err"
before=$(sha "$T/p.img")
"$SI" status "$T/p.img" --base "$T/tree" >"$T/st" 2>"$T/err"
check status_before_the_first_boot_takes_the_base_as_merge_base bash -c "[ $? = 0 ] &&
    grep -Eq '^  copy +file .*/etc/base-file  unchanged$' '$T/st' && ! grep -q unknown-base '$T/st'"
check status_before_the_first_boot_writes_nothing [ "$before" = "$(sha "$T/p.img")" ]

# === reset --next-boot (in the running guest) ===
"$SI" create "$T/n.img" --size 32M --file "$T/app.conf:/etc/app.conf" >/dev/null 2>"$T/err"
attach "$T/n.img"; NDEV=$DEV
run "root=LABEL=$BL sharedroot.instance=$NDEV" "
    echo changed by the guest >$T/sysroot/etc/base-file
    '$SI' reset --next-boot /etc/base-file /etc/app.conf; echo rc=\$?
    '$SI' reset --next-boot /usr/x; echo rc=\$?
    '$SI' reset --next-boot --state $T/none /etc/base-file; echo rc=\$?
    cat $INST/reconcile/etc/reset"
check next_boot_request_recorded bash -c "grep -qx rc=0 '$T/after' && grep -q '^/etc/base-file: reset at the next boot' '$T/after' && grep -qx 'path base-file' '$T/after'"
check next_boot_refuses_a_path_outside_the_overlays bash -c "grep -q 'reset --next-boot: /usr/x is not in an overlaid dir' '$T/after' && [ \$(grep -c '^rc=1$' '$T/after') = 2 ]"
check next_boot_refuses_without_a_state grep -q "$T/none: missing" "$T/after"
run "root=LABEL=$BL sharedroot.instance=$NDEV" "
    cat $T/sysroot/etc/base-file; ls $T/sysroot/etc/app.conf 2>&1
    cat $INST/reconcile/etc/backups/*/base-file; ls $INST/reconcile/etc/reset 2>&1"
check next_boot_done_and_reported bash -c "[ $RC = 0 ] && grep -q 'reconcile /etc: reset as asked (sharedroot-instance reset --next-boot): base-file, app.conf; the old versions are in' '$T/out'"
check next_boot_base_version_visible bash -c "grep -qx 'from the base' '$T/after' && grep -q \"app.conf': No such file\" '$T/after'"
check next_boot_old_version_in_the_backups grep -qx 'changed by the guest' "$T/after"
check next_boot_request_removed grep -q "etc/reset': No such file" "$T/after"
