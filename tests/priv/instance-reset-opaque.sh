#!/bin/bash
# shellcheck disable=SC2317  # cleanup (the EXIT trap) and helpers run through check
# sharedroot-instance reset of a path inside an opaque dir (issue 13), against real overlayfs.
# The guest's side is made through a real overlay mount (rm -rf of a base dir and mkdir again
# make it opaque, trusted.overlay.opaque=y); the merged view of a real overlay mount of the
# result is compared before and after, path by path: only the reset path changes, to the
# base's version. Without --base the reset is refused and the image stays byte-identical;
# killed at every step (SHAREDROOT_RECONCILE_CRASH_AT) the merged view is the one before or
# the one after, never one where a hidden base entry shows, and the same command again
# finishes it; reset --next-boot is carried out by sharedroot-init's reconcile stage (test
# runs in private mount namespaces), which reports the un-opaqued dir and the whiteouts.
# $1 = the build dir. Needs root.
set -u
B=${1:?usage: instance-reset-opaque.sh BUILDDIR}
B=$(cd "$B" && pwd)
SI=$B/instance/sharedroot-instance
INIT=$B/init/sharedroot-init

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need instance-reset-opaque mkfs.ext4 debugfs losetup unshare busybox
# a leak inside libmount when another process takes the loop device it picked (see the file)
LSAN_OPTIONS=suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lsan-libmount.supp
export LSAN_OPTIONS
[ -x "$SI" ] || { fail instance-reset-opaque "$SI not built"; exit 1; }

