#!/bin/bash
# shellcheck disable=SC2015,SC2016  # pass and fail only print: "A && pass || fail" is an if; the inner scripts take their arguments
# The base fingerprint on image bases (overlay-reconcile FINGERPRINT): ext4 and erofs images
# built by sharedroot-mkbase from two trees that differ only in one file's content (same size,
# same mtime, as a reproducible build gives) must be told apart, loop-mounted read-only in a
# private mount namespace at one mount point as the boot does. For each type:
#   - /etc (small: content hashed on erofs; on ext4, whose UUID mkbase derived from the
#     content and sealed, the stat walk and the UUID) v1 recorded, v1 again is "unchanged",
#     v2 is recorded (a stat walk alone took v2 for v1, so the host never got the update and
#     --report said the host's later edit of the file was a merge against v1);
#   - two builds given one UUID by hand (-U) are not sealed: /etc's content tells them apart;
#   - a sealed ext4 base changed in place (same size, mtime put back) is recorded again;
#   - a sealed ext4 base never written since mkbase is fingerprinted by its UUID (no walk); one
#     written by the kernel (a read-write mount), debugfs or tune2fs is walked again;
#   - the host's edit made on v2 is "unchanged" by the next report (the merge base is v2);
#   - /var (over the hash budget: the stat walk and the filesystem's UUID) tells the two
#     apart by the UUID mkbase derives from the tree's content; with one UUID given to both
#     (-U) it cannot, and says so ("too many to hash at boot");
#   - an old state (a history written by the previous fingerprint rule) is recorded once
#     again as "the same content as the last record", not as a change.
# $1 = the build dir (with reconcile/ and mkbase/). Needs root, mkfs.ext4, mkfs.erofs.
set -u
B=${1:?usage: reconcile-images.sh BUILDDIR}
O=$B/reconcile/overlay-reconcile
M=$B/mkbase/sharedroot-mkbase
# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need reconcile_images mkfs.ext4 mkfs.erofs unshare jq debugfs tune2fs
[ -x "$O" ] && [ -x "$M" ] || { fail reconcile_images "$O or $M not built"; exit 1; }
T=$(mktemp -d /tmp/sharedroot-rcimg.XXXXXX)
trap 'rm -rf "$T"' EXIT

# tree DIR VALUE VARBYTE: a small base; /etc/app.conf holds VALUE (one digit: the size stays),
# /var/lib/big 9 MiB (over the hash budget) ending in VARBYTE; every time settled to one
# instant, as SOURCE_DATE_EPOCH builds do
tree() {
    local d=$1
    mkdir -p "$d/etc/default" "$d/var/lib" "$d/sbin"
    printf 'value=%s\na\nb\nc\nname=app\n' "$2" >"$d/etc/app.conf"
    printf 'fixed\n' >"$d/etc/default/other"
    ln -s app.conf "$d/etc/app.link"
    head -c 9437183 /dev/zero >"$d/var/lib/big"
    printf '%s' "$3" >>"$d/var/lib/big"
    printf '#!/bin/sh\n' >"$d/sbin/init"
    chmod 755 "$d/sbin/init"
    find "$d" -exec touch -h -d @1700000000 {} +
}
tree "$T/v1" 1 a
tree "$T/v2" 2 b

