# shellcheck shell=bash
# Debian's ifupdown takes the network root over as docs/network-root.md tells admins to set it
# up (issue 11): the walkthrough's debootstrapped Debian 12 systemd base with the ifupdown
# package installed (apt-get in a chroot of a copy, from deb.debian.org; skipped when that
# fails) and the doc's /etc/network/interfaces (taken from the doc), served over NBD (ip=dhcp).
# A unit of the base runs after networking.service: the root read with the page cache dropped,
# then `systemctl restart networking` (ifdown -a, ifup -a) and `ifup eth0` (Debian's ifupdown
# sets the link up for a manual stanza), each followed by the same check: eth0 keeps its name,
# the initramfs's address and routes, the file reads right; no I/O or NBD error, login prompt.
# qt-prepare: netroot
# qt-first: 2

DOC=$QT_DIR/../docs/network-root.md

# the ```-block that follows the "### ifupdown" heading of the doc
doc_interfaces() {
    doc_block ifupdown
}

ifupdown_steps() {
    cat <<'EOF'
rc() { "$@" >/tmp/netcheck.out 2>&1 || echo "bad='$*' failed: $(tail -n 2 /tmp/netcheck.out | xargs)"; }
step start "$(systemctl is-active networking.service | grep -qx active || echo "bad=networking.service is not active")"
step restart "$(rc systemctl restart networking.service)"
step ifup-eth0 "$(rc ifup eth0)"
EOF
}

ifupdown_base() { # TREE
    local t=$1
    # as an admin installs it into a base: apt in a chroot (a private mount namespace for the
    # binds; the host's resolv.conf lent)
    # shellcheck disable=SC2016  # the inner script's own variables
    unshare -m --propagation private bash -c '
        t=$1
        for d in dev proc sys; do mount --bind /$d "$t/$d" || exit 1; done
        touch "$t/etc/resolv.conf" && mount --bind /etc/resolv.conf "$t/etc/resolv.conf" || exit 1
        chroot "$t" apt-get update -q &&
            DEBIAN_FRONTEND=noninteractive chroot "$t" apt-get install -y -q --no-install-recommends ifupdown &&
            chroot "$t" apt-get clean' _ "$t" >"$SCW/$SC.apt" 2>&1 ||
        { rm -rf "$t"; skip "apt-get install ifupdown in the base failed (no mirror?): $(tail -n 2 "$SCW/$SC.apt" | xargs)"; }
    rm -rf "$t/var/lib/apt/lists/"*
    [ -x "$t/sbin/ifup" ] || fail "ifupdown installed no /sbin/ifup"
    mkdir -p "$t/etc/network"
    doc_interfaces >"$t/etc/network/interfaces"
    grep -q '^iface eth0 inet manual$' "$t/etc/network/interfaces" ||
        fail "no 'iface eth0 inet manual' in the interfaces file taken from $DOC"
    netcheck_unit networking.service >"$t/etc/systemd/system/netcheck.service"
    systemctl --root="$t" enable networking.service netcheck.service >"$SCW/$SC.enable" 2>&1 ||
        fail "systemctl --root enable: $(tail -n 3 "$SCW/$SC.enable")"
    ifupdown_steps >"$t/.netcheck-steps"
}

scenario() {
    netcheck_image "$QT_WORK/ifupdown-base.img" "$( (echo ifupdown; doc_interfaces; ifupdown_steps; netcheck_unit x) | sha256sum)" ifupdown_base
    netcheck_boot "$LOGS/$SC.log" "$QT_WORK/ifupdown-base.img" start restart ifup-eth0
    pass
}
