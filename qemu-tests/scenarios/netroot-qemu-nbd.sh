# shellcheck shell=bash
# the qemu-nbd example of docs/guest-examples.md, run as written: its two command lines (the
# base export read-only, the web1 export read-write) taken from the doc with only the address
# (127.0.0.1: loopback only), the ports (free ones) and the image paths replaced; the guest
# boots with the -append line of the doc's QEMU example, reaching both servers through the
# doc's guestfwd to socat: the base export read-only, web1 claimed as its instance disk; then
# the doc's qcow2 variant (--format=qcow2 on a qcow2 copy of the base) boots the same way
# qt-prepare: netroot

# start_server LINE PORT DIR NAME: one of the doc's qemu-nbd lines with the test's address,
# port and paths, in the background; waits until it listens on 127.0.0.1:PORT and nothing else
start_server() {
    local line=$1 port=$2 d=$3 name=$4
    line=${line//10.0.0.5/127.0.0.1}
    line=$(sed -E "s/--port=[0-9]+/--port=$port/; s|/srv/sharedroot|$d|g" <<<"$line")
    grep -q -- "--bind=127.0.0.1 " <<<"$line" || fail "the doc's qemu-nbd line binds no address: $1"
    grep -q -- "--port=$port " <<<"$line" || fail "the doc's qemu-nbd line names no port: $1"
    note "server: $line"
    # shellcheck disable=SC2086  # the doc's command line, split into its words
    $line >"$d/$name.log" 2>&1 &
    echo "$!" >"$d/$name.pid"
    qt_track "$!"
    listening_on_loopback "$port" "qemu-nbd ($name)"
}

stop_servers() {
    local f
    for f in "$1"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null; rm -f "$f"; done
    sleep 0.2
}

scenario() {
    local d lines base_line inst_line p1 p2 before qbefore
    command -v qemu-nbd >/dev/null || skip "qemu-nbd is not installed (tools/install-deps: qemu-utils)"
    command -v qemu-img >/dev/null || skip "qemu-img is not installed (tools/install-deps: qemu-utils)"
    d=$(mktemp -d /tmp/sharedroot-qemu-nbd.XXXXXX) || fail "mktemp failed"
    mkdir -p "$d/instances"
    cp --sparse=always "$ROOTS/ext4.img" "$d/base.img"
    new_inst "$d/instances/web1.img"
    before=$(sha "$d/base.img")

    lines=$(example_block '^With \*\*qemu-nbd\*\*')
    base_line=$(grep -- '--export-name=base ' <<<"$lines")
    inst_line=$(grep -- '--export-name=web1 ' <<<"$lines")
    { [ -n "$base_line" ] && [ -n "$inst_line" ]; } || fail "no qemu-nbd lines for base and web1 in $GUEST_EXAMPLES"
    grep -q -- '--read-only' <<<"$base_line" || fail "the doc serves the base read-write: $base_line"
    grep -q -- '--read-only' <<<"$inst_line" && fail "the doc serves the instance read-only: $inst_line"

    read -r p1 p2 < <(free_ports 2)
    [ -n "$p2" ] || fail "no free port on 127.0.0.1"
    start_server "$base_line" "$p1" "$d" base
    start_server "$inst_line" "$p2" "$d" web1
    showlog "$LOGS/$SC.log"
    doc_netroot_boot "$LOGS/$SC.log" "$p1" "$p2"
    stop_servers "$d"
    debugfs -R 'stat /.sharedroot-instance' "$d/instances/web1.img" 2>/dev/null | grep -q '^Inode:' ||
        fail "the web1 export was not claimed (no .sharedroot-instance)"
    [ "$(sha "$d/base.img")" = "$before" ] || fail "the base export changed"

    # the doc's qcow2 variant: the same line with --format=qcow2 on a qcow2 image
    grep -q -- '--format=qcow2. instead of .--format=raw' "$GUEST_EXAMPLES" ||
        fail "the doc does not say how to serve a qcow2 base"
    qemu-img convert -q -f raw -O qcow2 "$d/base.img" "$d/base.qcow2" || fail "qemu-img convert failed"
    qbefore=$(sha "$d/base.qcow2")
    base_line=$(sed -e 's/--format=raw/--format=qcow2/; s|/base\.img|/base.qcow2|' <<<"$base_line")
    read -r p1 p2 < <(free_ports 2)
    [ -n "$p2" ] || fail "no free port on 127.0.0.1"
    start_server "$base_line" "$p1" "$d" base
    start_server "$inst_line" "$p2" "$d" web1
    showlog "$LOGS/$SC-qcow2.log"
    doc_netroot_boot "$LOGS/$SC-qcow2.log" "$p1" "$p2"
    stop_servers "$d"
    [ "$(sha "$d/base.qcow2")" = "$qbefore" ] || fail "the qcow2 base changed"
    rm -rf "$d"
    pass
}
