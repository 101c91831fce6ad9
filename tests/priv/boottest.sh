#!/bin/bash
# shellcheck disable=SC2317  # json and pids_gone are called through check
# sharedroot-boottest's runner, reports and exit statuses without a real guest: a QEMU shim
# (a shell script given with --qemu) plays the guest's console, chosen by a word on the kernel
# command line (shim=good, panic, hang, exit, hostile, slow-handoff). Fast and deterministic;
# the real boots are in qemu-tests/scenarios/boottest-*.sh. Also valgrind over one whole run.
# $1 = the build dir (containing boottest/sharedroot-boottest).
set -u
B=${1:?usage: boottest.sh BUILDDIR}
BT=$B/boottest/sharedroot-boottest

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -x "$BT" ] || { fail boottest "$BT not built"; exit 1; }
command -v python3 >/dev/null || { skip boottest "python3 is not installed"; exit 0; }

T=$(mktemp -d /tmp/sharedroot-boottest.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT

# what the QEMU shims print for --thp-advice: a mapping of the pmem backend's size (argument 1;
# 0: 4 MiB) and one of another size, advised MADV_HUGEPAGE as QEMU does: which kept the
# kernel's hg flag (VM_HUGEPAGE) under the seccomp filter they run under
cat >"$T/thp-advised.py" <<'PYEOF'
import ctypes, mmap, sys
def advised(size):
    m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    m.madvise(mmap.MADV_HUGEPAGE)
    start = "%x-" % ctypes.addressof(ctypes.c_char.from_buffer(m))
    found = False
    for line in open("/proc/self/smaps"):
        found = found or line.startswith(start)
        if found and line.startswith("VmFlags:"):
            return "hg" if " hg" in line else "no"
    return "?"
print("THP base=%s other=%s" % (advised(int(sys.argv[1]) or 4 << 20), advised(6 << 20)))
PYEOF

# the shim: what a guest with that command line would print on its console
cat >"$T/qemu" <<'EOF'
#!/bin/bash
append= kvm=0 pmem_size=0
while [ $# -gt 0 ]; do
    case $1 in
    --version) echo "QEMU shim 1.0"; exit 0 ;;
    -append) append=$2; shift ;;
    memory-backend-file,*) pmem_size=${1##*,size=} ;;
    pc,accel=kvm) kvm=1 ;;
    'one arg, with blanks') echo "QARG whole" ;;
    esac
    shift
done
# the KVM probe guest: a kernel that boots to its end (no root: a panic), or a silent one
if [ $kvm = 1 ] && [ "${SHIM_KVM:-}" = works ]; then
    echo "[    0.9] Kernel panic - not syncing: VFS: Unable to mount root fs"; exit 0
fi
[ $kvm = 1 ] && exec sleep 30
mode=good
for w in $append; do case $w in shim=*) mode=${w#shim=} ;; esac; done
echo "[    0.000000] Linux version 6.1.0-shim"
case $mode in
thp)
    # advise a mapping of the pmem backend's size and one of another size as QEMU does, and
    # tell which kept the kernel's hg flag (VM_HUGEPAGE) under sharedroot-boottest's filter
    python3 "$(dirname "$0")/thp-advised.py" "$pmem_size"
    ;&
good)
    echo "[    1.500000] Run /init as init process"
    printf 'sharedroot: stage early done in 5 ms\r\n'
    echo "sharedroot-handoff: v=1 uptime_ms=2100 init_ms=600 early=5 devices=400 root=30 instance=0 reconcile=0 overlay=10 tmp-swap=1 switch=3 mode=volatile"
    echo "BENCH uptime=2.25"
    echo "login: "
    sleep 30 ;;
panic)
    echo "[    1.9] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"
    echo "[    1.9] CPU: 0 PID: 1 Comm: swapper/0 Not tainted"
    sleep 30 ;;
hang) sleep 30 ;;
prompt)
    # a getty's prompt: it waits for input and never ends its line
    echo "sharedroot-handoff: v=1 uptime_ms=2100 init_ms=600 mode=volatile"
    printf '\r\nDebian GNU/Linux 12 localhost ttyS0\r\n\r\nlocalhost login: '
    sleep 30 ;;
quit-first)
    # the first of two guests boots and ends at once; the second boots once the first is gone
    handoff="sharedroot-handoff: v=1 uptime_ms=2100 init_ms=600 mode=volatile"
    if mkdir "$SHIM_DIR/first" 2>/dev/null; then
        echo $$ >"$SHIM_DIR/first/pid.new" && mv "$SHIM_DIR/first/pid.new" "$SHIM_DIR/first/pid"
        echo "$handoff"; exit 0
    fi
    n=0
    while [ ! -s "$SHIM_DIR/first/pid" ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
    p=$(cat "$SHIM_DIR/first/pid")
    while [ -d "/proc/$p" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
    echo "$handoff"; sleep 30 ;;
exit) echo "qemu-shim: could not open disk image: Permission denied" >&2; exit 1 ;;
hostile)
    printf 'nul\0byte \033[31mred\033[0m \033]0;title\007 bad\xff\xfe utf8 <xml> & "q" \\ `tick`\n'
    head -c 3000 /dev/zero | tr '\0' 'x'; echo
    printf 'partial line without end'
    printf '\nsharedroot: ERROR: root \033[1mLABEL=x\033[0m did not appear\n'
    sleep 30 ;;
esac
EOF
chmod 0755 "$T/qemu"
touch "$T/vmlinuz" "$T/base.img"

