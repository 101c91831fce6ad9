#!/bin/bash
# The NBD servers that QEMU's user networking starts per connection (guestfwd=...-cmd:CMD) in
# the docs and in the tests survive the way slirp starts them. slirp runs CMD through glib's
# double fork: a middle process forks CMD and exits. nbdkit always asks for SIGTERM when its
# parent dies (PR_SET_PDEATHSIG, whatever --exit-with-parent says); when the middle process's
# exit completes after nbdkit started (a loaded host), nbdkit quits right after the handshake
# and the guest loses its first connection ("block nbd0: Receive control failed (result -32)").
# `setsid -w` stays nbdkit's parent until it ends. Each command is started here as slirp does
# (its words split at blanks, the socket as stdin, stdout and stderr, by a middle process
# that exits after the command started), then an NBD handshake and one read must be answered.
# $1 = the build dir (unused).
set -u
# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need guestfwd_cmd nbdkit setsid python3
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
W=$(mktemp -d /tmp/sharedroot-guestfwd.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT
# an image the read can be checked against: 1 MiB, a known pattern at offset 4096
truncate -s 1M "$W/base.img"
printf 'sharedroot-guestfwd-test' | dd of="$W/base.img" bs=1 seek=4096 conv=notrunc status=none

# serve CMD: start CMD the way slirp's guestfwd does, then handshake and read 24 bytes at 4096
# after the middle process has exited. Prints what happened; status 0 when the read was answered.
serve() {
    timeout 30 python3 - "$1" <<'PY'
import os, socket, struct, sys, time
cmd = sys.argv[1]
ours, theirs = socket.socketpair()
middle = os.fork()
if middle == 0:
    child = os.fork()
    if child == 0:
        os.setsid()
        for fd in (0, 1, 2):
            os.dup2(theirs.fileno(), fd)
        argv = [w for w in cmd.split(" ") if w]   # libslirp: g_strsplit(cmd, " ")
        os.execvp(argv[0], argv)
    time.sleep(1.0)     # the command has started (and asked for its parent-death signal)
    os._exit(0)
os.waitpid(middle, 0)
theirs.close()
ours.settimeout(10)
def recv(n):
    b = b""
    while len(b) < n:
        k = ours.recv(n - len(b))
        if not k:
            raise EOFError(f"the server closed the connection after {len(b)} of {n} bytes")
        b += k
    return b
try:
    head = recv(18)
    if head[:16] != b"NBDMAGICIHAVEOPT":
        sys.exit(f"not a newstyle NBD server: {head!r}")
    ours.sendall(struct.pack(">I", 1))            # NBD_FLAG_C_FIXED_NEWSTYLE
    name = b"base"
    data = struct.pack(">I", len(name)) + name + struct.pack(">H", 0)
    ours.sendall(b"IHAVEOPT" + struct.pack(">II", 7, len(data)) + data)   # NBD_OPT_GO
    while True:
        magic, opt, rtype, n = struct.unpack(">QIII", recv(20))
        if magic != 0x3e889045565a9:
            sys.exit(f"bad option reply magic {magic:#x}")
        recv(n)
        if rtype & 0x80000000:
            sys.exit(f"NBD_OPT_GO refused (reply type {rtype:#x})")
        if rtype == 1:                            # NBD_REP_ACK
            break
    time.sleep(0.5)
    ours.sendall(struct.pack(">IHHQQI", 0x25609513, 0, 0, 1, 4096, 24))   # NBD_CMD_READ
    magic, err, handle = struct.unpack(">IIQ", recv(16))
    if magic != 0x67446698 or err or handle != 1:
        sys.exit(f"bad read reply: magic {magic:#x} error {err} handle {handle}")
    got = recv(24)
    if got != b"sharedroot-guestfwd-test":
        sys.exit(f"the read returned {got!r}")
    print("answered")
except (EOFError, OSError) as e:
    sys.exit(f"lost: {e}")
finally:
    ours.close()
PY
}

# the guestfwd commands of the docs that start nbdkit, with their image paths made the test's
cmds=()
while IFS= read -r c; do
    [ -n "$c" ] && cmds+=("$c")
done < <({
    cat docs/guest-examples.md
    sed -e 's/\\-/-/g' docs/sharedroot-boottest.1
} | grep -o "guestfwd=[^ ]*-cmd:[^'\"]*nbdkit[^'\"]*" | sed -e 's/^guestfwd=[^ ]*-cmd://' \
    -e "s#/srv/[^ ]*\\.img#$W/base.img#")
check docs_show_a_guestfwd_nbdkit_command [ ${#cmds[@]} -ge 2 ]
i=0
for c in "${cmds[@]}"; do
    i=$((i + 1))
    echo "    command $i: $c"
    out=$(serve "$c" 2>&1)
    check "doc_guestfwd_command_${i}_serves_after_its_starter_exits" [ "$out" = answered ]
    [ "$out" = answered ] || echo "    $out"
done

# the tests and benchmarks start nbdkit behind guestfwd only through setsid -w: no
# "cmd:nbdkit" left anywhere (qemu-tests/scenario-lib.sh's guestfwd_cmd adds it)
bare=$(grep -rn -e 'cmd:nbdkit' -e 'cmd:\\-\?nbdkit' qemu-tests bench docs tools 2>/dev/null)
check no_bare_nbdkit_behind_guestfwd [ -z "$bare" ]
[ -z "$bare" ] || while IFS= read -r l; do echo "    $l"; done <<<"$bare"

# what setsid -w is there for: nbdkit started bare this way quits after the handshake (a note,
# not a failure, when a newer nbdkit no longer does)
out=$(serve "nbdkit -s --log=null -r file $W/base.img" 2>&1)
if [ "$out" = answered ]; then
    echo "    note: this nbdkit ($(nbdkit --version)) no longer quits when its parent exits"
else
    echo "    bare nbdkit, its starter gone: $out (why the docs run it under setsid -w)"
fi