# record IMG TYPE DIR STORE [overlay-reconcile args...]: the image mounted read-only at $T/mnt,
# overlay-reconcile --record of $T/mnt/DIR into STORE (then the rest of the command, if any)
record() {
    local img=$1 t=$2 dir=$3 store=$4
    shift 4
    unshare -m --propagation private bash -c '
        mount -o ro,loop -t "$1" "$2" "$3" || exit 77
        if [ $# -eq 6 ]; then exec "$4" --record --lower "$3/$5" --store "$6"; fi
        "$4" --record --lower "$3/$5" --store "$6" >/dev/null || exit $?
        shift 6
        "$@"' - "$t" "$img" "$T/mnt" "$O" "$dir" "$store" "$@"
}
mkdir -p "$T/mnt"
UNTOUCHED="the UUID of an image sharedroot-mkbase sealed, not written since: no walk"
WALKED="stat walk and the UUID sharedroot-mkbase derived from the content"

for t in ext4 erofs; do
    for v in v1 v2; do
        "$M" --type "$t" -o "$T/$t-$v.img" "$T/$v" >"$T/mk.out" 2>&1 ||
            { fail "${t}_mkbase" "$(cat "$T/mk.out")"; continue 2; }
    done
    S=$T/$t-store
    out=$(record "$T/$t-v1.img" "$t" etc "$S/etc" 2>&1)
    echo "$out" | grep -q ': recorded ' && pass "${t}_etc_v1_recorded" || fail "${t}_etc_v1_recorded" "$out"
    out=$(record "$T/$t-v1.img" "$t" etc "$S/etc" 2>&1)
    # erofs: the content is hashed; ext4 by mkbase (UUID derived from the content, sealed,
    # never written since): the UUID, no walk
    if [ "$t" = erofs ]; then want="stat walk and the content of 2 files, 0 KiB: a read-only image"
    else want="$UNTOUCHED"; fi
    echo "$out" | grep -q "base unchanged (.*$want)" &&
        pass "${t}_etc_v1_again_unchanged_without_reading_twice" || fail "${t}_etc_v1_again_unchanged_without_reading_twice" "$out"
    # the host edits app.conf on v1 (its last line)
    mkdir -p "$T/$t-upper"
    sleep 0.05
    printf 'value=1\na\nb\nc\nname=App\n' >"$T/$t-upper/app.conf"
    sleep 0.05
    out=$(record "$T/$t-v2.img" "$t" etc "$S/etc" 2>&1)
    echo "$out" | grep -q ': recorded ' && pass "${t}_etc_v2_content_change_recorded" ||
        fail "${t}_etc_v2_content_change_recorded" "taken for v1: $out"
    # v2 is a base update of app.conf the host also changed: a merge against v1 (the merge
    # base of the host's copy), which the policy applies
    out=$(record "$T/$t-v2.img" "$t" etc "$S/etc" "$O" --lower "$T/mnt/etc" --upper "$T/$t-upper" \
        --store "$S/etc" --apply --policy merge --json 2>&1)
    echo "$out" | jq -e '.overlays[0].entries[] | select(.path == "app.conf") | .outcome == "merged"' >/dev/null &&
        [ "$(cat "$T/$t-upper/app.conf")" = "$(printf 'value=2\na\nb\nc\nname=App')" ] && pass "${t}_etc_v2_merged_into_the_host_copy" ||
        fail "${t}_etc_v2_merged_into_the_host_copy" "$out / $(cat "$T/$t-upper/app.conf")"
    # the host edits it again on v2: the next report calls it the host's own (merge base v2)
    sleep 0.05
    printf 'value=2\na\nb\nc\nname=APP\n' >"$T/$t-upper/app.conf"
    out=$(record "$T/$t-v2.img" "$t" etc "$S/etc" "$O" --lower "$T/mnt/etc" --upper "$T/$t-upper" \
        --store "$S/etc" --json 2>&1)
    echo "$out" | jq -e '.overlays[0].entries[] | select(.path == "app.conf") | .outcome == "unchanged"' >/dev/null &&
        pass "${t}_report_after_v2_says_unchanged" || fail "${t}_report_after_v2_says_unchanged" "$out"