run() { # NAME ARGS...: sharedroot-boottest against the shim, status in RC, output in T/NAME.out
    local name=$1; shift
    "$BT" --qemu "$T/qemu" --accel tcg --progress line --kernel "$T/vmlinuz" --output "$T/$name" \
        "$@" >"$T/$name.out" 2>&1
    RC=$?
}
json() { # NAME PYTHON-EXPRESSION: true when it holds for report.json (r)
    python3 -c "import json,sys; r=json.load(open('$T/$1/report.json')); sys.exit(0 if ($2) else 1)"
}
pids_gone() { # NAME: no process of its qemu.pids is left
    local p
    [ -s "$T/$1/qemu.pids" ] || return 1
    while read -r p; do
        [ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" && return 1
    done <"$T/$1/qemu.pids"
    return 0
}

# a good boot: the handoff line's times, stopped at once (not after the shim's 30 s)
run good --base "$T/base.img" --reps 2 --append shim=good
check boottest_good_exits_0 [ "$RC" = 0 ]
check boottest_good_takes_the_handoff_times json good \
    'r["boots"][0]["metrics"]["handoff"] == 2100 and r["boots"][0]["metrics"]["devices"] == 400 and r["boots"][1]["metrics"]["kernel"] == 1500'
check boottest_good_summary json good \
    'r["configs"][0]["metrics"]["handoff"]["median"] == 2100 and r["configs"][0]["headline"] == "handoff" and r["verdict"] == "pass"'
check boottest_good_stops_the_guest_at_success pids_gone good
check boottest_good_verdict_line grep -q '^sharedroot-boottest: PASS: 2 boots ok, 0 failed; accelerator tcg' "$T/good.out"
check boottest_good_writes_every_report test -s "$T/good/junit.xml" -a -s "$T/good/summary.md" -a -s "$T/good/logs/boot/1.log" -a -s "$T/good/logs/boot/1.cmd"
check boottest_good_cmd_file_holds_the_base grep -q "file=$T/base.img,format=raw,if=virtio,readonly=on" "$T/good/logs/boot/1.cmd"

# --qemu-arg: one argument, blanks and all (the shim says so when it gets it whole)
run qarg --reps 1 --append shim=good --qemu-arg 'one arg, with blanks' --expect '^QARG whole$'
check boottest_qemu_arg_arrives_whole [ "$RC" = 0 ]
check boottest_qemu_arg_in_the_report json qarg 'r["configs"][0]["qemu_arg"] == ["one arg, with blanks"]'

# the KVM probe: a probe guest that boots to its end makes it KVM, a silent one TCG
SHIM_KVM=works "$BT" --qemu "$T/qemu" --accel auto --progress line --kernel "$T/vmlinuz" \
    --output "$T/kvm" --reps 1 --append shim=good >"$T/kvm.out" 2>&1
check boottest_probe_takes_a_working_kvm json kvm \
    'r["accel"] == "kvm" and r["accel_note"].startswith("KVM: a probe guest booted its kernel to the end")'
SHIM_KVM=hangs "$BT" --qemu "$T/qemu" --accel auto --kvm-probe-timeout 1 --progress line \
    --kernel "$T/vmlinuz" --output "$T/tcg" --reps 1 --append shim=good >"$T/tcg.out" 2>&1
check boottest_probe_falls_back_to_tcg json tcg \
    'r["accel"] == "tcg" and "timed out after 1 s waiting for the end of the kernel" in r["accel_note"] and r["boots"][0]["ok"]'
check boottest_probe_guest_gone pids_gone tcg
check boottest_probe_said_on_stderr grep -q 'accelerator TCG: the KVM probe failed' "$T/tcg.out"

# expect matches a prompt that ends no line (getty's "login: "), not after the timeout
run prompt --reps 1 --timeout 20 --append shim=prompt --expect 'login: $'
check boottest_expect_matches_a_prompt json prompt \
    'r["boots"][0]["ok"] and r["boots"][0]["result"] == "ok"'

# a time pattern and expect for a foreign initramfs
run foreign --no-handoff --time 'BENCH uptime=([0-9.]+)' --expect 'login:' --append shim=good
check boottest_foreign_time_from_the_group json foreign \
    'r["boots"][0]["ok"] and r["boots"][0]["metrics"]["time"] == 2250 and r["configs"][0]["headline"] == "time"'

# failures
run panic --reps 1 --append shim=panic
check boottest_panic_exits_1 [ "$RC" = 1 ]
check boottest_panic_reason_and_tail json panic \
    'r["boots"][0]["result"] == "failed" and r["boots"][0]["reason"].startswith("kernel panic: ") and any("swapper" in l for l in r["boots"][0]["tail"])'
check boottest_panic_in_junit grep -q '<failure type="failed" message="kernel panic: ' "$T/panic/junit.xml"
check boottest_panic_guest_gone pids_gone panic

run hang --reps 1 --timeout 1 --append shim=hang
check boottest_hang_times_out json hang \
    'r["boots"][0]["result"] == "timeout" and r["boots"][0]["reason"] == "timed out after 1 s waiting for the handoff line of sharedroot-init"'
check boottest_hang_guest_gone pids_gone hang

run exit --reps 1 --append shim=exit
check boottest_qemu_exit_says_what_qemu_said json exit \
    '"QEMU exited with status 1 while waiting for the handoff line" in r["boots"][0]["reason"] and "Permission denied" in r["boots"][0]["reason"]'

run fail-pattern --reps 1 --append shim=good --fail 'stage early done'
check boottest_own_fail_pattern json fail-pattern \
    'r["boots"][0]["result"] == "failed" and "a fail pattern matched: sharedroot: stage early done" in r["boots"][0]["reason"]'

# hostile console output: the reports stay valid JSON, XML and UTF-8
run hostile --reps 1 --append shim=hostile
check boottest_hostile_fails_on_the_error_line json hostile \
    'r["boots"][0]["result"] == "failed" and "root LABEL=x did not appear" in r["boots"][0]["reason"]'
check boottest_hostile_tail_is_clean json hostile \
    'any(l.startswith("nulbyte red  bad\ufffd\ufffd utf8 <xml>") for l in r["boots"][0]["tail"]) and all(len(l) <= 1024 for l in r["boots"][0]["tail"])'
check boottest_hostile_junit_is_xml python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])" "$T/hostile/junit.xml"
check boottest_hostile_summary_is_utf8 python3 -c "import sys; open(sys.argv[1], encoding='utf-8').read()" "$T/hostile/summary.md"

# a run file with two configurations, interleaved
cat >"$T/two.run" <<EOF
[defaults]
kernel = $T/vmlinuz
[a]
append = shim=good
[b]
append = shim=panic
EOF
"$BT" --qemu "$T/qemu" --accel tcg --progress line --reps 2 --output "$T/two" "$T/two.run" >"$T/two.out" 2>&1
RC=$?
check boottest_runfile_exits_1_for_one_bad_configuration [ "$RC" = 1 ]
check boottest_runfile_interleaves json two \
    '[b["config"] for b in r["boots"]] == ["a", "b", "a", "b"] and r["configs"][0]["boots_ok"] == 2 and r["configs"][1]["boots_failed"] == 2'

