#!/bin/bash
# shellcheck disable=SC2317  # cleanup (the EXIT trap) runs indirectly
# shellcheck disable=SC2015,SC2181  # pass and fail only print: "A && pass || fail" is an if; statuses are compared as numbers
# overlay-reconcile as a command: options and exit codes, the state file, refusing without
# CAP_SYS_ADMIN, refusing to apply to the upper of a mounted overlay (a real overlay in a
# private mount namespace), an apply killed at every step (SHAREDROOT_RECONCILE_CRASH_AT)
# that the next run completes; a hostile instance disk (a loop-mounted ext4 with symlinks
# planted in its store, upper and above) against a scratch "Dom0" dir that must stay
# untouched, by the command and by sharedroot-init's reconcile stage; a Dom0 apply that
# records the new base; quiet lock-file churn. $1 = the build dir (with reconcile/, init/).
# Needs root.
set -u
B=${1:?usage: reconcile.sh BUILDDIR}
O=$B/reconcile/overlay-reconcile

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    skip reconcile "needs root"
    exit 0
fi
if [ ! -x "$O" ]; then
    fail reconcile "$O not built"
    exit 1
fi
T=$(mktemp -d /tmp/sharedroot-reconcile.XXXXXX)
LOOPS=()
cleanup() {
    local l
    umount -l "$T/m" 2>/dev/null
    # sharedroot-init sets its root device read-only (BLKROSET), which outlives the loop
    for l in "${LOOPS[@]}"; do blockdev --setrw "$l" 2>/dev/null; losetup -d "$l" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

# scenario DIR: base v1 recorded, host edits, base v2 recorded (as the boot does).
scenario() {
    local d=$1
    rm -rf "$d"
    mkdir -p "$d/lower" "$d/upper"
    printf 'a\nb\nc\nd\ne\nf\ng\n' >"$d/lower/merge.conf"
    echo one >"$d/lower/conflict.conf"
    echo x >"$d/lower/same"
    "$O" --record --lower "$d/lower" --store "$d/store" >/dev/null || return 1
    sleep 0.05
    printf 'A\nb\nc\nd\ne\nf\ng\n' >"$d/upper/merge.conf"
    echo host >"$d/upper/conflict.conf"
    echo x >"$d/upper/same"
    sleep 0.05
    printf 'a\nb\nc\nd\ne\nf\nG\n' >"$d/lower/merge.conf"
    echo two >"$d/lower/conflict.conf"
    "$O" --record --lower "$d/lower" --store "$d/store" >/dev/null
}

# --- options and exit codes ---
"$O" --help | grep -q -- --merge-base && pass help_lists_options || fail help_lists_options
"$O" --version | grep -qE '^overlay-reconcile [0-9]' && pass version_prints || fail version_prints
"$O" --bogus 2>/dev/null
[ $? -eq 2 ] && pass unknown_option_exits_2 || fail unknown_option_exits_2
"$O" --lower /nonexistent 2>/dev/null
[ $? -eq 2 ] && pass lower_without_upper_exits_2 || fail lower_without_upper_exits_2
"$O" --policy merge --lower "$T" --upper "$T" 2>/dev/null
[ $? -eq 2 ] && pass policy_without_apply_exits_2 || fail policy_without_apply_exits_2

scenario "$T/s" || fail scenario "recording failed"
out=$("$O" --lower "$T/s/lower" --upper "$T/s/upper" --store "$T/s/store" --diff)
rc=$?
[ $rc -eq 1 ] && pass attention_exits_1 || fail attention_exits_1 "status $rc"
echo "$out" | grep -q '^merged (1):' && echo "$out" | grep -q '^conflict (1):' &&
    echo "$out" | grep -q '^redundant (1):' && pass text_groups_by_outcome ||
    fail text_groups_by_outcome "$out"
echo "$out" | grep -q '^+G$' && pass diff_shows_merge || fail diff_shows_merge "$out"
json=$("$O" --lower "$T/s/lower" --upper "$T/s/upper" --store "$T/s/store" --json)
if echo "$json" | jq -e '.version == 1 and (.overlays[0].entries | map(.outcome) | sort) == ["conflict","merged","redundant"]' >/dev/null; then
    pass json_schema_outcomes
else fail json_schema_outcomes "$json"; fi
mkdir -p "$T/clean/lower" "$T/clean/upper"
"$O" --lower "$T/clean/lower" --upper "$T/clean/upper" >/dev/null
[ $? -eq 0 ] && pass nothing_to_do_exits_0 || fail nothing_to_do_exits_0
"$O" --lower "$T/s/lower" --upper "$T/s/upper" --upper "$T/clean/upper" --store "$T/s/store" --json |
    jq -e '.overlays | length == 2' >/dev/null && pass upper_repeats || fail upper_repeats

# --- the state file ---
cat >"$T/state" <<EOS
# written by sharedroot-init
MODE=persistent
OVERLAY_COUNT=1
OVERLAY_0_DIR=/etc
OVERLAY_0_LOWER="$T/s/lower"
OVERLAY_0_UPPER="$T/s/upper"
OVERLAY_0_WORK=$T/s/work
OVERLAY_0_STORE=$T/s/store
EOS
"$O" --report --state "$T/state" --json | jq -e '.overlays[0].name == "/etc" and .overlays[0].counts.merged == 1' >/dev/null &&
    pass state_file_overlays || fail state_file_overlays
# the order sharedroot-init's publish.c writes: every overlay's keys, then OVERLAY_COUNT
cat >"$T/state-init-order" <<EOS
MODE="instance"
OVERLAY_0_DIR="/etc"
OVERLAY_0_LOWER="$T/s/lower"
OVERLAY_0_UPPER="$T/s/upper"
OVERLAY_0_WORK="$T/s/work"
OVERLAY_0_STORE="$T/s/store"
OVERLAY_COUNT="1"
EOS
"$O" --report --state "$T/state-init-order" --json | jq -e '.overlays | length == 1 and .[0].counts.merged == 1' >/dev/null &&
    pass state_file_count_last || fail state_file_count_last
"$O" --report --state "$T/missing" 2>/dev/null
[ $? -eq 2 ] && pass missing_state_exits_2 || fail missing_state_exits_2

# --- without CAP_SYS_ADMIN: refuse rather than miss markers ---
if command -v capsh >/dev/null; then
    err=$(capsh --drop=cap_sys_admin -- -c "'$O' --lower '$T/s/lower' --upper '$T/s/upper'" 2>&1)
    rc=$?
    if [ $rc -eq 2 ] && echo "$err" | grep -q CAP_SYS_ADMIN; then pass refuses_without_cap_sys_admin
    else fail refuses_without_cap_sys_admin "status $rc: $err"; fi
    capsh --drop=cap_sys_admin -- -c "'$O' --userxattr --lower '$T/s/lower' --upper '$T/s/upper'" >/dev/null 2>&1
    [ $? -eq 1 ] && pass userxattr_works_without_cap || fail userxattr_works_without_cap
else
    skip refuses_without_cap_sys_admin "capsh not installed (libcap2-bin)"
fi

# --- refuse to apply to the upper of a mounted overlay ---
scenario "$T/m1"
mkdir -p "$T/m1/work" "$T/m"
out=$(unshare -m --propagation private bash -c "
    mount -t overlay ov -o lowerdir='$T/m1/lower',upperdir='$T/m1/upper',workdir='$T/m1/work' '$T/m' || exit 77
    '$O' --lower '$T/m1/lower' --upper '$T/m1/upper' --store '$T/m1/store' --apply 2>&1
    echo status=\$?" 2>&1)
rc=$?
if [ $rc -eq 77 ]; then skip apply_refused_on_mounted_upper "cannot mount overlay here"
elif echo "$out" | grep -q 'status=2' && echo "$out" | grep -q 'mounted overlay' &&
    [ "$(cat "$T/m1/upper/same")" = x ]; then pass apply_refused_on_mounted_upper
else fail apply_refused_on_mounted_upper "$out"; fi

# --- killed at every step, completed by the next run ---
scenario "$T/ref"
"$O" --lower "$T/ref/lower" --upper "$T/ref/upper" --store "$T/ref/store" --apply --policy merge >/dev/null
want=$(cd "$T/ref/upper" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | sort && cat merge.conf conflict.conf)
crashes=0
for step in $(seq 1 30); do
    scenario "$T/c"
    SHAREDROOT_RECONCILE_CRASH_AT=$step "$O" --lower "$T/c/lower" --upper "$T/c/upper" \
        --store "$T/c/store" --apply --policy merge >/dev/null 2>&1
    rc=$?
    [ $rc -eq 99 ] || break
    crashes=$((crashes + 1))
    "$O" --lower "$T/c/lower" --upper "$T/c/upper" --store "$T/c/store" --apply --policy merge >/dev/null 2>&1
    got=$(cd "$T/c/upper" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | sort && cat merge.conf conflict.conf)
    if [ "$got" != "$want" ] || [ -e "$T/c/store/journal" ]; then
        fail "crash_at_step_${step}_completes" "$got"
        continue
    fi
done
[ $crashes -ge 5 ] && pass crash_at_every_step_completes_next_run ||
    fail crash_at_every_step_completes_next_run "only $crashes crash points"
# A store keeps the content of base files up to 1 MiB (RC_STORE_CONTENT_MAX) and only the hash
# of bigger ones (package lists, caches in /var): they are still classified, but get no merge.
big=$T/big
mkdir -p "$big/lower" "$big/upper"
awk 'BEGIN { for (i = 0; i < 40000; i++) printf "line %06d of a big text file\n", i }' >"$big/lower/big.list"
echo small >"$big/lower/small.conf"
"$O" --record --lower "$big/lower" --store "$big/store" >/dev/null
check store_keeps_small_content_only [ "$(find "$big/store/objects" -type f | wc -l)" = 1 ]
sleep 0.05
sed '1s/.*/host line/' "$big/lower/big.list" >"$big/upper/big.list"
sleep 0.05
sed -i '$s/.*/base line/' "$big/lower/big.list"
"$O" --json --lower "$big/lower" --upper "$big/upper" --store "$big/store" >"$T/big.json"
check big_file_is_classified_without_content \
    grep -q '"path":"big.list","outcome":"conflict".*too large for a merge' "$T/big.json"
cp "$big/lower/big.list" "$big/upper/big.list"
"$O" --json --lower "$big/lower" --upper "$big/upper" --store "$big/store" >"$T/big2.json"
check big_file_redundant_copy_found_by_hash grep -q '"path":"big.list","outcome":"redundant"' "$T/big2.json"

# --- issue 16: a Dom0 apply of a base the host never booted records that base
scenario "$T/d0" && sleep 0.05
# base v3, never recorded (a new image previewed and settled on Dom0 before any boot)
printf 'a\nb\nc\nd\ne\nf\nG\nh\n' >"$T/d0/lower/merge.conf"
"$O" --lower "$T/d0/lower" --upper "$T/d0/upper" --store "$T/d0/store" --apply --policy merge --json >"$T/d0.json"
jq -e '.overlays[0].entries[] | select(.path == "merge.conf") | .outcome == "merged" and .applied' "$T/d0.json" >/dev/null ||
    fail dom0_apply_merges "$(cat "$T/d0.json")"
"$O" --lower "$T/d0/lower" --upper "$T/d0/upper" --store "$T/d0/store" --json >"$T/d0b.json"
jq -e '.overlays[0].entries[] | select(.path == "merge.conf") | .outcome == "unchanged"' "$T/d0b.json" >/dev/null &&
    pass dom0_apply_records_the_new_base || fail dom0_apply_records_the_new_base "$(cat "$T/d0b.json")"
"$O" --record --lower "$T/d0/lower" --store "$T/d0/store" | grep -q 'base unchanged' &&
    pass dom0_apply_then_boot_is_a_stat_walk || fail dom0_apply_then_boot_is_a_stat_walk

# --- --diff --apply shows what was changed (from the backup), not "(no diff: ...)"
scenario "$T/da"
out=$("$O" --lower "$T/da/lower" --upper "$T/da/upper" --store "$T/da/store" --apply --policy merge --diff 2>&1)
if ! echo "$out" | grep -q '(no diff' && echo "$out" | grep -q '^-g$' && echo "$out" | grep -q '^+G$' &&
    echo "$out" | grep -q '^  changed (merge): removed 1 redundant copy: same; rewrote 1 file'; then
    pass diff_apply_shows_the_change
else fail diff_apply_shows_the_change "$out"; fi

# --- issue 16: lock-file churn raises no warning; --ignore none brings it back
mkdir -p "$T/lk/lower" "$T/lk/upper"
: >"$T/lk/lower/.pwd.lock"; : >"$T/lk/upper/.pwd.lock"; chmod 600 "$T"/lk/*/.pwd.lock
mkdir -p "$T/lk/i/overlay/etc"; mv "$T/lk/upper" "$T/lk/i/overlay/etc/upper"
out=$("$O" --lower "$T/lk/lower" --upper "$T/lk/i/overlay/etc/upper" --store "$T/lk/store" --apply)
rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '^ignored (1):' && [ -e "$T/lk/i/overlay/etc/upper/.pwd.lock" ] &&
    pass lock_file_churn_is_quiet || fail lock_file_churn_is_quiet "status $rc: $out"
"$O" --lower "$T/lk/lower" --upper "$T/lk/i/overlay/etc/upper" --ignore none >/dev/null
[ $? -eq 1 ] && pass ignore_none_reports_it || fail ignore_none_reports_it

# --- issue 16: a missing dir is named, and an instance disk says where its dirs are
mkdir -p "$T/i1/overlay/etc/upper" "$T/i1/overlay/var/upper" "$T/i1/reconcile/etc" && : >"$T/i1/.sharedroot-instance"
err=$("$O" --lower "$T/s/lower" --upper "$T/i1/overlay/etc/uper" 2>&1)
rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q "the upper dir: $T/i1/overlay/etc/uper: No such file or directory" &&
    echo "$err" | grep -q "overlay/etc/upper, overlay/var/upper" && echo "$err" | grep -q "stores: reconcile/etc" &&
    pass missing_upper_is_named_with_the_instance_layout || fail missing_upper_is_named_with_the_instance_layout "$err"

# --- the state file: an empty value is an error naming its key (finding 2)
printf 'OVERLAY_COUNT=1\nOVERLAY_0_DIR=/etc\nOVERLAY_0_LOWER=%s\nOVERLAY_0_UPPER=%s\nOVERLAY_0_STORE=""\n' \
    "$T/s/lower" "$T/s/upper" >"$T/state-empty"
(cd "$T" && "$O" --report --state "$T/state-empty") >"$T/se.out" 2>&1
rc=$?
garbage=0 # a release build once made a store with a garbage name in the working dir
for f in "$T"/*; do case ${f##*/} in *[!a-z0-9.-]*) garbage=1 ;; esac; done
[ $rc -eq 2 ] && grep -q 'line 5: OVERLAY_0_STORE is empty' "$T/se.out" && [ $garbage = 0 ] &&
    pass state_empty_store_is_an_error || fail state_empty_store_is_an_error "status $rc: $(cat "$T/se.out")"