    # /var: 9 MiB of files, over the budget: the filesystem UUID tells v1 and v2 apart
    out=$(record "$T/$t-v1.img" "$t" var "$S/var" 2>&1 && record "$T/$t-v1.img" "$t" var "$S/var" 2>&1)
    if [ "$t" = erofs ]; then want="stat walk and the filesystem's UUID: .*too many to hash at boot"
    else want="$UNTOUCHED"; fi
    echo "$out" | grep -q "base unchanged (.*$want" &&
        pass "${t}_var_over_budget_stat_and_uuid" || fail "${t}_var_over_budget_stat_and_uuid" "$out"
    out=$(record "$T/$t-v2.img" "$t" var "$S/var" 2>&1)
    echo "$out" | grep -q ': recorded ' && pass "${t}_var_v2_told_apart_by_uuid" ||
        fail "${t}_var_v2_told_apart_by_uuid" "$out"
    # both built with one UUID: nothing tells them apart, as documented
    U=0b5e0b5e-0000-4000-8000-00000000000$([ "$t" = ext4 ] && echo 1 || echo 2)
    "$M" --type "$t" -U "$U" -o "$T/$t-u1.img" "$T/v1" >/dev/null 2>&1 &&
        "$M" --type "$t" -U "$U" -o "$T/$t-u2.img" "$T/v2" >/dev/null 2>&1 &&
        record "$T/$t-u1.img" "$t" var "$T/$t-ustore" >/dev/null 2>&1
    out=$(record "$T/$t-u2.img" "$t" var "$T/$t-ustore" 2>&1)
    echo "$out" | grep -q 'base unchanged' && pass "${t}_var_same_uuid_is_the_documented_limit" ||
        fail "${t}_var_same_uuid_is_the_documented_limit" "$out"
    # /etc of those two: a UUID given by hand is not sealed, so the content is hashed and
    # tells them apart (a fingerprint resting on the UUID would take u2 for u1)
    record "$T/$t-u1.img" "$t" etc "$T/$t-uetc" >/dev/null 2>&1
    out=$(record "$T/$t-u2.img" "$t" etc "$T/$t-uetc" 2>&1)
    echo "$out" | grep -q ': recorded ' && pass "${t}_etc_same_uuid_by_hand_told_apart_by_content" ||
        fail "${t}_etc_same_uuid_by_hand_told_apart_by_content" "taken for u1: $out"
done

# A sealed ext4 base changed in place (mounted read-write, a file rewritten with the same size
# and its mtime put back): the UUID still says v1, the stat walk sees the change
cp "$T/ext4-v1.img" "$T/ext4-ip.img"
record "$T/ext4-ip.img" ext4 etc "$T/ip-store" >/dev/null 2>&1
unshare -m --propagation private bash -c '
    mount -o loop "$1" "$2" && printf "value=9\na\nb\nc\nname=app\n" >"$2/etc/app.conf" &&
    touch -d @1700000000 "$2/etc/app.conf" && umount "$2"' - "$T/ext4-ip.img" "$T/mnt"
out=$(record "$T/ext4-ip.img" ext4 etc "$T/ip-store" 2>&1)
echo "$out" | grep -q ': recorded ' && pass ext4_sealed_base_changed_in_place_recorded ||
    fail ext4_sealed_base_changed_in_place_recorded "taken for the unchanged base: $out"

# A sealed ext4 base written after mkbase, its files' content untouched: the kernel's
# read-write mount (nothing changed), debugfs writing a file with its clock set to the tree's
# time (E2FSPROGS_FAKE_TIME, as mkbase builds), tune2fs changing the label: each moves the
# sealed write state, so the base is walked again (recorded once more, then unchanged by
# the stat walk), never taken for the untouched image by its UUID
written() { # NAME COMMAND...: COMMAND writes $T/wr.img, a copy of the sealed v1 recorded once
    local n=$1
    shift
    rm -rf "$T/wr-store"
    cp "$T/ext4-v1.img" "$T/wr.img"
    out=$(record "$T/wr.img" ext4 etc "$T/wr-store" 2>&1 && record "$T/wr.img" ext4 etc "$T/wr-store" 2>&1)
    echo "$out" | grep -q "base unchanged (.*$UNTOUCHED" || { fail "$n" "not untouched before: $out"; return; }
    "$@" >"$T/wr.out" 2>&1 || { fail "$n" "$* failed: $(cat "$T/wr.out")"; return; }
    out=$(record "$T/wr.img" ext4 etc "$T/wr-store" 2>&1)
    echo "$out" | grep -q ': recorded ' || { fail "$n" "taken for the untouched image: $out"; return; }
    out=$(record "$T/wr.img" ext4 etc "$T/wr-store" 2>&1)
    echo "$out" | grep -q "base unchanged (.*$WALKED" && pass "$n" || fail "$n" "not walked: $out"
}
written ext4_sealed_rw_mounted_walked_again unshare -m --propagation private bash -c \
    'mount -o loop "$1" "$2" && umount "$2"' - "$T/wr.img" "$T/mnt"
printf 'new\n' >"$T/new-file"
written ext4_sealed_debugfs_write_walked_again env E2FSPROGS_FAKE_TIME=1700000000 \
    debugfs -w -R "write $T/new-file etc/new" "$T/wr.img"
written ext4_sealed_tune2fs_walked_again tune2fs -L other "$T/wr.img"

# An old state: the history names a fingerprint of the previous rule. The next record is a new
# fingerprint with the same content, said so, and the host's classification does not change.
S=$T/old-store
record "$T/erofs-v1.img" erofs etc "$S" >/dev/null 2>&1
old=0000000000000000000000000000000000000000000000000000000000000001
fp=$(cut -d' ' -f2 "$S/history")
mv "$S/snapshots/$fp" "$S/snapshots/$old" && sed -i "s/$fp/$old/" "$S/history"
mkdir -p "$T/old-upper"
sleep 0.05
printf 'value=1\na\nb\nc\nname=app\n' >"$T/old-upper/app.conf" && chmod 600 "$T/old-upper/app.conf"
before=$(record "$T/erofs-v1.img" erofs etc "$T/scratch-store" "$O" --lower "$T/mnt/etc" \
    --upper "$T/old-upper" --store "$S" --json 2>/dev/null | jq -c '[.overlays[0].entries[] | {path, outcome}]')
out=$(record "$T/erofs-v1.img" erofs etc "$S" 2>&1)
echo "$out" | grep -q 'recorded .*0 new objects (the same content as the last record)' &&
    pass old_state_recorded_again_as_same_content || fail old_state_recorded_again_as_same_content "$out"
after=$(record "$T/erofs-v1.img" erofs etc "$T/scratch-store" "$O" --lower "$T/mnt/etc" \
    --upper "$T/old-upper" --store "$S" --json 2>/dev/null | jq -c '[.overlays[0].entries[] | {path, outcome}]')
[ -n "$before" ] && [ "$before" = "$after" ] && pass old_state_outcomes_unchanged ||
    fail old_state_outcomes_unchanged "$before / $after"
out=$(record "$T/erofs-v1.img" erofs etc "$S" 2>&1)
echo "$out" | grep -q 'base unchanged' && pass old_state_then_unchanged || fail old_state_then_unchanged "$out"