# exit status 2 before anything boots
"$BT" --qemu "$T/qemu" --output "$T/bad-run" "$T/vmlinuz" >"$T/bad-run.out" 2>&1
RC=$?
check boottest_bad_runfile_exits_2 [ "$RC" = 2 ]
echo '[a]' >"$T/nokernel.run"
"$BT" --qemu "$T/qemu" --output "$T/nokernel" "$T/nokernel.run" >"$T/nokernel.out" 2>&1
check boottest_runfile_error_names_file_and_config grep -q "nokernel.run: \[a\]: no kernel" "$T/nokernel.out"
echo '{"format":"other"}' >"$T/bad-baseline.json"
run bad-baseline --append shim=good --baseline "$T/bad-baseline.json"
check boottest_bad_baseline_exits_2_before_booting bash -c "[ $RC = 2 ] && [ ! -e '$T/bad-baseline/qemu.pids' ]"
check boottest_bad_baseline_says_why grep -q 'not a report of sharedroot-boottest' "$T/bad-baseline.out"
run missing-kernel --kernel "$T/nonexistent" --append shim=good
check boottest_missing_input_exits_2 bash -c "[ $RC = 2 ] && grep -q 'kernel $T/nonexistent: No such file' '$T/missing-kernel.out'"
"$BT" --reps 0 >"$T/usage.out" 2>&1
check boottest_usage_error_exits_2 [ $? = 2 ]
"$BT" --help >"$T/help.out" 2>&1
check boottest_help_exits_0 bash -c "[ $? = 0 ] && grep -q 'Exit status' '$T/help.out'"

# baselines: the good run against itself passes; against a faster one it regresses
run same --base "$T/base.img" --reps 2 --append shim=good --baseline "$T/good/report.json"
check boottest_baseline_same_passes bash -c "[ $RC = 0 ] && grep -q '0 regressions' '$T/same.out'"
python3 - "$T/good/report.json" "$T/fast.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
for m in r["configs"][0]["metrics"].values():
    m["median"] = m["min"] = m["max"] = 1
json.dump(r, open(sys.argv[2], "w"))
EOF
run slower --base "$T/base.img" --reps 2 --append shim=good --baseline "$T/fast.json"
check boottest_baseline_regression_exits_1 [ "$RC" = 1 ]
check boottest_baseline_regression_reported json slower \
    'r["baseline"]["regressions"] >= 1 and r["verdict"] == "fail"'
check boottest_baseline_regression_in_junit grep -q '<failure type="regression"' "$T/slower/junit.xml"

# interrupted: SIGTERM while two guests hang; the program itself in the background
"$BT" --qemu "$T/qemu" --accel tcg --progress line --kernel "$T/vmlinuz" --output "$T/term" \
    --reps 4 --jobs 2 --append shim=hang >"$T/term.out" 2>&1 &
pid=$!
n=0
while [ "$({ wc -l <"$T/term/qemu.pids"; } 2>/dev/null || echo 0)" -lt 2 ] && [ $n -lt 100 ]; do
    sleep 0.1; n=$((n + 1))
done
kill -TERM "$pid"
wait "$pid"
RC=$?
check boottest_sigterm_exits_143 [ "$RC" = 143 ]
check boottest_sigterm_leaves_no_guest pids_gone term
check boottest_sigterm_reports json term \
    'r["interrupted"] == "Terminated" and [b["result"] for b in r["boots"]].count("interrupted") == 2 and [b["result"] for b in r["boots"]].count("skipped") == 2'

# --measure and --hold against shim guests that stay up after "login:" (30 s); the commands
# are for the shell that runs them
# shellcheck disable=SC2016
M='echo "measuring guest $BOOTTEST_GUEST"; echo up=$BOOTTEST_UP; echo started=$(wc -l <"$BOOTTEST_OUTPUT/qemu.pids"); n=0; for p in $BOOTTEST_UP_PIDS; do kill -0 $p && n=$((n + 1)); done; echo alive=$n; echo pid=$BOOTTEST_QEMU_PID'
run stagger --reps 3 --jobs 3 --hold staggered --append shim=good --expect login: --measure "$M"
check boottest_measure_staggered_exits_0 [ "$RC" = 0 ]
check boottest_measure_staggered_one_after_another json stagger \
    '[(b["guest"], b["measured"]["up"], b["measured"]["started"], b["measured"]["alive"]) for b in r["boots"]] == [(1, "1", "1", "1"), (2, "2", "2", "2"), (3, "3", "3", "3")] and all(b["measured"]["pid"] == str(b["pid"]) for b in r["boots"]) and r["boots"][0]["measure_ignored_lines"] == 1'
check boottest_measure_stops_the_guests pids_gone stagger
check boottest_measure_in_summary grep -q '^## Measured' "$T/stagger/summary.md"
run together --reps 2 --jobs 2 --hold together --append shim=good --expect login: --measure "$M"
check boottest_measure_together_all_up_first json together \
    '[(b["measured"]["up"], b["measured"]["started"]) for b in r["boots"]] == [("2", "2"), ("2", "2")]'
# without --hold: each guest measured alone, then stopped (a second job may run meanwhile)
# shellcheck disable=SC2016
run alone --reps 2 --append shim=good --measure 'echo up=$BOOTTEST_UP; echo group=$BOOTTEST_GROUP'
check boottest_measure_alone json alone \
    '[(b["measured"]["up"], b["measured"]["group"], b["group"]) for b in r["boots"]] == [("1", "1", 1), ("1", "2", 2)]'
# a command that fails, or outlasts the timeout, fails its boot; neither it nor the guest is left
run mfail --reps 1 --append shim=good --measure 'echo kept=1; echo oops >&2; exit 3'
check boottest_measure_status_fails_the_boot json mfail \
    'r["boots"][0]["result"] == "failed" and r["boots"][0]["measure_status"] == 3 and r["boots"][0]["reason"] == "the measure command exited with status 3; it said: oops" and r["boots"][0]["measured"] == {"kept": "1"}'
