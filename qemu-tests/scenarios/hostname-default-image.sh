# shellcheck shell=bash
# sharedroot.hostname= with the default initramfs (no --shipped-hooks): a fresh instance gets
# the name, the next boot with another name keeps the instance's own and says so (issue 16)

scenario() {
    local img=$SCW/$SC.img l1=$LOGS/$SC-1.log l2=$LOGS/$SC-2.log
    mkdir -p "$SCW"; new_inst "$img"
    showlog "$l1"; showlog "$l2"
    inst_boot "$l1" "sharedroot.instance=/dev/vdb sharedroot.hostname=web-1" -drive "$(rw_disk "$img")"
    check_report "$l1" ext4; no_error "$l1"
    lgrep "$l1" -q 'fresh instance: host name set to web-1 in /etc/hostname' ||
        fail "boot 1 did not say it named the fresh instance"
    [ "$(qt_report "$l1" hostname)" = web-1 ] || fail "boot 1: host name $(qt_report "$l1" hostname), expected web-1"
    lgrep "$l1" -q 'REPORT firstboot_hostname=1' && fail "boot 1: /etc/hostname was missing for the real init"
    inst_boot "$l2" "sharedroot.instance=/dev/vdb sharedroot.hostname=other-2" -drive "$(rw_disk "$img")"
    check_report "$l2" ext4; no_error "$l2"
    [ "$(qt_report "$l2" hostname)" = web-1 ] || fail "boot 2: host name $(qt_report "$l2" hostname), expected web-1 (kept)"
    lgrep "$l2" -q 'has its own /etc/hostname (web-1); keeping it, ignoring sharedroot.hostname=other-2' ||
        fail "boot 2 did not say it kept the instance's own name"
    rm -f "$img"
    pass
}