# --- a hostile instance disk, mounted as Dom0 mounts one. Nothing outside it may change.
DOM0=$T/dom0
mkdir -p "$DOM0/etc/cron.d" "$DOM0/etc/upper" "$DOM0/dir"
echo 'root:x:0:0::/root:/bin/sh' >"$DOM0/etc/passwd"
# what an apply through a planted link would remove as "redundant" (the base's "same")
echo x >"$DOM0/dir/same"
echo x >"$DOM0/etc/upper/same"
printf 'a\nb\nc\n' >"$DOM0/etc/upper/base.conf" # the boot test's base has it too
dom0_state() { (cd "$DOM0" && find . -printf '%p %y %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort); }
DOM0_BEFORE=$(dom0_state)
dom0_same() { [ "$(dom0_state)" = "$DOM0_BEFORE" ]; }
# (a loop device a test before left read-only with BLKROSET is made writable again)
truncate -s 64M "$T/inst.img" && mkfs.ext4 -q -F "$T/inst.img" && INSTDEV=$(losetup --find --show "$T/inst.img") &&
    LOOPS+=("$INSTDEV") && blockdev --setrw "$INSTDEV" || { fail hostile_instance_setup "no loop device"; exit 0; }
INST=$T/inst
mkdir -p "$INST"
# hostile NAME SETUP EXPECTED-MESSAGE COMMAND...: in a private mount namespace, the instance
# disk is mounted fresh at $INST with base v1 recorded, the host's edits and base v2 (the
# scenario); SETUP plants symlinks; then COMMAND runs: it must exit 2 (or 1 for report-only),
# say EXPECTED-MESSAGE, and leave Dom0 untouched.
hostile() {
    local name=$1 setup=$2 msg=$3 out rc
    shift 3
    # shellcheck disable=SC2016  # the script's variables are its arguments
    out=$(unshare -m --propagation private bash -c '
        INST=$1 DEV=$2 O=$3 SETUP=$4; shift 4
        mount "$DEV" "$INST" || exit 77
        rm -rf "${INST:?}"/* "$INST"/.[!.]* 2>/dev/null
        : >"$INST/.sharedroot-instance"
        mkdir -p "$INST/overlay/etc/upper" "$INST/base/etc"
        printf "a\nb\nc\nd\ne\nf\ng\n" >"$INST/base/etc/merge.conf"; echo x >"$INST/base/etc/same"
        "$O" --record --lower "$INST/base/etc" --store "$INST/reconcile/etc" >/dev/null || exit 78
        sleep 0.05
        printf "A\nb\nc\nd\ne\nf\ng\n" >"$INST/overlay/etc/upper/merge.conf"; echo x >"$INST/overlay/etc/upper/same"
        sleep 0.05
        printf "a\nb\nc\nd\ne\nf\nG\n" >"$INST/base/etc/merge.conf"
        "$O" --record --lower "$INST/base/etc" --store "$INST/reconcile/etc" >/dev/null || exit 78
        eval "$SETUP" || exit 79
        "$@" 2>&1; echo "status=$?"' - "$INST" "$INSTDEV" "$O" "$setup" "$@" 2>&1)
    rc=$?
    if [ $rc -ge 77 ]; then fail "$name" "setup failed ($rc): $out"
    elif ! dom0_same; then fail "$name" "Dom0 changed: $(diff <(echo "$DOM0_BEFORE") <(dom0_state) | head -5) / $out"
    elif ! echo "$out" | grep -q 'status=[12]$'; then fail "$name" "not refused: $out"
    elif ! echo "$out" | grep -q -- "$msg"; then fail "$name" "message lacks '$msg': $out"
    else pass "$name"; fi
    DOM0_BEFORE=$(dom0_state)
}
APPLY=("$O" --lower "$INST/base/etc" --upper "$INST/overlay/etc/upper" --store "$INST/reconcile/etc" --apply --policy merge)
MERGED_XX=$(printf 'A\nb\nc\nd\ne\nf\nG\n' | sha256sum | cut -c1-2)
hostile hostile_symlinked_objects_subdir \
    "rmdir $INST/reconcile/etc/objects/$MERGED_XX 2>/dev/null; ln -s $DOM0/etc/cron.d $INST/reconcile/etc/objects/$MERGED_XX" \
    "objects/$MERGED_XX in the store is a symlink" "${APPLY[@]}"
hostile hostile_symlinked_store_tmp "rm -rf $INST/reconcile/etc/tmp; ln -s $DOM0/etc/cron.d $INST/reconcile/etc/tmp" \
    "tmp in the store is a symlink" "${APPLY[@]}"
hostile hostile_symlinked_objects_on_record \
    "mv $INST/reconcile/etc/objects $INST/objects.real; ln -s $DOM0/dir $INST/reconcile/etc/objects; echo new >$INST/base/etc/new.conf" \
    "objects in the store is a symlink" "$O" --record --lower "$INST/base/etc" --store "$INST/reconcile/etc"
hostile hostile_upper_is_a_symlink \
    "rm -rf $INST/overlay/etc/upper; ln -s $DOM0/dir $INST/overlay/etc/upper" \
    "$INST/overlay/etc/upper is a symlink" "${APPLY[@]}"
hostile hostile_upper_parent_is_a_symlink \
    "mv $INST/overlay $INST/overlay.real; ln -s $DOM0 $INST/overlay" \
    "$INST/overlay is a symlink" "${APPLY[@]}"
hostile hostile_store_is_a_symlink \
    "mv $INST/reconcile/etc $INST/store.real; ln -s $DOM0/dir $INST/reconcile/etc" \
    "$INST/reconcile/etc is a symlink" "${APPLY[@]}"
hostile hostile_report_through_symlinked_upper \
    "rm -rf $INST/overlay/etc/upper; ln -s $DOM0/etc $INST/overlay/etc/upper" \
    "is a symlink" "$O" --lower "$INST/base/etc" --upper "$INST/overlay/etc/upper" --store "$INST/reconcile/etc"
hostile hostile_cd_into_a_symlinked_upper \
    "rm -rf $INST/overlay/etc/upper; ln -s $DOM0/dir $INST/overlay/etc/upper; cd $INST/overlay/etc/upper" \
    "$INST/overlay/etc/upper is a symlink" "$O" --lower "$INST/base/etc" --upper . --store "$INST/reconcile/etc" --apply
hostile hostile_upper_equal_to_lower "true" "the same dir, or one is inside the other" \
    "$O" --lower "$INST/overlay/etc/upper" --upper "$INST/overlay/etc/upper" --store "$INST/reconcile/etc" --apply
hostile hostile_corrupt_object_never_used \
    "chmod -R u+w $INST/reconcile/etc/objects; for f in $INST/reconcile/etc/objects/*/*; do echo '* * * * * root evil' >\$f; done" \
    "does not match its name" "${APPLY[@]}"

# --- the same at boot: sharedroot-init's reconcile stage (a test run, in a private mount
# namespace with its own /run) on an instance disk with symlinks planted in its store
INIT=$B/init/sharedroot-init
if [ -x "$INIT" ]; then
    mkdir -p "$T/btree/etc" "$T/btree/var/lib" "$T/btree/sbin" "$T/sysroot"
    printf 'a\nb\nc\n' >"$T/btree/etc/base.conf"
    ln -s /bin/sh "$T/btree/sbin/init"
    BL=srrc$$
    truncate -s 16M "$T/bbase.img"; mkfs.ext4 -q -F -L "$BL" -d "$T/btree" "$T/bbase.img"
    BDEV=$(losetup --find --show -r "$T/bbase.img") && LOOPS+=("$BDEV")
    boot_attack() { # NAME PLANT(shell, in the instance tree $I) EXPECTED-LOG
        local name=$1 plant=$2 msg=$3 I=$T/itree out
        rm -rf "$I"; mkdir -p "$I/overlay/etc/upper" "$I/overlay/etc/work" "$I/overlay/var/upper" \
            "$I/overlay/var/work" "$I/reconcile/etc" "$I/tmp"
        : >"$I/.sharedroot-instance"
        printf 'a\nb\nc\n' >"$I/overlay/etc/upper/base.conf"
        (eval "$plant") || { fail "$name" "planting failed"; return; }
        rm -f "$T/iboot.img"; truncate -s 32M "$T/iboot.img"; mkfs.ext4 -q -F -d "$I" "$T/iboot.img"
        local idev
        idev=$(losetup --find --show "$T/iboot.img") && LOOPS+=("$idev") && blockdev --setrw "$idev"
        echo "root=LABEL=$BL sharedroot.instance=$idev sharedroot.timeout=5" >"$T/bcmdline"
        out=$(unshare -m --propagation private bash -c 'mount -t tmpfs tmpfs /run && exec "$@"' - \
            "$INIT" --cmdline "$T/bcmdline" --sysroot "$T/sysroot" 2>&1)
        if ! dom0_same; then fail "$name" "Dom0 changed: $(diff <(echo "$DOM0_BEFORE") <(dom0_state) | head -5)"
        elif ! echo "$out" | grep -q -- "$msg"; then fail "$name" "log lacks '$msg': $(echo "$out" | grep reconcile)"
        else pass "$name"; fi
        DOM0_BEFORE=$(dom0_state)
    }
    boot_attack boot_refuses_symlinked_store_objects "rmdir $T/itree/reconcile/etc; mkdir -p $T/itree/reconcile/etc; ln -s $DOM0/dir $T/itree/reconcile/etc/objects" \
        "objects.* in the store is a symlink"
    boot_attack boot_refuses_symlinked_store "rm -rf $T/itree/reconcile/etc; ln -s $DOM0/dir $T/itree/reconcile/etc" \
        "reconcile /etc: cannot create the record store"
    boot_attack boot_refuses_symlinked_upper "rm -rf $T/itree/overlay/etc/upper; ln -s $DOM0/etc/upper $T/itree/overlay/etc/upper" \
        "overlay/etc/upper is a symlink"
else
    skip boot_refuses_symlinked_store_objects "$INIT not built"
fi
exit 0