check boottest_measure_status_exits_1 [ "$RC" = 1 ]
run mslow --reps 1 --timeout 2 --append shim=good --measure 'echo early=1; exec sleep 60.123'
check boottest_measure_timeout_fails_the_boot json mslow \
    'r["boots"][0]["result"] == "failed" and r["boots"][0]["measure_timed_out"] and r["boots"][0]["measure_signal"] == 15 and "did not end within 2 s" in r["boots"][0]["reason"] and r["boots"][0]["measured"] == {"early": "1"}'
check boottest_measure_timeout_guest_gone pids_gone mslow
check boottest_measure_timeout_command_gone bash -c "! pgrep -f 'sleep 60[.]123' >/dev/null"
# a guest that ends by itself before its command can run (held until the other guest of its
# group booted, which waits until the first one is gone) fails
SHIM_DIR=$T run mexit --reps 2 --jobs 2 --hold together --append shim=quit-first --measure 'echo x=1'
check boottest_measure_guest_gone_first json mexit \
    'sorted(b["result"] for b in r["boots"]) == ["failed", "ok"] and all(("ended (QEMU exited) before its measure command ran" in b["reason"]) if b["result"] == "failed" else b["measured"] == {"x": "1"} for b in r["boots"])'
# --hold with a disk FILE kept across boots and two at once: refused before booting
run holdfile --append shim=good --jobs 2 --hold together --base "$T/base.img" --instance "$T/base.img"
check boottest_hold_refuses_a_shared_instance_file bash -c "[ $RC = 2 ] && grep -q 'would write $T/base.img from 2 guests at once' '$T/holdfile.out'"
run badhold --append shim=good --hold sometimes
check boottest_hold_bad_mode_exits_2 bash -c "[ $RC = 2 ] && grep -q 'use together or staggered' '$T/badhold.out'"

# base-device = virtio-pmem: the file mapped, sized in 2 MiB steps; another size refused
truncate -s 4M "$T/pmem.img"
run pmem --reps 1 --append shim=good --base "$T/pmem.img" --base-device virtio-pmem
check boottest_pmem_boots [ "$RC" = 0 ]
check boottest_pmem_qemu_args grep -q "memory-backend-file,id=srbase,share=off,readonly=on,mem-path=$T/pmem.img,size=4194304 -device virtio-pmem-pci,memdev=srbase,id=srbase-pmem" "$T/pmem/logs/boot/1.cmd"
check boottest_pmem_memory_map grep -q -- "-m 512,slots=2,maxmem=516M" "$T/pmem/logs/boot/1.cmd"
check boottest_pmem_root_and_instance json pmem \
    '"root=/dev/pmem0" in r["configs"][0]["cmdline"] and r["configs"][0]["base_device"] == "virtio-pmem"'
truncate -s 3M "$T/pmem3.img"
run pmem3 --reps 1 --append shim=good --base "$T/pmem3.img" --base-device virtio-pmem
check boottest_pmem_refuses_a_size_off_2mib bash -c "[ $RC = 2 ] && grep -q 'needs a size that is a multiple of 2 MiB (it has 3145728 bytes)' '$T/pmem3.out'"

# base-format: a qcow2 base (a cloud image) attached as qcow2 by its header, read-only; raw
# asked of it boots raw with one warning per file; other containers, qcow2 on virtio-pmem and
# qcow2 asked of a raw file are refused before QEMU starts. Headers as basic/imgformat.c
# reads them: "QFI\xfb" version 3, "KDMV". The qcow2 header as its chain check reads it too:
# 64 KiB clusters (bits 16 at byte 20), a 1 MiB disk (byte 24), 112 header bytes (byte 100),
# no backing file.
python3 -c 'import struct,sys; h=bytearray(1048576); h[0:8]=b"QFI\xfb\0\0\0\3"; struct.pack_into(">IQ",h,20,16,1<<20); struct.pack_into(">II",h,96,4,112); sys.stdout.buffer.write(h)' >"$T/cloud.qcow2"
{ printf 'KDMV\1\0\0\0'; head -c 2097144 /dev/zero; } >"$T/cloud.vmdk"
run qcow2 --reps 1 --append shim=good --base "$T/cloud.qcow2" --instance fresh:1M
check boottest_qcow2_base_boots [ "$RC" = 0 ]
check boottest_qcow2_base_attached_as_qcow2_readonly \
    grep -q -- "-drive file=$T/cloud.qcow2,format=qcow2,if=virtio,readonly=on -drive file=$T/qcow2/work/[^ ]*,format=raw,if=virtio " "$T/qcow2/logs/boot/1.cmd"
check boottest_qcow2_base_in_report json qcow2 \
    'r["configs"][0]["base_format"] == "qcow2" and r["configs"][0]["base_format_detected"] == "qcow2"'
printf '[defaults]\nkernel = %s\nbase = %s\nbase-format = raw\nappend = shim=good\n[a]\n[b]\n' \
    "$T/vmlinuz" "$T/cloud.qcow2" >"$T/raw-forced.run"
run raw-forced --reps 1 "$T/raw-forced.run"
check boottest_raw_forced_boots_raw bash -c "[ $RC = 0 ] && grep -q 'file=$T/cloud.qcow2,format=raw,if=virtio,readonly=on' '$T/raw-forced/logs/b/1.cmd'"
check boottest_raw_forced_warns_once_per_file bash -c \
    "[ \$(grep -c 'base-format = raw, but its header says qcow2' '$T/raw-forced.out') = 1 ]"
check boottest_raw_forced_in_report json raw-forced \
    'r["configs"][1]["base_format"] == "raw" and r["configs"][1]["base_format_detected"] == "qcow2"'
check boottest_raw_base_in_report json good \
    'r["configs"][0]["base_format"] == "raw" and r["configs"][0]["base_format_detected"] == "raw"'
