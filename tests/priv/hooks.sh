#!/bin/bash
# Boot-stage hooks, break points and --resume through sharedroot-init test runs (not PID 1)
# in a private mount namespace against a loop device: real hook scripts in a hook directory
# ($SHAREDROOT_HOOKS_DIR, honoured by test runs only), their order and environment, a failing
# hook, an -optional one, a world-writable one, a hung one, sharedroot.break=, and
# sharedroot-init --resume ending a stand-in "shell" the way PID 1's shell would be ended.
# $1 = the build dir (containing init/sharedroot-init). Needs root.
set -u
B=${1:?usage: hooks.sh BUILDDIR}
INIT=$B/init/sharedroot-init

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check() { # name, condition-command...
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name"; sed 's/^/    | /' "$T/out" | tail -n 30; fi
}

if [ "$(id -u)" -ne 0 ]; then skip hooks "needs root"; exit 0; fi
[ -x "$INIT" ] || { fail hooks "$INIT not built"; exit 1; }

T=$(mktemp -d /tmp/sharedroot-hooks.XXXXXX)
chmod 0755 "$T"
LOOPS=()
cleanup() {
    for l in "${LOOPS[@]}"; do blockdev --setrw "$l" 2>/dev/null; losetup -d "$l" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

LABEL=srhook$$
mkdir -p "$T/tree/sbin" "$T/tree/bin" "$T/tree/etc" "$T/tree/var" "$T/sysroot"
cp /usr/bin/busybox "$T/tree/bin/busybox"
ln -s /bin/busybox "$T/tree/sbin/init"
mkfs.ext4 -q -F -L "$LABEL" -d "$T/tree" "$T/base.img" 16M
LOOP=$(losetup --find --show "$T/base.img") || { skip hooks "no loop device"; exit 0; }
LOOPS+=("$LOOP")

H=$T/hooks
# hook NAME-WITH-STAGE-DIR BODY [MODE]: e.g. hook root.d/10-a 'echo hi'
hook() {
    mkdir -p "$H/$(dirname "$1")"
    chmod 0755 "$H" "$H/$(dirname "$1")"
    printf '#!/bin/sh\n%s\n' "$2" >"$H/$1"
    chmod "${3:-0755}" "$H/$1"
}
run() { # cmdline, extra args... ; output in $T/out, status in $RC
    echo "$1" >"$T/cmdline"; shift
    SHAREDROOT_HOOKS_DIR=$H unshare -m --propagation private "$INIT" --cmdline "$T/cmdline" \
        --sysroot "$T/sysroot" "$@" >"$T/out" 2>&1
    RC=$?
}
has() { grep -q -- "$1" "$T/out"; }

# --- a hook at every stage, in order, with the documented environment
REC=$T/record
# shellcheck disable=SC2016  # expanded by the hooks
ENVLINE='echo "$SHAREDROOT_STAGE $SHAREDROOT_HOOK sysroot=$SHAREDROOT_SYSROOT dev=$SHAREDROOT_ROOT_DEVICE fs=$SHAREDROOT_ROOT_FSTYPE mode=$SHAREDROOT_MODE inst=$SHAREDROOT_INSTANCE host=$SHAREDROOT_HOSTNAME" >>'"$REC"
for s in early devices root switch; do
    hook "$s.d/20-second" "$ENVLINE"
    hook "$s.d/10-first" "$ENVLINE; echo output-of-$s-hook; echo err-of-$s-hook >&2"
done
run "root=LABEL=$LABEL sharedroot.hostname=web-1"
check hooks_testrun_boots [ $RC -eq 0 ]
cat >"$T/want" <<EOF
early 10-first
early 20-second
devices 10-first
devices 20-second
root 10-first
root 20-second
switch 10-first
switch 20-second
EOF
check hooks_run_after_each_stage_in_order bash -c "cut -d' ' -f1,2 '$REC' | diff - '$T/want'"
check hooks_see_root_device_after_root_stage \
    grep -q "^root 10-first sysroot=$T/sysroot dev=$LOOP fs=ext4 " "$REC"
check hooks_see_no_root_device_before_it_is_found grep -q "^early 10-first sysroot=$T/sysroot dev= fs= " "$REC"
check hooks_see_no_mode_before_the_instance_stage grep -q "^devices 10-first .* mode= inst=" "$REC"
check hooks_see_hostname_from_cmdline grep -q "^early 10-first .* host=web-1$" "$REC"
check hook_output_is_prefixed_with_its_name has "hook 10-first: output-of-root-hook"
check hook_stderr_is_prefixed_too has "hook 10-first: err-of-devices-hook"
check switch_hooks_run_before_the_switch \
    bash -c "grep 'running hook .*/switch.d/20-second\|stage switch done' '$T/out' | head -n 1 | grep -q 'running hook'"
rm -rf "$H" "$REC"

# --- a failing hook stops the boot after its stage; -optional goes on
hook root.d/10-fails 'echo about to fail; exit 4'
hook root.d/20-never 'echo SHOULD-NOT-RUN'
run "root=LABEL=$LABEL"
check failing_hook_fails_the_boot [ $RC -eq 1 ]
check failing_hook_banner_names_stage_and_hook \
    bash -c "grep -q \"boot failed in stage 'root'\" '$T/out' && grep -q 'its hook .*/root.d/10-fails failed' '$T/out'"
check failing_hook_status_is_logged has "10-fails exited with status 4"
check hooks_after_a_failed_one_do_not_run bash -c "! grep -q SHOULD-NOT-RUN '$T/out'"
check failure_banner_shows_last_log_lines has "last log lines:"
mv "$H/root.d/10-fails" "$H/root.d/10-fails-optional"
run "root=LABEL=$LABEL"
check optional_failing_hook_goes_on bash -c "[ $RC -eq 0 ] && grep -q 'is optional' '$T/out' && grep -q SHOULD-NOT-RUN '$T/out'"
rm -rf "$H"

# --- a world-writable hook is refused (and fails the boot)
hook devices.d/10-open 'echo RAN-WORLD-WRITABLE' 0777
run "root=LABEL=$LABEL"
check world_writable_hook_is_refused \
    bash -c "[ $RC -eq 1 ] && ! grep -q RAN-WORLD-WRITABLE '$T/out' && grep -q 'refusing hook .*10-open: it is writable by group or others' '$T/out'"
rm -rf "$H"
hook devices.d/10-notmine 'echo RAN-FOREIGN'
chown 1234 "$H/devices.d/10-notmine"
run "root=LABEL=$LABEL"
check hook_not_owned_by_root_is_refused \
    bash -c "[ $RC -eq 1 ] && ! grep -q RAN-FOREIGN '$T/out' && grep -q 'owned by uid 1234' '$T/out'"
rm -rf "$H"

# --- a hung hook is killed after sharedroot.hook_timeout=
hook early.d/10-hang 'trap "" TERM; sleep 30'
start=$SECONDS
run "root=LABEL=$LABEL sharedroot.hook_timeout=1"
took=$((SECONDS - start))
check hung_hook_is_killed_after_the_timeout \
    bash -c "[ $RC -eq 1 ] && [ $took -lt 15 ] && grep -q 'did not finish within 1 s' '$T/out'"
rm -rf "$H"

# --- break points (a test run prints the state and goes on without a shell)
run "root=LABEL=$LABEL sharedroot.break=root"
check break_after_root_prints_the_state \
    bash -c "[ $RC -eq 0 ] && grep -q \"break point after stage 'root'\" '$T/out' && grep -q ' $T/sysroot .*ext4' '$T/out' && grep -q 'device $LOOP, filesystem ext4' '$T/out' && grep -q 'command line ($T/cmdline): root=LABEL=$LABEL sharedroot.break=root' '$T/out'"
check break_happens_after_the_stage_not_before \
    bash -c "grep -n 'stage root done\|break point after' '$T/out' | head -n 1 | grep -q 'stage root done'"
run "root=LABEL=$LABEL sharedroot.break"
check bare_break_is_before_the_switch has "break point before stage 'switch'"
run "root=LABEL=$LABEL sharedroot.break=devices sharedroot.break=early,rooot"
check break_names_are_checked bash -c "[ $RC -eq 0 ] && grep -q 'sharedroot.break=rooot: no stage of that name' '$T/out' && grep -q \"after stage 'early'\" '$T/out' && grep -q \"after stage 'devices'\" '$T/out'"

# --- --resume ends the shell PID 1 waits for (a stand-in in its own session here)
RUN=$T/run; mkdir -p "$RUN"
setsid sleep 60 &
sleep 0.3
SH=$(pgrep -n -x -P $$ sleep || pgrep -n -f '^sleep 60$')
echo "$SH root" >"$RUN/emergency-shell"
SHAREDROOT_RUN_DIR=$RUN "$INIT" --resume >"$T/out" 2>&1; RC=$?
sleep 0.2
check resume_ends_the_waiting_shell bash -c "[ $RC -eq 0 ] && ! kill -0 $SH 2>/dev/null && grep -q 'goes on with stage root' '$T/out'"
{ wait; } 2>/dev/null
rm -f "$RUN/emergency-shell"
SHAREDROOT_RUN_DIR=$RUN "$INIT" --resume >"$T/out" 2>&1; RC=$?
check resume_without_a_shell_says_so bash -c "[ $RC -eq 1 ] && grep -q 'no shell of PID 1 is waiting' '$T/out'"
echo "999999 root" >"$RUN/emergency-shell"
SHAREDROOT_RUN_DIR=$RUN "$INIT" --resume >"$T/out" 2>&1; RC=$?
check resume_with_a_stale_record_says_so bash -c "[ $RC -eq 1 ] && grep -q 'is gone' '$T/out'"

