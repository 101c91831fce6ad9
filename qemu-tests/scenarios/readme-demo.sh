# shellcheck shell=bash
# README.md's first command, "Two commands": its last part, qemu-tests/demo build/plain (the
# README line taken at run time, build/plain replaced by the build under test; tools/
# install-deps and tools/build are what made this build), bounded by a timeout: it exits 0,
# both guests (guest-a, guest-b, booted at once from one base) reached their init and name
# themselves, and the demo says the base is unchanged
# qt-weight: 2

scenario() {
    local line cmd out=$SCW/$SC.out pid g
    mkdir -p "$SCW"
    line=$(awk '/^## Two commands/ { s = 1 } s && /^```sh$/ { getline; print; exit }' "$QT_SELF_DIR/../README.md")
    [[ $line == *' && qemu-tests/demo build/plain' ]] || fail "README's first command no longer ends in qemu-tests/demo build/plain: $line"
    cmd=${line##*&& }
    cmd=${cmd/#qemu-tests\/demo/$QT_SELF_DIR/demo}
    cmd=${cmd/%build\/plain/$BUILD}
    note "run: $cmd"
    # shellcheck disable=SC2086  # the README's command, split into its words
    timeout -k 5 $((QT_TIMEOUT * 2)) $cmd </dev/null >"$out" 2>&1 &
    pid=$!; qt_track "$pid"
    wait "$pid" || fail "the demo exited $?: $(tail -n 15 "$out" | tr '\n' ' ')"
    grep -q 'guests booted to their init: 2 of 2' "$out" || fail "not both guests booted: $(grep 'guests booted' "$out")"
    grep -q 'base image unchanged: *yes' "$out" || fail "the demo does not say the base is unchanged"
    for g in guest-a guest-b; do
        grep -q "^\[$g\] hostname: *$g " "$out" || fail "$g does not show its host name"
    done
    rm -f "$out"
    pass
}
