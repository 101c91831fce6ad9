#!/bin/bash
# tests/summarize, which prints what CI shows of a failing test program: a failure's own lines
# (its reason, its serial log's tail, its notes) even when the program went on printing long
# after it, the counts, and a program that timed out or ran no case counted as a failure.
# $1 (the build dir) is not used.
set -u
# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1

T=$(mktemp -d /tmp/sharedroot-summarize.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT

# run NAME RESULT RC STDOUT: one meson test record, summarized; the output in $T/out
run() {
    python3 -c 'import json, sys; print(json.dumps({"name": "suite / " + sys.argv[1], "result": sys.argv[2],
        "returncode": int(sys.argv[3]), "duration": 1.0, "stdout": sys.argv[4]}))' "$@" >"$T/log.json"
    tests/summarize "$T" "$T/log.json" >"$T/out" 2>&1
}

# a QEMU-style failure early in a long log: its reason, serial tail and note are shown
out="PASS: first
FAIL: netroot-x
    reason: the guest lost its NBD connection (reason-marker)
    --- serial log (last 40 lines) ---
    | serial-marker
#   netroot-x: note-marker"
for i in $(seq 1 80); do out+=$'\n'"PASS: later-$i"$'\n'"#   later-$i: other guest's note"; done
run qemu-tests FAIL 1 "$out"
if grep -q 'reason-marker' "$T/out" && grep -q 'serial-marker' "$T/out" && grep -q 'note-marker' "$T/out" &&
    grep -q '^qemu-tests .* 81 passed *1 failed' "$T/out" && tail -n 1 "$T/out" | grep -qx '# totals 81 1 0'; then
    pass failure_block_shown_from_a_long_log
else
    fail failure_block_shown_from_a_long_log "$(head -c 2000 "$T/out")"
fi
# another test's notes are not part of the block
if grep -A12 -- '--- FAIL: netroot-x ---' "$T/out" | grep -q "later-1: other"; then
    fail block_has_only_its_own_notes "$(head -c 2000 "$T/out")"
else
    pass block_has_only_its_own_notes
fi

# a priv-style one-line failure (FAIL: name: reason): counted, its line shown
run priv/x FAIL 1 "PASS: a
FAIL: b: b's reason-marker"
if grep -q "FAIL: b: b's reason-marker" "$T/out" && tail -n 1 "$T/out" | grep -qx '# totals 1 1 0'; then
    pass one_line_failure
else
    fail one_line_failure "$(cat "$T/out")"
fi

# a program that timed out after printing only passes, or printed no case: a failure
run priv/slow TIMEOUT -15 "PASS: a"
if grep -q 'FAIL: priv/slow (meson: TIMEOUT' "$T/out" && tail -n 1 "$T/out" | grep -qx '# totals 1 1 0'; then
    pass timeout_is_a_failure
else
    fail timeout_is_a_failure "$(cat "$T/out")"
fi
run priv/mute OK 0 "nothing"
if grep -q 'FAIL: priv/mute (ran no test case)' "$T/out" && tail -n 1 "$T/out" | grep -qx '# totals 0 1 0'; then
    pass no_case_is_a_failure
else
    fail no_case_is_a_failure "$(cat "$T/out")"
fi
