# shellcheck shell=bash
# the nbd-server example of docs/guest-examples.md, run as written: its configuration file and
# its command line are taken from the doc, with only the server's address (127.0.0.1: the host
# listens on loopback only), the port (a free one), the image directory and the config and pid
# file paths replaced; the guest reaches it through guestfwd to socat as the doc shows, boots
# the base export read-only and claims the web1 export as its instance disk
# qt-prepare: netroot

DOC=$GUEST_EXAMPLES

scenario() {
    local d log=$LOGS/$SC.log cfg cmd fwd port pid before v nic
    command -v nbd-server >/dev/null || skip "nbd-server is not installed (tools/install-deps)"
    id nbd >/dev/null 2>&1 || skip "no user nbd (the nbd-server package makes it)"
    showlog "$log"
    # a directory the server's user nbd can reach wherever the build tree is
    d=$(mktemp -d /tmp/sharedroot-nbd-server.XXXXXX) || fail "mktemp failed"
    chmod 0755 "$d"
    mkdir -p "$d/instances"
    cp --sparse=always "$ROOTS/ext4.img" "$d/base.img"
    new_inst "$d/instances/web1.img"
    chown -R nbd:nbd "$d/base.img" "$d/instances"
    before=$(sha "$d/base.img")
    port=$(free_ports 1)
    [ -n "$port" ] || fail "no free port on 127.0.0.1"

    cfg=$(example_block '^With \*\*nbd-server\*\*')
    grep -q '^\[base\]' <<<"$cfg" || fail "no nbd-server configuration with a [base] export in $DOC"
    cmd=$(example_block '^and start it' | grep '^nbd-server ')
    [ -n "$cmd" ] || fail "no nbd-server command line in $DOC"
    fwd=$(grep -o 'guestfwd=tcp:10.0.2.100:10809-cmd:socat -lf /dev/null - TCP:127.0.0.1:10809' "$DOC" | head -n 1)
    [ -n "$fwd" ] || fail "no guestfwd to socat ... TCP:127.0.0.1:10809 in $DOC"
    # loopback only, a free port, the test's paths
    sed -e "s|10\.0\.0\.5|127.0.0.1|g; s|= 10809|= $port|; s|/srv/sharedroot|$d|g" <<<"$cfg" >"$d/config"
    grep -q "listenaddr = 127.0.0.1$" "$d/config" || fail "the configuration does not listen on 127.0.0.1 only"
    grep -q "port = $port$" "$d/config" || fail "the configuration names no port"
    cmd=${cmd//\/etc\/nbd-server\/config/$d\/config}
    cmd=${cmd//\/run\/nbd-server.pid/$d\/pid}
    note "server: $cmd (port $port)"
    # shellcheck disable=SC2086  # the doc's command line, split into its words
    $cmd >"$d/server.log" 2>&1 || fail "nbd-server did not start: $(cat "$d/server.log")"
    for _ in $(seq 1 50); do [ -s "$d/pid" ] && ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
    pid=$(cat "$d/pid" 2>/dev/null)
    [ -n "$pid" ] || fail "nbd-server wrote no pid file"
    qt_track "$pid"
    ss -Hltn "sport = :$port" | grep -q '127.0.0.1' || { kill "$pid"; fail "nbd-server does not listen on 127.0.0.1:$port"; }
    [ "$(ss -Hltn "sport = :$port" | grep -vc '127.0.0.1')" = 0 ] || { kill "$pid"; fail "nbd-server listens on another address"; }

    fwd=${fwd%:10809}:$port
    nic=(-netdev "user,id=n0,restrict=on,$fwd" -device "virtio-net-pci,netdev=n0")
    qt_boot "$log" "$INITRD_NET" "root=nbd:10.0.2.100:base ip=dhcp sharedroot.instance=nbd:10.0.2.100:web1:ext4" "${nic[@]}"
    pkill -P "$pid" 2>/dev/null; kill "$pid" 2>/dev/null
    check_nbd_report "$log" ext4
    [ "$(state "$log" MODE)" = instance ] || fail "state MODE=$(state "$log" MODE)"
    v=$(state "$log" NBD_1_EXPORT); [ "$v" = web1 ] || fail "state NBD_1_EXPORT=$v"
    v=$(state "$log" NBD_1_READONLY); [ "$v" = 0 ] || fail "the web1 export is read-only ($v)"
    debugfs -R 'stat /.sharedroot-instance' "$d/instances/web1.img" 2>/dev/null | grep -q '^Inode:' ||
        fail "the web1 export was not claimed (no .sharedroot-instance)"
    [ "$(sha "$d/base.img")" = "$before" ] || fail "the base export changed"
    rm -rf "$d"
    pass
}
