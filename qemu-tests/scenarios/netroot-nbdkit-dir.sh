# shellcheck shell=bash
# the nbdkit example of docs/guest-examples.md, run as written: its two command lines (the
# exports directory read-only, the instance-exports directory read-write on port 10810) taken
# from the doc with only the address (127.0.0.1: loopback only), the ports (free ones) and the
# directories replaced; the guest boots with the -append line of the doc's QEMU example,
# reaching both servers through the doc's guestfwd to socat: the base export read-only, web1
# claimed as its instance disk; neither the base nor another instance export changes
# qt-prepare: netroot

scenario() {
    local d lines line p1 p2 before other name
    command -v nbdkit >/dev/null || skip "nbdkit is not installed (tools/install-deps)"
    d=$(mktemp -d /tmp/sharedroot-nbdkit-dir.XXXXXX) || fail "mktemp failed"
    mkdir -p "$d/exports" "$d/instance-exports"
    cp --sparse=always "$ROOTS/ext4.img" "$d/exports/base"
    new_inst "$d/instance-exports/web1"
    new_inst "$d/instance-exports/web2"
    before=$(sha "$d/exports/base")
    other=$(sha "$d/instance-exports/web2")

    lines=$(example_block 'With \*\*nbdkit\*\*' | grep '^nbdkit ')
    [ "$(grep -c . <<<"$lines")" = 2 ] || fail "expected two nbdkit lines in $GUEST_EXAMPLES, found: $lines"
    grep -q -- '--readonly .*dir=/srv/sharedroot/exports$' <<<"$lines" ||
        fail "the doc's first nbdkit line does not serve the exports directory read-only"
    grep -- '--port 10810 ' <<<"$lines" | grep -q -- '--readonly' &&
        fail "the doc serves the instance disks read-only"
    read -r p1 p2 < <(free_ports 2)
    [ -n "$p2" ] || fail "no free port on 127.0.0.1"
    while read -r line; do
        # the address, the ports (the first line uses the default 10809: given explicitly here)
        # and the directories
        line=${line//10.0.0.5/127.0.0.1}
        line=${line//\/srv\/sharedroot/$d}
        if grep -q -- '--port 10810 ' <<<"$line"; then
            line=${line//--port 10810 /--port $p2 }
            name=instances
        else
            line=${line/nbdkit /nbdkit --port $p1 }
            name=base
        fi
        note "server: $line"
        # shellcheck disable=SC2086  # the doc's command line, split into its words
        $line >"$d/$name.log" 2>&1 &
        echo "$!" >"$d/$name.pid"
        qt_track "$!"
    done <<<"$lines"
    listening_on_loopback "$p1" "nbdkit (exports)"
    listening_on_loopback "$p2" "nbdkit (instance-exports)"

    showlog "$LOGS/$SC.log"
    doc_netroot_boot "$LOGS/$SC.log" "$p1" "$p2"
    kill "$(cat "$d/base.pid")" "$(cat "$d/instances.pid")" 2>/dev/null
    sleep 0.2
    debugfs -R 'stat /.sharedroot-instance' "$d/instance-exports/web1" 2>/dev/null | grep -q '^Inode:' ||
        fail "the web1 export was not claimed (no .sharedroot-instance)"
    [ "$(sha "$d/exports/base")" = "$before" ] || fail "the base export changed"
    [ "$(sha "$d/instance-exports/web2")" = "$other" ] || fail "another guest's instance export (web2) changed"
    rm -rf "$d"
    pass
}
