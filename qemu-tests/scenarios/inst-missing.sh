# shellcheck shell=bash
# sharedroot.instance= names a label no disk has: an error naming it

scenario() {
    local log=$LOGS/$SC.log
    inst_boot "$log" "sharedroot.instance=LABEL=no-such-instance sharedroot.timeout=3"
    expect_error "$log" 'sharedroot.instance=LABEL=no-such-instance did not appear within 3 s'
    pass
}