run vmdk --reps 1 --append shim=good --base "$T/cloud.vmdk"
check boottest_vmdk_base_refused_before_qemu bash -c "[ $RC = 2 ] && [ ! -e '$T/vmdk/logs/boot/1.cmd' ] && grep -q 'base $T/cloud.vmdk: it is a vmdk image; QEMU attaches a raw or qcow2 base here: convert it with .qemu-img convert -O qcow2 $T/cloud.vmdk BASE.qcow2. (or -O raw)' '$T/vmdk.out'"
run qcow2-pmem --reps 1 --append shim=good --base "$T/cloud.qcow2" --base-device virtio-pmem
check boottest_qcow2_on_pmem_refused bash -c "[ $RC = 2 ] && [ ! -e '$T/qcow2-pmem/logs/boot/1.cmd' ] && grep -q 'it is a qcow2 image, and base-device = virtio-pmem maps the file' '$T/qcow2-pmem.out'"
run qcow2-of-raw --reps 1 --append shim=good --base "$T/base.img" --base-format qcow2
check boottest_qcow2_asked_of_raw_refused bash -c "[ $RC = 2 ] && grep -q 'no qcow2 header (it reads as raw)' '$T/qcow2-of-raw.out'"
run bad-format --append shim=good --base "$T/base.img" --base-format vmdk
check boottest_base_format_bad_value_exits_2 bash -c "[ $RC = 2 ] && grep -q \"base-format: 'vmdk' is not auto, raw or qcow2\" '$T/bad-format.out'"

# a raw base that holds a partition table (a cloud image) and no root given: the root partition
# picked from the table (checkbase/partition.c) once per configuration, named by PARTUUID and
# said once; a root given wins; a table that does not tell is refused before any QEMU starts,
# the partitions listed; a base without a table keeps root=/dev/vda.
check boottest_root_auto_none_without_a_table json good \
    '"root=/dev/vda" in r["configs"][0]["cmdline"].split() and r["configs"][0]["root_auto"] is None'
PU=5a7e0000-0000-4000-8000-0000000c1d01
gpt_disk() { # FILE TYPE-OF-2: 10 MiB, 1 an ESP (no filesystem) or generic with ext4, 2 ext4
    local f=$1 t1=$2 fs=$T/part-fs.img
    rm -f "$f" && truncate -s 10M "$f" || return 1
    printf 'label: gpt\nstart=2048, size=4096, type=%s\nstart=6144, size=8192, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=%s\n' \
        "$t1" "$PU" | sfdisk -q "$f" >/dev/null || return 1
    rm -f "$fs" && truncate -s 4M "$fs" && mkfs.ext4 -q -F -L p2 "$fs" || return 1
    dd if="$fs" of="$f" bs=1M seek=3 conv=notrunc status=none || return 1
    [ "$t1" = C12A7328-F81F-11D2-BA4B-00A0C93EC93B ] && return 0
    truncate -s 2M "$fs" && mkfs.ext4 -q -F -L p1 "$fs" && dd if="$fs" of="$f" bs=1M seek=1 conv=notrunc status=none
}
if ! command -v sfdisk >/dev/null || ! command -v mkfs.ext4 >/dev/null; then
    skip boottest_root_auto "sfdisk or mkfs.ext4 not installed (fdisk, e2fsprogs)"
elif ! gpt_disk "$T/gpt.img" C12A7328-F81F-11D2-BA4B-00A0C93EC93B ||
    ! gpt_disk "$T/gpt-amb.img" 0FC63DAF-8483-4772-8E79-3D69D8477DE4; then
    fail boottest_root_auto "making the GPT images failed"
else
    run auto --reps 2 --append shim=good --base "$T/gpt.img"
    check boottest_root_auto_boots [ "$RC" = 0 ]
    check boottest_root_auto_partuuid_on_the_cmdline bash -c \
        "grep -q ' root=PARTUUID=$PU shim=good' '$T/auto/logs/boot/2.cmd' && ! grep -q 'root=/dev/vda' '$T/auto/logs/boot/2.cmd'"
    check boottest_root_auto_in_the_report json auto \
        "r['configs'][0]['root_auto'] == 'PARTUUID=$PU (partition 2, linux-generic, ext4)'"
    check boottest_root_auto_said_once bash -c \
        "[ \$(grep -c 'base $T/gpt.img: root=PARTUUID=$PU, chosen from its partition table: partition 2, linux-generic, ext4 (--root or root = names another)' '$T/auto.out') = 1 ]"
    run auto-pmem --reps 1 --append shim=good --base "$T/gpt.img" --base-device virtio-pmem
    check boottest_root_auto_on_pmem bash -c "[ $RC = 0 ] && grep -q 'root=PARTUUID=$PU' '$T/auto-pmem/logs/boot/1.cmd'"
    run auto-given --reps 1 --append shim=good --base "$T/gpt.img" --root /dev/vda1
    check boottest_root_auto_a_given_root_wins bash -c \
        "[ $RC = 0 ] && grep -q ' root=/dev/vda1 shim=good' '$T/auto-given/logs/boot/1.cmd' && ! grep -q 'PARTUUID' '$T/auto-given/logs/boot/1.cmd' && ! grep -q 'from its partition table' '$T/auto-given.out'"
    check boottest_root_auto_none_when_given json auto-given 'r["configs"][0]["root_auto"] is None'
    run auto-amb --reps 1 --append shim=good --base "$T/gpt-amb.img"
    check boottest_root_auto_ambiguous_exits_2_before_qemu bash -c \
        "[ $RC = 2 ] && [ ! -e '$T/auto-amb/logs/boot/1.cmd' ] && ! grep -q accelerator '$T/auto-amb.out'"
    check boottest_root_auto_ambiguous_says_why_and_the_fix grep -qF \
        "[boot] base $T/gpt-amb.img: no root given (--root, root =), and its gpt partition table does not tell which partition is the root: 2 partitions hold a filesystem a root can be; name it with --root /dev/vdaN (root = /dev/vdaN in the run file), N from its partitions:" \
        "$T/auto-amb.out"
    check boottest_root_auto_ambiguous_lists_the_partitions bash -c \
        "grep -qF '[boot]   1: 2 MiB, type linux-generic (0fc63daf-8483-4772-8e79-3d69d8477de4), ext4, label \"p1\"' '$T/auto-amb.out' && grep -qF '[boot]   2: 4 MiB, type linux-generic (0fc63daf-8483-4772-8e79-3d69d8477de4), ext4, label \"p2\", PARTUUID $PU' '$T/auto-amb.out'"
