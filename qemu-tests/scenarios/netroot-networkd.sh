# shellcheck shell=bash
# systemd-networkd takes the network root over as docs/network-root.md tells admins to set it
# up (issue 11): the walkthrough's debootstrapped Debian 12 systemd base, with the doc's
# /etc/systemd/network/10-netroot.network (taken from the doc) and systemd-networkd enabled,
# served over NBD (ip=dhcp) and booted with the network image. A unit of the base waits until
# networkd has configured eth0, reads a file from the root with the page cache dropped, restarts
# systemd-networkd (KeepConfiguration=yes must keep the address and routes across it) and reads
# again: udev does not try to rename eth0 (the init's .link file in /run/systemd/network; without
# it udev 252 leaves ID_RENAMING set and networkd never configures eth0), eth0 keeps its name and the address the initramfs got, its routes stay the same
# (QEMU's restricted DHCP offers no router: no default route to check), both reads are correct, the kernel logs no I/O or NBD error, and systemd
# reaches the login prompt.
# qt-prepare: netroot
# qt-first: 2

DOC=$QT_DIR/../docs/network-root.md

# the ```-block that follows the "### systemd-networkd" heading of the doc
doc_networkd() {
    awk '/^### systemd-networkd/ { h = 1; next } h && /^```/ { if (b) exit; b = 1; next } b { print }' "$DOC"
}

# the check, run by a oneshot unit once systemd-networkd is up; its lines go to the console
netcheck_script() {
    cat <<'EOF'
#!/bin/sh
# qemu-tests netroot-networkd: eth0 and the root across systemd-networkd's takeover
exec >/dev/console 2>&1
say() { echo "NETCHECK $*"; }
setup() { networkctl list --no-legend --no-pager 2>/dev/null | awk '$2 == "eth0" { print $5 }'; }
wait_configured() {
    i=0
    while [ "$i" -lt 120 ]; do
        [ "$(setup)" = configured ] && return 0
        sleep 1; i=$((i + 1))
    done
    return 1
}
blob() { sync; echo 3 >/proc/sys/vm/drop_caches; sha256sum /data/blob | cut -d' ' -f1; }
routes() { awk '$1 == "eth0" { print $2 "/" $8 }' /proc/net/route | sort | xargs | tr ' ' ,; }
wait_configured && c=1 || c=0
say "step=start|configured=$c|setup=$(setup)|addrs=$(hostname -I | xargs)|routes=$(routes)|blob=$(blob)"
systemctl restart systemd-networkd.service
wait_configured && c=1 || c=0
say "step=restart|configured=$c|setup=$(setup)|addrs=$(hostname -I | xargs)|routes=$(routes)|blob=$(blob)"
say "links=$(ls /sys/class/net | xargs | tr ' ' ,)"
say "renaming=$(udevadm info -q property /sys/class/net/eth0 | grep -c '^ID_RENAMING=')"
say "linkfile=$(grep -h '^Name=' /run/systemd/network/10-sharedroot-eth0.link 2>&1)"
journalctl -b --no-pager -o cat -t systemd-udevd -t '(udev-worker)' 2>&1 | grep -i -E 'eth0|rename' | tail -n 5 | sed 's/^/NETCHECK udevd: /'
networkctl status eth0 --no-pager 2>&1 | grep -E 'State|File' | sed 's/^ */NETCHECK status: /'
say "io_errors=$(dmesg | grep -c -E 'I/O error|nbd[0-9]+: (Dead|Receive|Send|Connection|timed out)')"
say "done"
EOF
}

netcheck_unit() {
    cat <<'EOF'
[Unit]
Description=sharedroot qemu-tests: the network root across systemd-networkd
After=systemd-networkd.service
Wants=systemd-networkd.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/netcheck

[Install]
WantedBy=multi-user.target
EOF
}

