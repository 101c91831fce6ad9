# shellcheck shell=bash
# sharedroot.dev=tmpfs: /dev is a tmpfs with the minimal nodes and the disks

scenario() {
    local inst=$SCW/$SC.img log=$LOGS/$SC.log v n
    mkdir -p "$SCW"; new_inst "$inst"
    inst_boot "$log" "sharedroot.dev=tmpfs sharedroot.instance=/dev/vdb" -drive "$(rw_disk "$inst")"
    check_report "$log" ext4; no_error "$log"
    [ "$(qt_report "$log" dev_fstype)" = tmpfs ] || fail "/dev is $(qt_report "$log" dev_fstype), expected tmpfs"
    v=$(qt_report "$log" dev_nodes)
    for n in null:c zero:c console:c full:c tty:c vda:b vdb:b; do
        [[ " $v " == *" $n "* ]] || fail "/dev lacks $n (nodes:$v)"
    done
    lgrep "$log" -q 'sharedroot: /dev: tmpfs' || fail "no log line says /dev is a tmpfs"
    [ "$(state "$log" MODE)" = instance ] || fail "state MODE is $(state "$log" MODE)"
    rm -f "$inst"
    pass
}