fi

# the same for a qcow2 base (qemu-img convert -O qcow2 of the raw disks), read through qemu-img
# (boottest/qcow2view.c): the root picked by PARTUUID, even while another process holds the
# image's lock; an ambiguous table refused before QEMU; a backing chain of plain files
# followed; an image whose chain QEMU must not open (a backing file named by a protocol (nbd:,
# json:), a device, another format, a loop) refused before any QEMU starts, with or without
# --root, and the protocol one never opened (a listener on 127.0.0.1 sees no connection);
# without qemu-img in PATH a warning naming qemu-utils and --root.
if ! command -v qemu-img >/dev/null || ! command -v sfdisk >/dev/null || ! command -v mkfs.ext4 >/dev/null; then
    skip boottest_root_auto_qcow2 "qemu-img, sfdisk or mkfs.ext4 not installed (qemu-utils, fdisk, e2fsprogs)"
elif ! qemu-img convert -O qcow2 "$T/gpt.img" "$T/gpt.qcow2" ||
    ! qemu-img convert -O qcow2 "$T/gpt-amb.img" "$T/gpt-amb.qcow2" ||
    ! qemu-img create -q -f qcow2 -b gpt.qcow2 -F qcow2 "$T/overlay.qcow2" ||
    ! qemu-img create -q -f vmdk "$T/disk.vmdk" 10M ||
    ! qemu-img create -q -f qcow2 -u -b disk.vmdk -F vmdk "$T/on-vmdk.qcow2" 10M; then
    fail boottest_root_auto_qcow2 "making the qcow2 images failed"
