#!/bin/bash
# Privileged tests of mounts/tmpdir.c through tests/probe-instance: cleaning /tmp never
# follows a planted symlink out and never crosses a mount (a bind mount of the same
# filesystem included); tmpfs and bind mounts get nosuid,nodev and mode 1777.
# $1 = the build dir (containing tests/). Needs root and mount namespaces.
set -u
B=${1:?usage: tmpdir.sh BUILDDIR}
P=$B/tests/probe-instance

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    skip tmpdir "needs root"
    exit 0
fi
if [ ! -x "$P" ]; then
    fail tmpdir "$P not built"
    exit 1
fi
if [ -z "${SHAREDROOT_IN_NS:-}" ]; then
    exec unshare -m --propagation private env SHAREDROOT_IN_NS=1 bash "$0" "$@"
fi

T=$(mktemp -d /tmp/sharedroot-tmpdir.XXXXXX)
cleanup() {
    local m
    for m in $(findmnt -rno TARGET | grep "^$T" | sort -r); do umount -l "$m" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

# A /tmp full of leftovers and traps.
mkdir -p "$T/tmp/sub/deeper" "$T/outside/dir" "$T/bindsrc" "$T/tmp/bound" "$T/tmp/tmpfs"
echo precious >"$T/outside/precious"
echo inner >"$T/outside/dir/inner"
echo bound-data >"$T/bindsrc/data"
ln -s "$T/outside/precious" "$T/tmp/link"
ln -s "$T/outside/dir" "$T/tmp/dirlink"
ln -s /etc "$T/tmp/etc"
ln -s ../outside "$T/tmp/sub/up"
echo junk >"$T/tmp/sub/deeper/junk"
printf x >"$T/tmp/$(printf 'odd\nname\xff')"
mkfifo "$T/tmp/fifo"
chmod 0700 "$T/tmp"
mount --bind "$T/bindsrc" "$T/tmp/bound"          # same filesystem: st_dev cannot tell
mount -t tmpfs tmpfs "$T/tmp/tmpfs" && echo on-tmpfs >"$T/tmp/tmpfs/file"

out=$("$P" tmp-clean "$T/tmp" 2>"$T/err")
rc=$?
if [ $rc -eq 0 ] && [ "$out" = 0 ]; then pass tmp_clean_succeeds; else
    fail tmp_clean_succeeds "rc $rc out '$out' $(cat "$T/err")"; fi
left=$(cd "$T/tmp" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')
if [ "$left" = "bound tmpfs " ]; then pass tmp_clean_removes_everything_but_mounts; else
    fail tmp_clean_removes_everything_but_mounts "left: $left"; fi
if [ "$(cat "$T/outside/precious")" = precious ] && [ "$(cat "$T/outside/dir/inner")" = inner ] &&
    [ -f /etc/passwd ]; then pass tmp_clean_does_not_follow_symlinks_out; else
    fail tmp_clean_does_not_follow_symlinks_out "$(ls -lR "$T/outside")"; fi
if [ "$(cat "$T/tmp/bound/data" 2>&1)" = bound-data ] && [ "$(cat "$T/bindsrc/data")" = bound-data ]; then
    pass tmp_clean_does_not_cross_bind_mount; else fail tmp_clean_does_not_cross_bind_mount; fi
if [ "$(cat "$T/tmp/tmpfs/file" 2>&1)" = on-tmpfs ]; then pass tmp_clean_does_not_cross_other_fs; else
    fail tmp_clean_does_not_cross_other_fs; fi
if [ "$(stat -c '%a %u %g' "$T/tmp")" = "1777 0 0" ]; then pass tmp_clean_sets_1777_root; else
    fail tmp_clean_sets_1777_root "$(stat -c '%a %u %g' "$T/tmp")"; fi

# The directory itself a symlink: refused (ELOOP 40 or ENOTDIR 20), nothing touched.
ln -s "$T/outside" "$T/tmplink"
"$P" tmp-clean "$T/tmplink" >/dev/null 2>&1
rc=$?
if { [ $rc -eq 40 ] || [ $rc -eq 20 ]; } && [ -f "$T/outside/precious" ]; then
    pass tmp_clean_refuses_symlinked_dir; else fail tmp_clean_refuses_symlinked_dir "rc $rc"; fi

mkdir "$T/t2"
if "$P" tmp-tmpfs "$T/t2" 2>"$T/err"; then
    opts=$(findmnt -no FSTYPE,OPTIONS "$T/t2")
    case "$opts" in
    tmpfs*nosuid*nodev*) pass tmp_tmpfs_nosuid_nodev ;;
    *) fail tmp_tmpfs_nosuid_nodev "$opts" ;;
    esac
    if [ "$(stat -c %a "$T/t2")" = 1777 ]; then pass tmp_tmpfs_mode_1777; else
        fail tmp_tmpfs_mode_1777 "$(stat -c %a "$T/t2")"; fi
else
    fail tmp_tmpfs_nosuid_nodev "$(cat "$T/err")"
fi

# Bind from instance storage: nosuid,nodev added, the source mount's own flags (noexec, ro
# here) kept.
mkdir -p "$T/inst" "$T/t3"
mount -t tmpfs -o noexec tmpfs "$T/inst"
mkdir "$T/inst/tmp"
echo kept >"$T/inst/tmp/file"
if "$P" tmp-bind "$T/inst/tmp" "$T/t3" 2>"$T/err"; then
    opts=$(findmnt -no OPTIONS "$T/t3")
    case ",$opts," in
    *,nosuid,*nodev,*noexec,*) pass tmp_bind_nosuid_nodev_keeps_noexec ;;
    *) fail tmp_bind_nosuid_nodev_keeps_noexec "$opts" ;;
    esac
    if [ "$(cat "$T/t3/file")" = kept ]; then pass tmp_bind_shows_source; else fail tmp_bind_shows_source; fi
else
    fail tmp_bind_nosuid_nodev_keeps_noexec "$(cat "$T/err")"
fi
mkdir "$T/t4"
ln -s /etc "$T/inst/evil"
"$P" tmp-bind "$T/inst/evil" "$T/t4" >/dev/null 2>&1
rc=$?
if { [ $rc -eq 40 ] || [ $rc -eq 20 ]; } && ! mountpoint -q "$T/t4"; then pass tmp_bind_refuses_symlink_source; else
    fail tmp_bind_refuses_symlink_source "rc $rc"; fi