T=$(mktemp -d /tmp/sharedroot-reset-opaque.XXXXXX)
cleanup() {
    loop_detach_all
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
sha() { sha256sum "$1" | cut -d' ' -f1; }
export -f sha
# detached IMAGE: the loop device of the image's last mount has gone (a mount in a private
# namespace is undone when its last process exits, shortly after)
detached() { for _ in $(seq 400); do losetup -j "$1" | grep -q . || return 0; sleep 0.05; done; return 1; }

# --- the base: /etc/app with files, a dir the guest keeps (sub), one it empties (sub2), one
# it drops (deep)
BASE=$T/tree
mkdir -p "$BASE"/{bin,sbin,etc/app/sub,etc/app/sub2,etc/app/deep/y,var,tmp,run,proc,sys,dev} "$T/sysroot"
cp "$(command -v busybox)" "$BASE/bin/busybox"
ln -s /bin/busybox "$BASE/sbin/init"
echo base-a >"$BASE/etc/app/a.conf"
echo base-b >"$BASE/etc/app/b.conf"
echo base-c >"$BASE/etc/app/sub/c.conf"
echo base-x >"$BASE/etc/app/sub/x.conf"
echo base-e >"$BASE/etc/app/sub2/e.conf"
echo base-z >"$BASE/etc/app/deep/y/z"
echo top >"$BASE/etc/top.conf"
: >"$BASE/etc/machine-id"

# guest_edit DIR: what a guest does in DIR, its /etc through the overlay: removes /etc/app and
# makes it again with files of its own (overlayfs makes app an opaque dir of the upper)
guest_edit() {
    rm -rf "$1/app" && mkdir -p "$1/app/sub" "$1/app/sub2" "$1/app/new" &&
        echo mine-a >"$1/app/a.conf" && echo mine-c >"$1/app/sub/c.conf" &&
        echo own >"$1/app/own.conf" && echo f >"$1/app/new/f"
}
# listing DIR: every path below DIR with its type, mode and content; a name that a dir lists
# but that cannot be looked up (a whiteout in a dir that overlayfs does not merge) as
# "PHANTOM name"
listing() {
    (cd "$1" && find . -printf '%p %y %m\n' 2>/dev/null | sort &&
        find . -type f | sort | while read -r f; do echo "$f: $(cat "$f")"; done &&
        find . -printf '%m\n' 2>&1 >/dev/null | sed -n "s/^find: .\(.*\).: No such file or directory$/PHANTOM \1/p" | sort)
}
# view IMAGE: the merged /etc of the image's upper over the base, by a real overlay mount (the
# upper as the top lower layer, read-only: its whiteouts and opaque marks count the same)
view() {
    detached "$1" || echo "$1 is still attached"
    unshare -m --propagation private bash -c "
        mkdir -p '$T/m' '$T/merged' && mount -o loop,ro,noload '$1' '$T/m' &&
        mount -t overlay overlay -o lowerdir='$T/m/overlay/etc/upper:$BASE/etc' '$T/merged' || exit 1
        $(declare -f listing); listing '$T/merged'"
}
export -f listing

"$SI" create "$T/i.img" --size 32M >/dev/null 2>"$T/err" || { fail instance-reset-opaque "create: $(cat "$T/err")"; exit 1; }
unshare -m --propagation private bash -c "
    mkdir -p '$T/m' '$T/merged' && mount -o loop '$T/i.img' '$T/m' &&
    mount -t overlay overlay -o lowerdir='$BASE/etc',upperdir='$T/m/overlay/etc/upper',workdir='$T/m/overlay/etc/work' '$T/merged' || exit 1
    $(declare -f guest_edit); guest_edit '$T/merged'" 2>"$T/err"
check fixture_made_through_an_overlay [ $? = 0 ]
before=$(view "$T/i.img")
check fixture_app_is_an_opaque_dir bash -c "
    debugfs -R 'ea_list /overlay/etc/upper/app' '$T/i.img' 2>/dev/null | grep -q 'trusted.overlay.opaque.*y' &&
    ! grep -q '^./app/b.conf' <<<'$before' && grep -qx './app/a.conf: mine-a' <<<'$before'"
cp --sparse=always "$T/i.img" "$T/i0.img"

# without the base: refused, naming the opaque dir and the ways out, the image untouched
sum=$(sha "$T/i.img")
"$SI" reset "$T/i.img" /etc/app/a.conf >"$T/out" 2>"$T/err"
rc=$?
check without_base_refused bash -c "[ $rc = 1 ] && grep -q '/etc/app/a.conf is inside /etc/app, an opaque dir of the instance' '$T/err' &&
    grep -q -- '--base DIR' '$T/err' && grep -q -- 'reset --next-boot' '$T/err' && grep -q 'reset /etc/app whole' '$T/err'"
check without_base_image_byte_identical [ "$sum" = "$(sha "$T/i.img")" ]
"$SI" reset "$T/i.img" --base "$T/nothing" /etc/app/a.conf 2>"$T/err"
check missing_base_refused bash -c "[ $? = 1 ] && grep -q 'is not a directory' '$T/err' && [ '$sum' = \"\$(sha '$T/i.img')\" ]"
"$SI" reset --next-boot --base "$BASE" /etc/app/a.conf 2>"$T/err"
check base_with_next_boot_is_a_usage_error bash -c "[ $? = 2 ] && grep -q 'the base is known' '$T/err'"

# with the base: only a.conf changes, to the base's version
"$SI" reset "$T/i.img" --base "$BASE" /etc/app/a.conf >"$T/out" 2>"$T/err"
check with_base_succeeds [ $? = 0 ] || cat "$T/err"
check with_base_reports_what_it_changed bash -c "
    grep -q 'reset /etc/app/a.conf (its version is in reconcile/etc/backups/' '$T/out' &&
    grep -q 'no longer opaque: /etc/app; whiteouts added (what it hid stays hidden): /etc/app/b.conf, /etc/app/deep; marked opaque (the base.s dir stays hidden): /etc/app/sub, /etc/app/sub2' '$T/out'"
# same_view NAME WANT GOT: PASS when the views are equal, else FAIL with their difference
same_view() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "$(diff <(echo "$2") <(echo "$3") | head -n 6 | tr '\n' ' ')"; fi
}
after=$(view "$T/i.img")
want=${before/": mine-a"/": base-a"}
check merged_view_shows_the_base_version bash -c "[ '$before' != '$want' ] && grep -qx './app/a.conf: base-a' <<<'$after'"
same_view merged_view_changed_for_that_path_only "$want" "$after"
run_id=$(sed -n 's|.*reconcile/etc/backups/\([^/]*\)/app/a.conf).*|\1|p' "$T/out")
check old_version_in_the_backups bash -c "debugfs -R 'cat /reconcile/etc/backups/$run_id/app/a.conf' '$T/i.img' 2>/dev/null | grep -qx mine-a"
check no_journal_left bash -c "! debugfs -R 'stat /reconcile/etc/journal' '$T/i.img' 2>&1 | grep -q 'Inode:'"
# deeper: through app (no longer opaque) and sub (marked opaque by the first reset)
"$SI" reset "$T/i.img" --base "$BASE" /etc/app/sub/c.conf >"$T/out" 2>"$T/err"
same_view nested_reset_changes_that_path_only \
    "${after/": mine-c"/": base-c"}" "$(view "$T/i.img")"
