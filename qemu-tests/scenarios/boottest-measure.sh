# shellcheck shell=bash
# sharedroot-boottest --measure and --hold (issue 15): guests that stay up after they booted
# (qt.step=stay) run staggered, two at once, on a virtio-blk base (with a fresh instance disk
# on /dev/vdb) and on the erofs test root as virtio-pmem (base-device, padded to 2 MiB; dax,
# expected on the console: a boot of it with sharedroot.dax=off fails for the missing line;
# the instance on /dev/vda), and then together. The measure command, run on the host for each guest, sees its own QEMU, the
# guests of its group that are up (all alive: held), the QEMUs started so far (staggered: the
# next guest starts only after the one before it was measured; together: both before the
# first is measured), the guest RAM mapping in smaps and, on pmem, the base's mapping; its
# KEY=VALUE lines are in report.json and summary.md. A command that fails fails its boot
# (status 1, the reason and what it printed kept); no QEMU and no measure command is left.
# qt-weight: 2

scenario() {
    local out=$SCW/$SC rf=$SCW/$SC.run m=$SCW/$SC-measure.sh pm=$SCW/$SC-pmem.img rc
    mkdir -p "$SCW"
    rm -rf "$out" "$out-together"
    pmem_copy "$ROOTS/erofs.img" "$pm" # padded to 2 MiB
    cat >"$m" <<'EOF2'
#!/bin/sh
# the measure command: what it sees of the guests, as KEY=VALUE
alive=0
for p in $BOOTTEST_UP_PIDS; do
    grep -q qemu "/proc/$p/comm" 2>/dev/null && alive=$((alive + 1))
done
base=$(realpath "$BOOTTEST_BASE")
smaps() { # $1: anon|base; the Rss of the guest-RAM mapping or of the base file's mapping
    awk -v want="$1" -v size=$((BOOTTEST_MEMORY_MB * 1024)) -v base="$base" '
        /^[0-9a-f]+-[0-9a-f]+ / { k = (NF < 6) ? "anon" : ($6 == base ? "base" : "") }
        /^Size:/ { sz = $2 }
        /^Rss:/ { if (k == want && (want == "base" || (sz >= size && sz < size + 8192))) r += $2 }
        END { print r + 0 }' "/proc/$BOOTTEST_QEMU_PID/smaps"
}
echo "prose that is not a value"
echo "config=$BOOTTEST_CONFIG"
echo "rep=$BOOTTEST_REP"
echo "group=$BOOTTEST_GROUP"
echo "guest=$BOOTTEST_GUEST"
echo "pid=$BOOTTEST_QEMU_PID"
echo "up=$BOOTTEST_UP"
echo "alive=$alive"
echo "started=$(wc -l <"$BOOTTEST_OUTPUT/qemu.pids")"
echo "log_has_end=$(grep -c 'REPORT END' "$BOOTTEST_LOG")"
echo "device=$BOOTTEST_BASE_DEVICE"
echo "ram_kb=$(smaps anon)"
echo "base_map_kb=$(smaps base)"
echo "on stderr" >&2
EOF2
    chmod +x "$m"
    cat >"$rf" <<EOF2
[defaults]
kernel = $QT_KERNEL
initrd = $INITRD
append = qt.step=stay
expect = REPORT END
timeout = $QT_TIMEOUT
measure = $m
[blk]
base = $ROOTS/ext4.img
root = LABEL=$QT_EXT4_LABEL
instance = fresh:16M
[pmem]
base = $pm
base-device = virtio-pmem
root = LABEL=$QT_EROFS_LABEL
instance = fresh:16M
expect = dax: shared in host memory
EOF2
    showlog "$LOGS/$SC.out"
    boottest --reps 2 --jobs 2 --hold staggered --output "$out" "$rf" >"$LOGS/$SC.out" 2>&1
    rc=$?
    [ $rc = 0 ] || fail "staggered: exit status $rc, expected 0: $(tail -n 5 "$LOGS/$SC.out")"
    boottest_no_qemu_left "$out"
    showlog "$out/logs/pmem/1.log"
    boottest_report_check "$out" "" staggered <<'EOF2'
mode = sys.argv[2]
need(r["verdict"] == "pass" and r["hold"] == mode, "verdict %s hold %s" % (r["verdict"], r["hold"]))
cfg = {c["name"]: c for c in r["configs"]}
need(cfg["pmem"]["base_device"] == "virtio-pmem" and cfg["blk"]["base_device"] == "virtio-blk",
     "base_device %r" % {k: c["base_device"] for k, c in cfg.items()})
need("root=LABEL=" in cfg["pmem"]["cmdline"] and "sharedroot.instance=/dev/vda" in cfg["pmem"]["cmdline"],
     "pmem cmdline %r" % cfg["pmem"]["cmdline"])
order = [(b["config"], b["group"], b["guest"]) for b in r["boots"]]
need(order == [("blk", 1, 1), ("blk", 1, 2), ("pmem", 2, 1), ("pmem", 2, 2)], "boots %r" % order)
for i, b in enumerate(r["boots"]):
    m, tag = b["measured"], "%s/%d" % (b["config"], b["guest"])
    need(b["ok"] and b["measure_status"] == 0, "%s: %s %s" % (tag, b["result"], b["reason"]))
    need(m["config"] == b["config"] and m["rep"] == str(b["rep"]) and m["group"] == str(b["group"])
         and m["guest"] == str(b["guest"]) and m["pid"] == str(b["pid"]), "%s: measured %r" % (tag, m))
    # held: the guests before it are still up; staggered: it started after they were measured
    need(m["up"] == str(b["guest"]) and m["alive"] == m["up"], "%s: up %s alive %s" % (tag, m["up"], m["alive"]))
    need(m["started"] == str(i + 1), "%s: %s QEMUs started when it was measured" % (tag, m["started"]))
    need(m["log_has_end"] == "1", "%s: the console log lacks the line that made it succeed" % tag)
    need(m["device"] == cfg[b["config"]]["base_device"], "%s: device %s" % (tag, m["device"]))
    need(int(m["ram_kb"]) > 1024, "%s: no guest RAM mapping found: %s" % (tag, m["ram_kb"]))
    need((int(m["base_map_kb"]) > 0) == (b["config"] == "pmem"), "%s: base mapping %s kB" % (tag, m["base_map_kb"]))
    need(b["measure_ignored_lines"] == 1, "%s: %d lines ignored" % (tag, b["measure_ignored_lines"]))
EOF2
    grep -q '^## Measured' "$out/summary.md" || fail "summary.md has no measured values"
    grep -q 'on stderr' "$out/logs/blk/1.measure.err" || fail "no logs/blk/1.measure.err"
    lgrep "$out/logs/pmem/1.log" -q 'sharedroot: root: /dev/pmem0 (erofs) .*dax: shared in host memory' ||
        fail "the pmem guest's root is not /dev/pmem0 with dax: $(lgrep "$out/logs/pmem/1.log" -m1 'sharedroot: root:')"
    [ "$(qt_report "$out/logs/pmem/1.log" root_dev)" = /dev/pmem0 ] || fail "pmem: root_dev $(qt_report "$out/logs/pmem/1.log" root_dev)"
    [ "$(state "$out/logs/pmem/1.log" INSTANCE_0_DEVICE)" = /dev/vda ] ||
        fail "pmem: the instance is on $(state "$out/logs/pmem/1.log" INSTANCE_0_DEVICE), not /dev/vda"
    [ "$(state "$out/logs/blk/1.log" INSTANCE_0_DEVICE)" = /dev/vdb ] ||
        fail "blk: the instance is on $(state "$out/logs/blk/1.log" INSTANCE_0_DEVICE), not /dev/vdb"

    # together: both guests are up before the first is measured; a failing command fails
    # its boot and keeps what it printed
    showlog "$LOGS/$SC-together.out"
    boottest --reps 2 --jobs 2 --hold together --output "$out-together" \
        --kernel "$QT_KERNEL" --initrd "$INITRD" --base "$ROOTS/ext4.img" \
        --root "LABEL=$QT_EXT4_LABEL" --append qt.step=stay --expect 'REPORT END' \
        --timeout "$QT_TIMEOUT" \
        --measure "$m; [ \$BOOTTEST_GUEST = 1 ] || { echo last=words; echo bad >&2; exit 3; }" \
        >"$LOGS/$SC-together.out" 2>&1
    rc=$?
    [ $rc = 1 ] || fail "together: exit status $rc, expected 1 (a measure command failed)"
    boottest_no_qemu_left "$out-together"
    boottest_report_check "$out-together" "together: " <<'EOF2'
b1, b2 = r["boots"]
need(r["hold"] == "together", "hold %s" % r["hold"])
need(b1["ok"] and b1["measured"]["up"] == "2" and b1["measured"]["started"] == "2" and
     b1["measured"]["alive"] == "2", "guest 1: %s %r" % (b1["result"], b1["measured"]))
need(b2["result"] == "failed" and b2["measure_status"] == 3, "guest 2: %s status %r" % (b2["result"], b2["measure_status"]))
need(b2["reason"].startswith("the measure command exited with status 3; it said: ") and b2["reason"].endswith(" bad"), "guest 2: reason %r" % b2["reason"])
need(b2["measured"]["last"] == "words" and b2["measured"]["up"] == "2", "guest 2: measured %r" % b2["measured"])
EOF2
    grep -q 'failed: the measure command exited with status 3' "$LOGS/$SC-together.out" ||
        fail "no progress line for the failed measure"
    if pgrep -f "$SC-measure.sh" >/dev/null; then fail "a measure command is still running"; fi

    # sharedroot-boottest(1)'s way to fail a run when dax is not in effect: the expect above,
    # on a boot that mounts without it (sharedroot.dax=off)
    showlog "$LOGS/$SC-nodax.out"
    boottest --reps 1 --output "$out-nodax" --kernel "$QT_KERNEL" --initrd "$INITRD" \
        --base "$pm" --base-device virtio-pmem --root "LABEL=$QT_EROFS_LABEL" \
        --append sharedroot.dax=off --expect 'REPORT END' --expect 'dax: shared in host memory' \
        --timeout "$QT_TIMEOUT" >"$LOGS/$SC-nodax.out" 2>&1
    rc=$?
    [ $rc = 1 ] || fail "nodax: exit status $rc, expected 1 (the dax line never came)"
    boottest_no_qemu_left "$out-nodax"
    boottest_report_check "$out-nodax" "nodax: " <<'EOF2'
b, = r["boots"]
need(not b["ok"] and "dax: shared in host memory" in b["reason"], "boot %s: %r" % (b["result"], b["reason"]))
EOF2
    rm -f "$pm" "$m" "$rf"
    boottest_pass
}
