#!/bin/bash
# Privileged tests of mounts/devfs.c through tests/probe-instance: a tmpfs /dev with the
# minimal nodes, and nodes for the devices the real /sys lists (loop devices included).
# $1 = the build dir (containing tests/). Needs root, loop devices and mount namespaces.
set -u
B=${1:?usage: devfs.sh BUILDDIR}
P=$B/tests/probe-instance

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    skip devfs "needs root"
    exit 0
fi
if [ ! -x "$P" ]; then
    fail devfs "$P not built"
    exit 1
fi
# Everything below runs in a private mount namespace: the mounts vanish with it.
if [ -z "${SHAREDROOT_IN_NS:-}" ]; then
    exec unshare -m --propagation private env SHAREDROOT_IN_NS=1 bash "$0" "$@"
fi

T=$(mktemp -d /tmp/sharedroot-devfs.XXXXXX)
LOOPS=()
cleanup() {
    local l
    for l in "${LOOPS[@]}"; do
        blockdev --setrw "$l" 2>/dev/null
        losetup -d "$l" 2>/dev/null
    done
    umount -R "$T/dev" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# node NAME "TYPE MAJ:MIN MODE GID" [TESTNAME] checks $T/dev/NAME (stat's %t:%T are hex).
node() {
    local want=$2 tn=${3:-devfs_node_$1} got t ma mi mode gid
    IFS='|' read -r t ma mi mode gid < <(stat -c '%F|%t|%T|%a|%g' "$T/dev/$1" 2>/dev/null)
    case "$t" in
    "character special file") t=char ;;
    "block special file") t=block ;;
    esac
    got="$t $((16#${ma:-0})):$((16#${mi:-0})) $mode $gid"
    if [ "$got" = "$want" ]; then pass "$tn"; else fail "$tn" "got '$got', want '$want'"; fi
}

mkdir "$T/dev"
if "$P" devfs-mount "$T/dev" 2>"$T/err"; then pass devfs_mount_tmpfs; else
    fail devfs_mount_tmpfs "$(cat "$T/err")"; exit 1; fi
opts=$(findmnt -no FSTYPE,OPTIONS "$T/dev")
case "$opts" in
tmpfs*nosuid*mode=755*) pass devfs_tmpfs_is_nosuid_mode_0755 ;;
*) fail devfs_tmpfs_is_nosuid_mode_0755 "$opts" ;;
esac
node console "char 5:1 600 0"
node null "char 1:3 666 0"
node zero "char 1:5 666 0"
node full "char 1:7 666 0"
node random "char 1:8 666 0"
node urandom "char 1:9 666 0"
node tty "char 5:0 666 5"
node ptmx "char 5:2 666 5"
node kmsg "char 1:11 644 0"
for d in pts:755 shm:1777; do
    got=$(stat -c '%F %a' "$T/dev/${d%:*}")
    if [ "$got" = "directory ${d#*:}" ]; then pass "devfs_dir_${d%:*}"; else fail "devfs_dir_${d%:*}" "$got"; fi
done
ok=1
for l in fd:/proc/self/fd stdin:/proc/self/fd/0 stdout:/proc/self/fd/1 stderr:/proc/self/fd/2; do
    [ "$(readlink "$T/dev/${l%%:*}")" = "${l#*:}" ] || ok=0
done
if [ $ok = 1 ]; then pass devfs_fd_links; else fail devfs_fd_links "$(ls -l "$T/dev")"; fi
if [ "$(head -c 4 "$T/dev/zero" | od -An -tx1 | tr -d ' ')" = 00000000 ] && echo x >"$T/dev/null"; then
    pass devfs_nodes_work; else fail devfs_nodes_work; fi

want=no
grep -qw devtmpfs /proc/filesystems && want=yes
if [ "$("$P" have-devtmpfs)" = "$want" ]; then pass devfs_have_devtmpfs; else fail devfs_have_devtmpfs; fi

# Sync against the real /sys, with a loop device we attach now.
truncate -s 1M "$T/img"
if LOOP=$(losetup --find --show "$T/img"); then
    LOOPS+=("$LOOP")
    out=$("$P" devfs-sync "$T/dev" /sys 2>"$T/err")
    rc=$?
    case "$out" in
    "created "[1-9]*"failed 0") pass devfs_sync_real_sysfs ;;
    *) fail devfs_sync_real_sysfs "rc $rc '$out' $(cat "$T/err")" ;;
    esac
    name=${LOOP#/dev/}
    mm=$(cat "/sys/class/block/$name/dev")
    node "$name" "block $mm 660 6"
    # Every block device sysfs lists has its node.
    missing=
    for link in /sys/dev/block/*; do
        dn=$(sed -n 's/^DEVNAME=//p' "$link/uevent")
        [ -n "$dn" ] && [ -b "$T/dev/$dn" ] || missing="$missing $dn"
    done
    if [ -z "$missing" ]; then pass devfs_sync_all_block_devices; else fail devfs_sync_all_block_devices "missing:$missing"; fi
    out=$("$P" devfs-sync "$T/dev" /sys 2>"$T/err")
    case "$out" in
    "created 0 "*"failed 0") pass devfs_sync_is_idempotent ;;
    *) fail devfs_sync_is_idempotent "'$out' $(cat "$T/err")" ;;
    esac
    # A node with the wrong numbers is replaced.
    rm -f "$T/dev/$name"
    mknod "$T/dev/$name" b 1 3
    out=$("$P" devfs-sync "$T/dev" /sys 2>"$T/err")
    case "$out" in
    "created 1 "*) node "$name" "block $mm 660 6" devfs_sync_replaces_wrong_node ;;
    *) fail devfs_sync_replaces_wrong_node "'$out'" ;;
    esac
else
    skip devfs_sync_real_sysfs "no loop device available"
fi
