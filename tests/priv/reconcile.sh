#!/bin/bash
# shellcheck disable=SC2015,SC2181  # pass and fail only print: "A && pass || fail" is an if; statuses are compared as numbers
# overlay-reconcile as a command: options and exit codes, the state file, refusing without
# CAP_SYS_ADMIN, refusing to apply to the upper of a mounted overlay (a real overlay in a
# private mount namespace), and an apply killed at every step (SHAREDROOT_RECONCILE_CRASH_AT)
# that the next run completes. $1 = the build dir (with reconcile/). Needs root.
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
trap 'umount -l "$T/m" 2>/dev/null; rm -rf "$T"' EXIT

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
exit 0
