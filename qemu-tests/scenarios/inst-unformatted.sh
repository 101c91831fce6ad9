# shellcheck shell=bash
# a blank instance disk: "holds no filesystem", the disk unchanged

scenario() {
    local img=$SCW/$SC.img log=$LOGS/$SC.log before
    mkdir -p "$SCW"; blank_disk "$img" 32M
    before=$(sha "$img")
    inst_boot "$log" "sharedroot.instance=/dev/vdb" -drive "$(rw_disk "$img")"
    expect_error "$log" '/dev/vdb holds no filesystem'
    [ "$(sha "$img")" = "$before" ] || fail "the unformatted disk was written"
    rm -f "$img"
    pass
}