check nested_reset_reported grep -q 'no longer opaque: /etc/app/sub; whiteouts added (what it hid stays hidden): /etc/app/sub/x.conf' "$T/out"
# a path inside an opaque dir that the base does not have: only moved, the dir stays opaque
cp --sparse=always "$T/i0.img" "$T/o.img"
"$SI" reset "$T/o.img" --base "$BASE" /etc/app/own.conf >"$T/out" 2>"$T/err"
check path_the_base_lacks_only_moved bash -c "[ $? = 0 ] && grep -q 'reset /etc/app/own.conf' '$T/out' && ! grep -q 'no longer opaque\|marked opaque' '$T/out'"
same_view path_the_base_lacks_only_gone "$(sed '/^\.\/app\/own\.conf/d' <<<"$before")" "$(view "$T/o.img")"
rm -f "$T/o.img"

# --- killed at every step: before or after, never in between; the same command finishes it
want_c=${before/": mine-c"/": base-c"}
crashes=0
for step in $(seq 1 40); do
    cp --sparse=always "$T/i0.img" "$T/c.img"
    SHAREDROOT_RECONCILE_CRASH_AT=$step "$SI" reset "$T/c.img" --base "$BASE" /etc/app/sub/c.conf >/dev/null 2>&1
    rc=$?
    [ $rc = 99 ] || break
    crashes=$((crashes + 1))
    # overlayfs lists the whiteouts already made in the still opaque dir (names that cannot be
    # opened: the boot finishes the reset before it mounts the overlay); nothing else differs
    got=$(view "$T/c.img" | grep -v '^PHANTOM ')
    if [ "$got" != "$before" ] && [ "$got" != "$want_c" ]; then
        fail "crash_at_step_${step}_merged_view_before_or_after" "$(diff <(echo "$before") <(echo "$got") | head -n 5)"
    fi
    "$SI" reset "$T/c.img" --base "$BASE" /etc/app/sub/c.conf >"$T/out" 2>&1
    rc=$?
    got=$(view "$T/c.img")
    if [ $rc != 0 ] || [ "$got" != "$want_c" ] || ! grep -q 'interrupted apply or reset was finished first' "$T/out" ||
        ! grep -q 'reset /etc/app/sub/c.conf' "$T/out"; then
        fail "crash_at_step_${step}_finished_by_the_same_command" "rc=$rc $(head -c 300 "$T/out")"
    fi
done
if [ "$crashes" -ge 13 ]; then
    pass crash_at_every_step_before_or_after_then_finished
else
    fail crash_at_every_step_before_or_after_then_finished "only $crashes crash points (last rc=$rc)"
fi
rm -f "$T/c.img"