else
    run q --reps 1 --append shim=good --base "$T/gpt.qcow2"
    check boottest_root_auto_qcow2_boots [ "$RC" = 0 ]
    check boottest_root_auto_qcow2_partuuid_on_the_cmdline bash -c \
        "grep -q ' root=PARTUUID=$PU shim=good' '$T/q/logs/boot/1.cmd' && grep -q 'format=qcow2' '$T/q/logs/boot/1.cmd'"
    check boottest_root_auto_qcow2_in_the_report json q \
        "r['configs'][0]['root_auto'] == 'PARTUUID=$PU (partition 2, linux-generic, ext4)'"
    check boottest_root_auto_qcow2_said grep -qF \
        "base $T/gpt.qcow2: root=PARTUUID=$PU, chosen from its partition table: partition 2, linux-generic, ext4" "$T/q.out"
    check boottest_root_auto_qcow2_leaves_no_temporary_file bash -c \
        "! ls '${TMPDIR:-/tmp}' | grep -q '^sharedroot-boottest-qcow2\.'"
    # held open read-write by qemu-io (a running guest's lock, as a qcow2 base on a writable
    # -drive of another QEMU would hold it)
    if command -v qemu-io >/dev/null; then
        cp "$T/gpt.qcow2" "$T/locked.qcow2"
        mkfifo "$T/qio"
        qemu-io -f qcow2 "$T/locked.qcow2" <"$T/qio" >/dev/null 2>&1 &
        QIO=$!
        exec 9>"$T/qio"
        while ! qemu-img info "$T/locked.qcow2" 2>&1 | grep -q 'lock'; do sleep 0.1; done
        run q-locked --reps 1 --append shim=good --base "$T/locked.qcow2"
        check boottest_root_auto_qcow2_reads_a_locked_image bash -c \
            "[ $RC = 0 ] && grep -q ' root=PARTUUID=$PU shim=good' '$T/q-locked/logs/boot/1.cmd'"
        exec 9>&-
        wait "$QIO"
    else
        skip boottest_root_auto_qcow2_reads_a_locked_image "qemu-io is not installed (qemu-utils)"
    fi
    run q-overlay --reps 1 --append shim=good --base "$T/overlay.qcow2"
    check boottest_root_auto_qcow2_follows_a_plain_backing_file bash -c \
        "[ $RC = 0 ] && grep -q ' root=PARTUUID=$PU shim=good' '$T/q-overlay/logs/boot/1.cmd'"
    run q-amb --reps 1 --append shim=good --base "$T/gpt-amb.qcow2"
    check boottest_root_auto_qcow2_ambiguous_exits_2_before_qemu bash -c \
        "[ $RC = 2 ] && [ ! -e '$T/q-amb/logs/boot/1.cmd' ] && ! grep -q accelerator '$T/q-amb.out'"
    check boottest_root_auto_qcow2_ambiguous_lists_the_partitions grep -qF \
        "[boot]   2: 4 MiB, type linux-generic (0fc63daf-8483-4772-8e79-3d69d8477de4), ext4, label \"p2\", PARTUUID $PU" "$T/q-amb.out"
    # refused: exit status 2, no QEMU started, the reason and the fix said
    refused() { # NAME OUT-GREP
        echo "[ $RC = 2 ] && [ ! -e '$T/$1/logs/boot/1.cmd' ] && ! grep -q accelerator '$T/$1.out' && grep -qF 'not booted: ' '$T/$1.out' && grep -qF \"QEMU opens a qcow2 base's whole chain of backing files when the guest boots); boot a self-contained copy made where the image is trusted: qemu-img convert -O qcow2 \" '$T/$1.out' && grep -qF \"$2\" '$T/$1.out'"
    }
    for kind in nbd json; do
        for root in auto given; do
            listener "$T/port-$kind-$root" "$T/hit-$kind-$root"
            while [ ! -s "$T/port-$kind-$root" ]; do sleep 0.1; done
            port=$(cat "$T/port-$kind-$root")
            name=$(protocol_backing_name $kind "$port")
            qemu-img create -q -f qcow2 -u -b "$name" -F raw "$T/$kind-$root.qcow2" 10M
            if [ $root = auto ]; then
                run "q-$kind-$root" --reps 1 --append shim=good --base "$T/$kind-$root.qcow2"
            else # the root given: no table read, but QEMU would open the chain
                run "q-$kind-$root" --reps 1 --append shim=good --root /dev/vda1 --base "$T/$kind-$root.qcow2"
            fi
            kill "$LISTENER" 2>/dev/null
            wait "$LISTENER" 2>/dev/null
            check "boottest_qcow2_${kind}_backing_root_${root}_never_opened" [ ! -e "$T/hit-$kind-$root" ]
            check "boottest_qcow2_${kind}_backing_root_${root}_refused_before_qemu" bash -c \
                "$(refused "q-$kind-$root" "base $T/$kind-$root.qcow2: not booted: the backing file of the image is named '$kind:")"
        done
    done
    check boottest_qcow2_protocol_backing_refusal_says_why grep -qF \
        'a protocol or json: name (QEMU would open a connection or whatever the name describes), which is not opened' "$T/q-nbd-given.out"
    # a backing file that is a device (a FIFO would hang a reader; a host disk would be
    # handed to the guest), and a name with terminal escapes, shown with them replaced
    qemu-img create -q -f qcow2 -u -b /dev/zero -F raw "$T/on-dev.qcow2" 10M
    run q-dev --reps 1 --append shim=good --root /dev/vda1 --base "$T/on-dev.qcow2"
    check boottest_qcow2_device_backing_refused bash -c \
        "$(refused q-dev 'its backing file /dev/zero is not a regular file (a device, FIFO or socket), which is not read')"
    qemu-img create -q -f qcow2 -u -b "$(printf 'evil\033]0;title\007:x')" -F raw "$T/escapes.qcow2" 10M
    run q-esc --reps 1 --append shim=good --base "$T/escapes.qcow2"
    check boottest_qcow2_backing_name_shown_without_escapes bash -c \
        "[ $RC = 2 ] && grep -qF \"is named 'evil?]0;title?:x', a protocol\" '$T/q-esc.out' && ! grep -q \$'\\033' '$T/q-esc.out'"
    # a qcow2 that is its own backing file: the chain is not followed forever
    qemu-img create -q -f qcow2 "$T/self.qcow2" 10M && qemu-img rebase -q -u -b self.qcow2 -F qcow2 "$T/self.qcow2"
    run q-self --reps 1 --append shim=good --base "$T/self.qcow2"
    check boottest_qcow2_backing_loop_refused bash -c \
        "$(refused q-self 'its chain of backing files is deeper than 16 (a loop?)')"
    run q-vmdk --reps 1 --append shim=good --root /dev/vda1 --base "$T/on-vmdk.qcow2"
    check boottest_qcow2_vmdk_backing_refused bash -c \
        "$(refused q-vmdk "its backing file $T/disk.vmdk is in vmdk format; only raw and qcow2 backing files are followed")"
    # the same image attached raw (--base-format raw): QEMU reads no chain, the boot goes on
    run q-vmdk-raw --reps 1 --append shim=good --root /dev/vda1 --base-format raw --base "$T/on-vmdk.qcow2"
    check boottest_qcow2_chain_not_checked_when_attached_raw bash -c \
        "[ $RC = 0 ] && grep -q 'format=raw' '$T/q-vmdk-raw/logs/boot/1.cmd'"
    # Debian's genericcloud layout: BIOS boot 14 and ESP 15 first on the disk, the root
    # (x86-64 root type, ext4) on partition 1 after them
    f=$T/deb.img
    truncate -s 20M "$f" && truncate -s 10M "$T/part-fs.img" && mkfs.ext4 -q -F -L root "$T/part-fs.img" &&
        printf 'label: gpt\n%s14 : start=2048, size=4096, type=21686148-6449-6E6F-744E-656564454649\n%s15 : start=6144, size=4096, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n%s1 : start=10240, size=20480, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=%s\n' \
            "$f" "$f" "$f" "$PU" | sfdisk -q "$f" >/dev/null &&
        dd if="$T/part-fs.img" of="$f" bs=1M seek=5 conv=notrunc status=none &&
        qemu-img convert -O qcow2 "$f" "$T/deb.qcow2"
    run q-deb --reps 1 --append shim=good --base "$T/deb.qcow2"
    check boottest_root_auto_qcow2_debian_genericcloud_layout json q-deb \
        "r['configs'][0]['root_auto'] == 'PARTUUID=$PU (partition 1, linux-root-x86-64, ext4)'"
    # an MBR disk whose root is the second logical partition: its extended boot record is
    # found only by following the chain from the extended partition's start
    f=$T/mbr.img
    truncate -s 12M "$f" && truncate -s 4M "$T/part-fs.img" && mkfs.ext4 -q -F -L p6 "$T/part-fs.img" &&
        printf 'label: dos\nlabel-id: 0x5a7e0001\nstart=2048, size=2048, type=83\nstart=6144, size=18432, type=5\nstart=8192, size=2048, type=83\nstart=14336, size=8192, type=83\n' |
        sfdisk -q "$f" >/dev/null && dd if="$T/part-fs.img" of="$f" bs=1M seek=7 conv=notrunc status=none &&
        qemu-img convert -O qcow2 "$f" "$T/mbr.qcow2"
    run q-mbr-raw --reps 1 --append shim=good --base "$T/mbr.img"
    run q-mbr --reps 1 --append shim=good --base "$T/mbr.qcow2"
    check boottest_root_auto_qcow2_follows_mbr_logical_partitions bash -c \
        "[ $RC = 0 ] && grep -q ' root=PARTUUID=5a7e0001-06 shim=good' '$T/q-mbr/logs/boot/1.cmd' && grep -q ' root=PARTUUID=5a7e0001-06 shim=good' '$T/q-mbr-raw/logs/boot/1.cmd'"
    # PATH without qemu-img: every other program of /usr/bin and /bin
    mkdir "$T/noqimg"
    for f in /usr/bin/* /bin/*; do
        [ "${f##*/}" = qemu-img ] || [ -e "$T/noqimg/${f##*/}" ] || ln -s "$f" "$T/noqimg/"
    done
    PATH=$T/noqimg run q-noqimg --reps 1 --append shim=good --base "$T/gpt.qcow2"
    check boottest_root_auto_qcow2_without_qemu_img_warns bash -c \
        "[ $RC = 0 ] && grep -qF ' root=/dev/vda ' '$T/q-noqimg/logs/boot/1.cmd' && grep -qF 'base $T/gpt.qcow2: its partition table cannot be read: qemu-img, which reads inside a qcow2 image, is not installed (package qemu-utils); root=/dev/vda as for a base without one (give --root when the root is on a partition)' '$T/q-noqimg.out'"
fi

# --thp-advice: QEMU's MADV_HUGEPAGE on the pmem base's mapping made a no-op (ram, the
# default), every one let through (all), or none (guest RAM too); a virtio-blk guest unfiltered
thp() { # NAME WANT ARGS...: the shim's THP line in its console log
    local name=$1 want=$2; shift 2
    run "$name" --reps 1 --append shim=thp "$@"
    [ "$RC" = 0 ] && grep -q "^THP $want" "$T/$name/logs/boot/1.log"
}
check boottest_thp_advice_ram_spares_the_pmem_base thp thp-ram 'base=no other=hg' \
    --base "$T/pmem.img" --base-device virtio-pmem
check boottest_thp_advice_all_lets_qemu_advise thp thp-all 'base=hg other=hg' \
    --base "$T/pmem.img" --base-device virtio-pmem --thp-advice all
check boottest_thp_advice_none_advises_nothing thp thp-none 'base=no other=no' \
    --base "$T/pmem.img" --base-device virtio-pmem --thp-advice none
check boottest_thp_advice_ram_leaves_virtio_blk thp thp-blk 'base=hg other=hg' \
    --base "$T/pmem.img"
check boottest_thp_advice_in_report json thp-none 'r["thp_advice"] == "none"'
run thp-bad --thp-advice never
check boottest_thp_advice_refuses_a_bad_word bash -c "[ $RC = 2 ] && grep -q 'use ram, all or none' '$T/thp-bad.out'"

# sharedroot-qemu: the same filter in front of any QEMU (libvirt's <emulator>), the sizes read
# from QEMU's own command line; the shim prints what a mapping of the backend's size kept
SQ=$B/boottest/sharedroot-qemu
cat >"$T/qemu-thp" <<'EOF2'
#!/bin/bash
echo "ARGS $*"
python3 "$(dirname "$0")/thp-advised.py" 4194304
EOF2
chmod 0755 "$T/qemu-thp"
sq() { # NAME ARGS...: sharedroot-qemu with the shim as QEMU; RC and $T/NAME.out
    local name=$1; shift
    SHAREDROOT_QEMU_BINARY=${SQB:-$T/qemu-thp} "$SQ" "$@" >"$T/$name.out" 2>&1
    RC=$?
}
KV=memory-backend-file,id=base,share=off,readonly=on,mem-path=/srv/base.img,size=4M
JS='{"qom-type":"memory-backend-file","id":"memvirtiopmem0","mem-path":"/srv/base.img","share":false,"size":4194304}'
sq sq-kv -m 512 -object "$KV" -device virtio-pmem-pci,memdev=base
check qemu_wrap_spares_a_keyval_backend bash -c "[ $RC = 0 ] && grep -qx 'THP base=no other=hg' '$T/sq-kv.out'"
check qemu_wrap_passes_the_arguments_unchanged grep -qxF "ARGS -m 512 -object $KV -device virtio-pmem-pci,memdev=base" "$T/sq-kv.out"
sq sq-json -object "$JS"
check qemu_wrap_spares_a_libvirt_json_backend bash -c "[ $RC = 0 ] && grep -qx 'THP base=no other=hg' '$T/sq-json.out'"
sq sq-none -m 512
check qemu_wrap_without_a_backend_leaves_qemu_alone bash -c "[ $RC = 0 ] && grep -qx 'THP base=hg other=hg' '$T/sq-none.out'"
SHAREDROOT_THP_ADVICE=all sq sq-all -object "$KV"
check qemu_wrap_advice_all bash -c "[ $RC = 0 ] && grep -qx 'THP base=hg other=hg' '$T/sq-all.out'"
SHAREDROOT_THP_ADVICE=none sq sq-nothing -m 512
check qemu_wrap_advice_none bash -c "[ $RC = 0 ] && grep -qx 'THP base=no other=no' '$T/sq-nothing.out'"
SHAREDROOT_THP_ADVICE=never sq sq-bad -object "$KV"
check qemu_wrap_refuses_a_bad_advice bash -c "[ $RC = 2 ] && grep -q 'SHAREDROOT_THP_ADVICE=never: use ram, all or none' '$T/sq-bad.out' && ! grep -q ARGS '$T/sq-bad.out'"
sq sq-size -object memory-backend-file,id=b,mem-path=/x,size=1.5G
check qemu_wrap_refuses_an_unreadable_size bash -c "[ $RC = 2 ] && grep -q 'size of a memory-backend-file cannot be read' '$T/sq-size.out' && ! grep -q ARGS '$T/sq-size.out'"
SQB=$SQ sq sq-self -m 512
check qemu_wrap_refuses_to_run_itself bash -c "[ $RC = 2 ] && grep -q 'is sharedroot-qemu itself' '$T/sq-self.out'"
SQB=relative/qemu sq sq-rel -m 512
check qemu_wrap_needs_an_absolute_qemu bash -c "[ $RC = 2 ] && grep -q 'absolute path' '$T/sq-rel.out'"
SQB=$T/missing-qemu sq sq-missing -m 512
check qemu_wrap_says_when_qemu_is_missing bash -c "[ $RC = 1 ] && grep -q 'cannot execute $T/missing-qemu' '$T/sq-missing.out'"

# valgrind over a whole run with a failure and a baseline (the plain build: no sanitizer)
VGBT=$(cd "$B/.." && pwd)/plain/boottest/sharedroot-boottest
if command -v valgrind >/dev/null && [ -x "$VGBT" ]; then
    valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --trace-children=no --log-file="$T/vg.log" "$VGBT" --qemu "$T/qemu" --accel tcg \
        --progress line --output "$T/vg" "$T/two.run" --baseline "$T/two/report.json" \
        >"$T/vg.out" 2>&1
    RC=$?
    check boottest_valgrind_clean bash -c "[ $RC != 99 ] && ! grep -q 'ERROR SUMMARY: [1-9]' '$T/vg.log'"
    [ "$RC" = 99 ] && sed 's/^/    | /' "$T/vg.log" | head -40
else
    skip boottest_valgrind_clean "valgrind or the plain build is missing"
fi
exit 0
