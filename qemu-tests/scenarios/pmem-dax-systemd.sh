# shellcheck shell=bash
# A real systemd guest from a base shared in host memory (issue 14): the walkthrough test's
# debootstrapped Debian 12 (systemd-sysv, udev, dbus), made fit to share (check-base --fix)
# and into an erofs image by sharedroot-mkbase (cached in the work dir while the tree is
# unchanged), attached as virtio-pmem (memory-backend-file share=off,readonly=on), booted with
# the default image and sharedroot.dax=auto to systemd's multi-user target and the serial
# login prompt: mounted with dax ("dax: shared in host memory"), no sharedroot warning, no
# emergency mode. The tree is docs/walkthrough.md's debootstrap, cached where the walkthrough
# test caches it (SHAREDROOT_TEST_CACHE, same key): made here when missing (minutes, from
# deb.debian.org; skipped when that fails), then shared by both.
# qt-first: 1

scenario() {
    local log=$LOGS/$SC.log img=$QT_WORK/systemd-base.img tree t0
    tree=$(walk_tree) || tree=''
    [ -x "${tree:-/nonexistent}/lib/systemd/systemd" ] ||
        skip "no debootstrapped systemd tree (debootstrap ${WALK_DB[*]} from $WALK_MIRROR failed or is not installed)"
    if [ ! -f "$img" ] || [ "$tree" -nt "$img" ] || [ "$BUILD/mkbase/sharedroot-mkbase" -nt "$img" ]; then
        rm -rf "$SCW/$SC-tree" "$img" "$img.sha256"
        mkdir -p "$SCW"
        cp -a "$tree" "$SCW/$SC-tree" || fail "copying $tree"
        "$BUILD/checkbase/sharedroot-check-base" --fix "$SCW/$SC-tree" >"$SCW/$SC.check" 2>&1
        # what --fix leaves (resolv.conf copied from the build host) does not stop a boot
        "$BUILD/mkbase/sharedroot-mkbase" --type erofs -L srt-systemd --force -o "$img" "$SCW/$SC-tree" \
            >"$SCW/$SC.mk" 2>&1 || { rm -f "$img"; fail "sharedroot-mkbase: $(tail -n 5 "$SCW/$SC.mk")"; }
        rm -rf "$SCW/$SC-tree"
    fi
    showlog "$log"
    t0=$(date +%s%N)
    # systemd waits 90 s for the serial console's device by default: too short for udev under
    # TCG on a loaded host (systemd.default_device_timeout_sec, as bench/density)
    # shellcheck disable=SC2046  # pmem_dev prints words
    QT_TIMEOUT=$SYSTEMD_TIMEOUT qt_boot_bg "$log" "$INITRD" \
        "root=LABEL=srt-systemd panic=10 systemd.default_device_timeout_sec=900" $(pmem_dev "$img")
    if ! qt_wait_for "$log" "login: |$QT_SHELL_RE|Kernel panic|emergency mode" "$SYSTEMD_TIMEOUT"; then
        qt_stop "$QT_PID"
        fail "no login prompt within ${SYSTEMD_TIMEOUT}s"
    fi
    sleep 1
    qt_stop "$QT_PID"
    lgrep "$log" -q 'login: ' || fail "the guest did not reach the login prompt: $(lgrep "$log" -m1 -E "$QT_SHELL_RE|Kernel panic|emergency mode")"
    note "booted to the login prompt in $(qt_elapsed "$t0")s (QEMU start to prompt)"
    lgrep "$log" -q 'Reached target.*Multi-User System' || fail "systemd did not say it reached multi-user"
    lgrep "$log" -q 'sharedroot: root: /dev/pmem0 (erofs) mounted read-only .*dax: shared in host memory' ||
        fail "the root is not the pmem device with dax: $(lgrep "$log" -m1 'sharedroot: root:')"
    lgrep "$log" -q 'sharedroot: WARNING' && fail "warned: $(lgrep "$log" -m1 'sharedroot: WARNING')"
    no_error "$log"
    pass
}
