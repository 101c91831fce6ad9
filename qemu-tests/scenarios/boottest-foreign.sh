# shellcheck shell=bash
# sharedroot-boottest on an initramfs that is not sharedroot's (the plain busybox one): with
# handoff = no, an expect and a time pattern it passes and takes the guest's clock from the
# time line and the kernel's time from "Run /init"; with wait-exit the guest is not stopped at
# success (the uptime line) but runs on to its report's end and powers off by itself; the same boot waiting for the
# handoff line fails when the guest powers off without one, with that reason

scenario() {
    local out=$SCW/$SC rf=$SCW/$SC.run rc
    mkdir -p "$SCW"
    rm -rf "$out"
    cat >"$rf" <<EOF2
[defaults]
kernel = $QT_KERNEL
initrd = $PLAIN_INITRD
base = $ROOTS/ext4.img
append = standin.plain
timeout = $QT_TIMEOUT
[foreign]
handoff = no
time = REPORT uptime=([0-9.]+)
wait-exit = yes
[waits-for-handoff]
EOF2
    showlog "$LOGS/$SC.out"
    boottest --reps 1 --output "$out" "$rf" >"$LOGS/$SC.out" 2>&1
    rc=$?
    [ $rc = 1 ] || fail "exit status $rc, expected 1"
    boottest_no_qemu_left "$out"
    boottest_report_check "$out" "" <<'EOF2'
boots = {b["config"]: b for b in r["boots"]}
f, w = boots["foreign"], boots["waits-for-handoff"]
need(f["result"] == "ok", "foreign: %s %s" % (f["result"], f["reason"]))
need(f["metrics"].get("time", 0) > 0 and f["metrics"].get("kernel", 0) > 0, "foreign: %s" % f["metrics"])
need(f["metrics"]["time"] > f["metrics"]["kernel"], "foreign: time before kernel? %s" % f["metrics"])
need(f["handoff_line"] is None, "foreign: a handoff line?")
log = open(out + "/" + f["log"], errors="replace").read()
need("REPORT END" in log and "reboot: Power down" in log, "foreign: wait-exit, but the guest did not run on to its power-off")
cfg = {c["name"]: c for c in r["configs"]}
need(cfg["foreign"]["headline"] == "time", "foreign headline %s" % cfg["foreign"]["headline"])
need(w["result"] == "failed", "waits-for-handoff: %s" % w["result"])
need("QEMU exited with status 0 while waiting for the handoff line" in w["reason"], "reason %r" % w["reason"])
EOF2
    boottest_pass
}
