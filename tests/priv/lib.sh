# shellcheck shell=bash
# Shared by the privileged test scripts (sourced). Each check prints one line that
# tests/run-all counts: "PASS: name", "FAIL: name[: why]" or "SKIP: name: why".
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+: $2}"; }
skip() { echo "SKIP: $1: $2"; }
# check NAME COMMAND...: PASS when the command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

# need NAME TOOL...: the whole script is a SKIP (exit 0) when not root or a tool is missing.
need() {
    local name=$1 t
    shift
    [ "$(id -u)" -eq 0 ] || { skip "$name" "needs root"; exit 0; }
    for t in "$@"; do
        command -v "$t" >/dev/null || { skip "$name" "$t not installed"; exit 0; }
    done
}

# Loop devices of the script: loop_attach IMAGE [losetup options] sets LOOP (status 1 when no
# loop device is free); loop_detach_all, from the script's EXIT trap, detaches them all.
LOOPS=()
loop_attach() { LOOP=$(losetup --find --show "${@:2}" "$1") && LOOPS+=("$LOOP"); }
loop_detach_all() {
    local l
    for l in "${LOOPS[@]}"; do
        blockdev --setrw "$l" 2>/dev/null
        losetup -d "$l" 2>/dev/null
    done
}

# A qcow2 backing file name QEMU would open as a connection: a listener on 127.0.0.1 sees
# whether anything did (boottest.sh, checkbase-qcow2.sh).
listener() { # PORTFILE HITFILE: accept on 127.0.0.1 (a free port, written to PORTFILE) for 60 s;
    # its PID in LISTENER
    python3 - "$1" "$2" <<'PYEOF' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8); s.settimeout(60)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
try:
    s.accept(); open(sys.argv[2], "w").write("connected\n")
except OSError:
    pass
PYEOF
    # shellcheck disable=SC2034  # read by the scripts that source this file
    LISTENER=$!
}
protocol_backing_name() { # nbd|json PORT: the name of an NBD export on 127.0.0.1:PORT
    if [ "$1" = nbd ]; then
        echo "nbd://127.0.0.1:$2/x"
    else
        echo 'json:{"driver": "raw", "file": {"driver": "nbd", "server": {"type": "inet", "host": "127.0.0.1", "port": "'"$2"'"}}}'
    fi
}
