# shellcheck shell=bash
# sharedroot-boottest on a good configuration (with a fresh instance disk) and a broken one
# (root= names no disk), two guests at once, against a baseline that the good one must miss:
# status 1; the good boot passes with the handoff line's stage times; the broken one fails
# early (before its timeout) with sharedroot's error and its console tail in report.json,
# junit.xml and summary.md; the regression is reported; no QEMU it started is left
# qt-weight: 2

scenario() {
    local out=$SCW/$SC rf=$SCW/$SC.run base=$SCW/$SC-baseline.json rc
    mkdir -p "$SCW"
    rm -rf "$out"
    cat >"$rf" <<EOF2
[defaults]
kernel = $QT_KERNEL
initrd = $INITRD
base = $ROOTS/ext4.img
timeout = $QT_TIMEOUT
[good]
root = LABEL=$QT_EXT4_LABEL
instance = fresh:16M
[broken]
root = LABEL=no-such-root
append = sharedroot.timeout=3
EOF2
    # a baseline in which the good configuration booted in 1 ms
    cat >"$base" <<'EOF2'
{"format":"sharedroot-boottest","version":1,"configs":[{"name":"good","headline":"handoff",
 "metrics":{"handoff":{"n":3,"median":1,"min":1,"max":1,"mad":0}}}]}
EOF2
    showlog "$LOGS/$SC.out"
    boottest --reps 1 --jobs 2 --output "$out" --baseline "$base" "$rf" >"$LOGS/$SC.out" 2>&1
    rc=$?
    [ $rc = 1 ] || fail "exit status $rc, expected 1 (a boot failed, a time regressed)"
    boottest_no_qemu_left "$out"
    showlog "$out/logs/broken/1.log"
    boottest_report_check "$out" "" <<'EOF2'
boots = {b["config"]: b for b in r["boots"]}
g, b = boots["good"], boots["broken"]
need(r["verdict"] == "fail", "verdict %s" % r["verdict"])
need(g["result"] == "ok", "good: %s %s" % (g["result"], g["reason"]))
for m in ("wall", "handoff", "init", "early", "devices", "root", "instance", "overlay", "switch"):
    need(m in g["metrics"], "good: no metric %s in %s" % (m, g["metrics"]))
need(g["mode"] == "instance", "good: mode %s" % g["mode"])
need(g["handoff_line"].startswith("sharedroot-handoff: v=1 "), "good: handoff line %r" % g["handoff_line"])
need(b["result"] == "failed", "broken: %s (a timeout means the failure line was not seen)" % b["result"])
need("no-such-root" in b["reason"], "broken: reason %r" % b["reason"])
need(any("did not appear" in l for l in b["tail"]), "broken: tail %r" % b["tail"])
need(r["baseline"]["regressions"] >= 1, "no regression against a 1 ms baseline")
need(any(c["config"] == "good" and c["metric"] == "handoff" and c["regressed"]
         for c in r["baseline"]["comparisons"]), "good/handoff not regressed")
need(any("broken is not in the baseline" in n for n in r["baseline"]["notes"]), "notes %r" % r["baseline"]["notes"])
EOF2
    grep -q '<failure type="failed" message="sharedroot-init reported an error: .*no-such-root' \
        "$out/junit.xml" || fail "junit.xml has no failure for the broken boot"
    grep -q '<failure type="regression"' "$out/junit.xml" || fail "junit.xml has no regression"
    grep -q '^### broken #1: failed' "$out/summary.md" || fail "summary.md lists no failed boot"
    grep -q 'did not appear' "$out/summary.md" || fail "summary.md has no console tail"
    grep -q 'sharedroot-boottest: FAIL: 1 boot ok, 1 failed, 1 regression' "$LOGS/$SC.out" ||
        fail "no verdict line"
    if command -v gnuplot >/dev/null; then
        [ -s "$out/plot.png" ] || fail "gnuplot is installed but there is no plot.png: $(cat "$out/logs/gnuplot.log")"
    fi
    boottest_pass
}
