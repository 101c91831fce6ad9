# shellcheck shell=bash
# systemd-networkd takes the network root over as docs/network-root.md tells admins to set it
# up (issue 11): the walkthrough's debootstrapped Debian 12 systemd base, with the doc's
# /etc/systemd/network/10-netroot.network (taken from the doc) and systemd-networkd enabled,
# served over NBD (ip=dhcp) and booted with the network image. A unit of the base waits until
# networkd has configured eth0, reads a file from the root with the page cache dropped, restarts
# systemd-networkd (KeepConfiguration=yes must keep the address and routes across it) and reads
# again: udev does not try to rename eth0 (the init's .link file in /run/systemd/network; without
# it udev 252 leaves ID_RENAMING set and networkd never configures eth0), eth0 keeps its name,
# the address the initramfs got and its routes (QEMU's restricted DHCP offers no router: no
# default route to check), both reads are correct, the kernel logs no I/O or NBD error, and
# systemd reaches the login prompt.
# qt-prepare: netroot
# qt-first: 2

DOC=$QT_DIR/../docs/network-root.md

# the ```-block that follows the "### systemd-networkd" heading of the doc
doc_networkd() {
    doc_block systemd-networkd
}

# the check's steps: networkd configured eth0, then again after a restart of networkd
networkd_steps() {
    cat <<'EOF'
setup() { networkctl list --no-legend --no-pager 2>/dev/null | awk '$2 == "eth0" { print $5 }'; }
configured() {
    i=0
    while [ "$i" -lt 120 ]; do
        [ "$(setup)" = configured ] && return 0
        sleep 1; i=$((i + 1))
    done
    echo "bad=networkd did not configure eth0 within 120 s (setup state: $(setup))"
}
step start "$(configured)"
systemctl restart systemd-networkd.service
step restart "$(configured)"
networkctl status eth0 --no-pager 2>&1 | grep -E 'State|File' | sed 's/^ */NETCHECK status: /'
EOF
}

networkd_base() { # TREE
    mkdir -p "$1/etc/systemd/network"
    doc_networkd | grep -v '^#' >"$1/etc/systemd/network/10-netroot.network"
    netcheck_unit systemd-networkd.service >"$1/etc/systemd/system/netcheck.service"
    # as an admin enables it (with the socket, the ip= generator and wait-online: Also=)
    systemctl --root="$1" enable systemd-networkd.service netcheck.service >"$SCW/$SC.enable" 2>&1 ||
        fail "systemctl --root enable: $(tail -n 3 "$SCW/$SC.enable")"
    networkd_steps >"$1/.netcheck-steps"
}

scenario() {
    doc_networkd | grep -q '^KeepConfiguration=yes$' ||
        fail "no 'KeepConfiguration=yes' in the .network file taken from $DOC"
    netcheck_image "$QT_WORK/networkd-base.img" "$( (doc_networkd; networkd_steps; netcheck_unit x) | sha256sum)" networkd_base
    netcheck_boot "$LOGS/$SC.log" "$QT_WORK/networkd-base.img" start restart
    pass
}
