# shellcheck shell=bash
# sharedroot-boottest interrupted while two guests run: SIGINT ends it with status 130, every
# QEMU it started (qemu.pids) is gone and the reports say interrupted/skipped; killed with
# SIGKILL, its guests still die (PR_SET_PDEATHSIG)
# qt-weight: 2

# start_and_wait_for_guests DIR: boottest in the background (BT_PID) until it runs 2 guests;
# they stop at a break point (a shell waiting for input), so they never end by themselves
start_and_wait_for_guests() {
    local out=$1 n=0
    rm -rf "$out"
    # the program itself, not a shell function around it: BT_PID must be its PID
    "$BOOTTEST" --accel "${QT_ACCEL:-tcg}" --progress line --reps 3 --jobs 2 --output "$out" \
        --kernel "$QT_KERNEL" --initrd "$INITRD" --base "$ROOTS/ext4.img" \
        --root "LABEL=$QT_EXT4_LABEL" --append sharedroot.break=early >"$out.out" 2>&1 &
    BT_PID=$!
    while [ "$({ wc -l <"$out/qemu.pids"; } 2>/dev/null || echo 0)" -lt 2 ]; do
        n=$((n + 1))
        [ $n -le 600 ] || { kill -9 "$BT_PID"; fail "no two guests started within 60 s"; }
        kill -0 "$BT_PID" 2>/dev/null || fail "sharedroot-boottest ended early: $(cat "$out.out")"
        sleep 0.1
    done
}

scenario() {
    local out=$SCW/$SC rc n p
    mkdir -p "$SCW"
    showlog "$out.out"
    start_and_wait_for_guests "$out"
    kill -INT "$BT_PID"
    wait "$BT_PID"
    rc=$?
    [ $rc = 130 ] || fail "exit status $rc after SIGINT, expected 130"
    boottest_no_qemu_left "$out"
    grep -q '"interrupted":"Interrupt"' "$out/report.json" || fail "report.json does not say interrupted"
    grep -q '"result":"interrupted"' "$out/report.json" || fail "no boot reported as interrupted"
    grep -q '"result":"skipped"' "$out/report.json" || fail "no boot reported as skipped"
    grep -q 'interrupted' "$out/summary.md" || fail "summary.md does not say interrupted"

    out=$SCW/$SC-kill
    showlog "$out.out"
    start_and_wait_for_guests "$out"
    kill -KILL "$BT_PID"
    wait "$BT_PID" 2>/dev/null
    # the kernel kills the guests: wait (bounded) until they are gone, then check
    while read -r p; do
        n=0
        while boottest_pid_is_qemu "$p" && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
    done <"$out/qemu.pids"
    boottest_no_qemu_left "$out"
    boottest_pass
}