scenario() {
    local log=$LOGS/$SC.log img=$QT_WORK/networkd-base.img tree key sum nic l t0 w r r0=
    tree=$(walk_tree) || tree=''
    [ -x "${tree:-/nonexistent}/lib/systemd/systemd-networkd" ] ||
        skip "no debootstrapped systemd tree with systemd-networkd (debootstrap ${WALK_DB[*]} from $WALK_MIRROR failed or is not installed)"
    doc_networkd | grep -q '^KeepConfiguration=yes$' ||
        fail "no 'KeepConfiguration=yes' in the .network file taken from $DOC"
    key=$( (doc_networkd; netcheck_script; netcheck_unit; stat -c %Y "$tree") | sha256sum | cut -c1-16)
    if [ ! -f "$img" ] || [ "$(cat "$img.key" 2>/dev/null)" != "$key" ]; then
        rm -rf "$SCW/$SC-tree" "$img" "$img".*
        mkdir -p "$SCW"
        cp -a "$tree" "$SCW/$SC-tree" || fail "copying $tree"
        w=$SCW/$SC-tree
        "$BUILD/checkbase/sharedroot-check-base" --fix "$w" >"$SCW/$SC.check" 2>&1
        mkdir -p "$w/etc/systemd/network" "$w/usr/local/sbin" "$w/data"
        doc_networkd | grep -v '^#' >"$w/etc/systemd/network/10-netroot.network"
        netcheck_script >"$w/usr/local/sbin/netcheck"
        chmod 755 "$w/usr/local/sbin/netcheck"
        netcheck_unit >"$w/etc/systemd/system/netcheck.service"
        # as an admin enables it (with the socket, the ip= generator and wait-online: Also=)
        systemctl --root="$w" enable systemd-networkd.service netcheck.service >"$SCW/$SC.enable" 2>&1 ||
            fail "systemctl --root enable: $(tail -n 3 "$SCW/$SC.enable")"
        head -c 2M /dev/urandom >"$w/data/blob"
        sha "$w/data/blob" >"$img.blob"
        "$BUILD/mkbase/sharedroot-mkbase" --type ext4 -L srt-networkd --force -o "$img" "$w" \
            >"$SCW/$SC.mk" 2>&1 || { rm -f "$img"; fail "sharedroot-mkbase: $(tail -n 5 "$SCW/$SC.mk")"; }
        rm -rf "$w"
        echo "$key" >"$img.key"
    fi
    sum=$(cat "$img.blob")
    showlog "$log"
    mapfile -t nic < <(net_nic "nbdkit -s --log=null -r file $img")
    t0=$(date +%s%N)
    QT_TIMEOUT=$SYSTEMD_TIMEOUT qt_boot_bg "$log" "$INITRD_NET" \
        "root=nbd:$NBD_ADDR:base ip=dhcp panic=10 systemd.default_device_timeout_sec=900" "${nic[@]}"
    if ! qt_wait_for "$log" "NETCHECK done|$QT_SHELL_RE|Kernel panic|emergency mode" "$SYSTEMD_TIMEOUT"; then
        qt_stop "$QT_PID"
        fail "the check did not end within ${SYSTEMD_TIMEOUT}s: $(lgrep "$log" -m1 'NETCHECK' || echo 'no NETCHECK line')"
    fi
    qt_wait_for "$log" "login: " 120 || true
    qt_stop "$QT_PID"
    lgrep "$log" -q 'NETCHECK done' || fail "the guest did not run the check: $(lgrep "$log" -m1 -E "$QT_SHELL_RE|Kernel panic|emergency mode")"
    lgrep "$log" -q 'sharedroot: root: /dev/nbd0 (ext4)' || fail "the root is not the NBD device: $(lgrep "$log" -m1 'sharedroot: root:')"
    for step in start restart; do
        l=$(lgrep "$log" -m1 -o "NETCHECK step=$step|.*") || fail "no NETCHECK line for step $step"
        [[ "$l" == *"|configured=1|"* ]] || fail "networkd did not configure eth0 ($step): $l"
        [[ "$l" == *"|addrs=10.0.2.15 "* || "$l" == *"|addrs=10.0.2.15|"* ]] ||
            fail "eth0 lost or changed its IPv4 address ($step): $l"
        r=${l#*|routes=}; r=${r%%|*}
        [ -n "$r" ] || fail "no route through eth0 ($step): $l"
        [ "$step" = start ] && r0=$r
        [ "$r" = "$r0" ] || fail "the routes through eth0 changed across the restart: $r0 -> $r"
        [ "${l##*|blob=}" = "$sum" ] || fail "the root read wrong data or failed ($step): $l"
    done
    l=$(lgrep "$log" -m1 -o 'NETCHECK links=.*')
    [[ "$l" == *",eth0,"* || "$l" == *"=eth0,"* || "$l" == *",eth0" ]] || fail "eth0 was renamed: $l"
    l=$(lgrep "$log" -m1 -o 'NETCHECK linkfile=.*')
    [ "$l" = "NETCHECK linkfile=Name=eth0" ] || fail "no .link file keeping eth0's name from the initramfs: $l"
    l=$(lgrep "$log" -m1 -o 'NETCHECK renaming=.*')
    [ "$l" = "NETCHECK renaming=0" ] || fail "udev left eth0 marked as being renamed (ID_RENAMING): $l"
    l=$(lgrep "$log" -m1 -o 'NETCHECK io_errors=.*')
    [ "$l" = "NETCHECK io_errors=0" ] || fail "the kernel logged I/O or NBD errors: $l"
    lgrep "$log" -q 'login: ' || fail "no login prompt after the check"
    lgrep "$log" -q 'sharedroot: WARNING' && fail "warned: $(lgrep "$log" -m1 'sharedroot: WARNING')"
    no_error "$log"
    note "systemd-networkd took eth0 over and was restarted; root read correct twice; login prompt $(qt_elapsed "$t0")s after QEMU's start"
    pass
}