# --- reset --next-boot: the boot's reconcile stage, with the base it boots
BL=srro$$
mkfs.ext4 -q -F -L "$BL" -d "$BASE" "$T/base.img" 16M 2>/dev/null
loop_attach "$T/base.img" || { skip next_boot "no loop device"; exit 0; }
"$SI" create "$T/n.img" --size 32M >/dev/null 2>"$T/err"
loop_attach "$T/n.img"
NDEV=$LOOP
INST=/run/sharedroot/instance
# run CMDLINE AFTER: a test run of the init in a private namespace with its own /run; AFTER
# runs there with the init's mounts in place (output in $T/after)
run() {
    echo "$1" >"$T/cmdline"
    # shellcheck disable=SC2016  # the script's variables come from its environment
    AFTER=$2 OUT=$T/bout AOUT=$T/after unshare -m --propagation private bash -c '
        mount -t tmpfs tmpfs /run || exit 99
        "$@" >"$OUT" 2>&1; echo $? >"$OUT.rc"
        (eval "$AFTER") >"$AOUT" 2>&1' - \
        "$INIT" --cmdline "$T/cmdline" --sysroot "$T/sysroot"
    RC=$(cat "$T/bout.rc")
}
run "root=LABEL=$BL sharedroot.instance=$NDEV" "
    $(declare -f guest_edit listing)
    guest_edit $T/sysroot/etc && listing $T/sysroot/etc/app >$T/nb-before
    '$SI' reset --next-boot /etc/app/a.conf; echo rc=\$?"
check next_boot_requested bash -c "[ $RC = 0 ] && grep -qx rc=0 '$T/after' && grep -q '^/etc/app/a.conf: reset at the next boot' '$T/after'"
run "root=LABEL=$BL sharedroot.instance=$NDEV" "
    $(declare -f listing)
    listing $T/sysroot/etc/app >$T/nb-after
    cat $INST/reconcile/etc/backups/*/app/a.conf"
check next_boot_reported bash -c "[ $RC = 0 ] && grep -q 'reconcile /etc: reset as asked (sharedroot-instance reset --next-boot): app/a.conf; the old versions are in .*; no longer opaque: app; whiteouts added (what it hid stays hidden): app/b.conf, app/deep; marked opaque (the base.s dir stays hidden): app/sub, app/sub2' '$T/bout'"
check next_boot_base_version_visible_rest_unchanged bash -c "
    [ \"\$(sed 's|^\./a\.conf: mine-a$|./a.conf: base-a|' '$T/nb-before')\" = \"\$(cat '$T/nb-after')\" ] &&
    grep -qx './a.conf: base-a' '$T/nb-after' && ! grep -q 'b.conf\|x.conf\|e.conf\|deep' '$T/nb-after'"
check next_boot_old_version_in_the_backups grep -qx mine-a "$T/after"

# --- a reset killed mid-way offline, then booted: the boot finishes it before it mounts the
# overlay, whatever sharedroot.reconcile= says, so the guest never sees the half-done dir
"$SI" create "$T/k.img" --size 32M >/dev/null 2>"$T/err"
unshare -m --propagation private bash -c "
    mkdir -p '$T/m' '$T/merged' && mount -o loop '$T/k.img' '$T/m' &&
    mount -t overlay overlay -o lowerdir='$BASE/etc',upperdir='$T/m/overlay/etc/upper',workdir='$T/m/overlay/etc/work' '$T/merged' || exit 1
    $(declare -f guest_edit); guest_edit '$T/merged'" 2>"$T/err"
kbefore=$(view "$T/k.img")
SHAREDROOT_RECONCILE_CRASH_AT=4 "$SI" reset "$T/k.img" --base "$BASE" /etc/app/a.conf >/dev/null 2>&1
rc=$?
check killed_offline_reset_left_whiteouts_in_the_opaque_dir bash -c "[ $rc = 99 ] && grep -q '^PHANTOM ./app/b.conf' <<<'$(view "$T/k.img")'"
detached "$T/k.img"
loop_attach "$T/k.img"
run "root=LABEL=$BL sharedroot.instance=$LOOP sharedroot.reconcile=off" "
    $(declare -f listing)
    cd $T/sysroot/etc && listing . | grep '^\./app\|^PHANTOM'"
check boot_finishes_an_interrupted_reset bash -c "[ $RC = 0 ] && grep -q 'reconcile /etc: an interrupted reset (or apply) was finished first' '$T/bout' &&
    grep -q 'reconcile /etc: reset as asked (sharedroot-instance reset --next-boot): app/a.conf' '$T/bout'"
same_view boot_shows_the_finished_reset "$(grep '^\./app' <<<"${kbefore/": mine-a"/": base-a"}")" "$(cat "$T/after")"
