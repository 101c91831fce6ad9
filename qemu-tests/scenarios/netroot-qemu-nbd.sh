# shellcheck shell=bash
# the qemu-nbd example of docs/guest-examples.md, run as written: its two command lines (the
# base export read-only, one instance export read-write) taken from the doc with only the
# address (127.0.0.1: loopback only), the ports (free ones) and the image paths replaced; the
# guest reaches both through guestfwd to socat, boots the base export read-only and claims web1
# as its instance disk; then the doc's qcow2 variant (--format=qcow2 on a qcow2 copy of the
# base) boots the same way
# qt-prepare: netroot

DOC=$QT_DIR/../docs/guest-examples.md

# doc_block START-REGEX: the first ```-block after the first line matching START-REGEX
doc_block() {
    awk -v re="$1" '$0 ~ re { h = 1; next } h && /^```/ { if (b) exit; b = 1; next } b { print }' "$DOC"
}

# two distinct free ports on 127.0.0.1 (both held until both are known)
free_ports() {
    python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))'
}

# start_server LINE PORT DIR NAME: run one of the doc's qemu-nbd lines with the test's address,
# port and paths; waits until it listens on 127.0.0.1:PORT only; its pid in $DIR/NAME.pid
start_server() {
    local line=$1 port=$2 d=$3 name=$4 pid
    line=${line//10.0.0.5/127.0.0.1}
    line=$(sed -E "s/--port=[0-9]+/--port=$port/; s|/srv/sharedroot|$d|g" <<<"$line")
    grep -q -- "--bind=127.0.0.1 " <<<"$line" || fail "the doc's qemu-nbd line binds no address: $1"
    grep -q -- "--port=$port " <<<"$line" || fail "the doc's qemu-nbd line names no port: $1"
    note "server: $line"
    # shellcheck disable=SC2086  # the doc's command line, split into its words
    $line >"$d/$name.log" 2>&1 &
    pid=$!
    echo "$pid" >"$d/$name.pid"
    qt_track "$pid"
    for _ in $(seq 1 100); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
    ss -Hltn "sport = :$port" | grep -q '127.0.0.1' ||
        fail "qemu-nbd does not listen on 127.0.0.1:$port: $(cat "$d/$name.log")"
    [ "$(ss -Hltn "sport = :$port" | grep -vc '127.0.0.1')" = 0 ] || fail "qemu-nbd listens on another address"
}

stop_servers() {
    local f
    for f in "$1"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null; rm -f "$f"; done
    sleep 0.2
}

# boot_pair LOG PORT1 PORT2: the guest with the base on PORT1 and web1 on PORT2
boot_pair() {
    local log=$1 p1=$2 p2=$3 fwd fwd1 fwd2 nic v
    fwd=$(grep -o 'guestfwd=tcp:10.0.2.100:10809-cmd:socat -lf /dev/null - TCP:127.0.0.1:10809' "$DOC" | head -n 1)
    [ -n "$fwd" ] || fail "no guestfwd to socat ... TCP:127.0.0.1:10809 in $DOC"
    # the doc's rule for the base's port, and the same rule for the instance's
    fwd1="${fwd%:10809}:$p1"
    fwd2=$(sed -e "s/10\.0\.2\.100:10809/10.0.2.100:10810/; s/:10809\$/:$p2/" <<<"$fwd")
    nic=(-netdev "user,id=n0,restrict=on,$fwd1,$fwd2" -device "virtio-net-pci,netdev=n0")
    qt_boot "$log" "$INITRD_NET" "root=nbd:10.0.2.100:base ip=dhcp sharedroot.instance=nbd://10.0.2.100:10810/web1" "${nic[@]}"
    check_nbd_report "$log" ext4
    [ "$(state "$log" MODE)" = instance ] || fail "state MODE=$(state "$log" MODE)"
    v=$(state "$log" NBD_1_EXPORT); [ "$v" = web1 ] || fail "state NBD_1_EXPORT=$v"
    v=$(state "$log" NBD_1_READONLY); [ "$v" = 0 ] || fail "the web1 export is read-only ($v)"
}

scenario() {
    local d log=$LOGS/$SC.log lines base_line inst_line p1 p2 before qbefore
    command -v qemu-nbd >/dev/null || skip "qemu-nbd is not installed (tools/install-deps: qemu-utils)"
    command -v qemu-img >/dev/null || skip "qemu-img is not installed (tools/install-deps: qemu-utils)"
    showlog "$log"
    d=$(mktemp -d /tmp/sharedroot-qemu-nbd.XXXXXX) || fail "mktemp failed"
    mkdir -p "$d/instances"
    cp --sparse=always "$ROOTS/ext4.img" "$d/base.img"
    new_inst "$d/instances/web1.img"
    before=$(sha "$d/base.img")

    lines=$(doc_block '^With \*\*qemu-nbd\*\*' | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta')
    base_line=$(grep -- '--export-name=base ' <<<"$lines")
    inst_line=$(grep -- '--export-name=web1 ' <<<"$lines")
    { [ -n "$base_line" ] && [ -n "$inst_line" ]; } || fail "no qemu-nbd lines for base and web1 in $DOC"
    grep -q -- '--read-only' <<<"$base_line" || fail "the doc serves the base read-write: $base_line"
    grep -q -- '--read-only' <<<"$inst_line" && fail "the doc serves the instance read-only: $inst_line"

    read -r p1 p2 < <(free_ports)
    [ -n "$p2" ] || fail "no free port on 127.0.0.1"
    start_server "$base_line" "$p1" "$d" base
    start_server "$inst_line" "$p2" "$d" web1
    boot_pair "$log" "$p1" "$p2"
    stop_servers "$d"
    debugfs -R 'stat /.sharedroot-instance' "$d/instances/web1.img" 2>/dev/null | grep -q '^Inode:' ||
        fail "the web1 export was not claimed (no .sharedroot-instance)"
    [ "$(sha "$d/base.img")" = "$before" ] || fail "the base export changed"

    # the doc's qcow2 variant: the same line with --format=qcow2 on a qcow2 image
    grep -q -- '--format=qcow2' "$DOC" || fail "the doc does not say how to serve a qcow2 base"
    qemu-img convert -q -f raw -O qcow2 "$d/base.img" "$d/base.qcow2" || fail "qemu-img convert failed"
    qbefore=$(sha "$d/base.qcow2")
    base_line=$(sed -e 's/--format=raw/--format=qcow2/; s|/base.img|/base.qcow2|' <<<"$base_line")
    read -r p1 p2 < <(free_ports)
    [ -n "$p2" ] || fail "no free port on 127.0.0.1"
    start_server "$base_line" "$p1" "$d" base
    start_server "$inst_line" "$p2" "$d" web1
    showlog "$LOGS/$SC-qcow2.log"
    boot_pair "$LOGS/$SC-qcow2.log" "$p1" "$p2"
    stop_servers "$d"
    [ "$(sha "$d/base.qcow2")" = "$qbefore" ] || fail "the qcow2 base changed"
    rm -rf "$d"
    pass
}
