# shellcheck shell=bash
# the NBD server is killed while the guest reads files, stays away for a while, and starts
# again: the guest keeps running, the resident helper reconnects, every file read is correct
# and the kernel logs no I/O error. The kernel's request timeout is short
# (sharedroot.nbd.request_timeout=2) and the server stays away longer (ABSENT_S): the requests
# resent after it must wait for the new connection, and do not fail
# qt-prepare: netroot
# qt-first: 5

ABSENT_S=6   # how long the server stays away
READ_S=45    # how long the guest reads
REQ_S=2      # the kernel's request timeout, shorter than ABSENT_S

scenario() {
    local log=$LOGS/$SC.log sock=$SCW/$SC.sock nic pid k r_kill t_kill t_back v rounds
    showlog "$log"
    mkdir -p "$SCW"
    nbd_serve "$sock" -r file "$NET_READER_IMG"
    mapfile -t nic < <(net_nic "$(nbd_via "$sock")")
    QT_TIMEOUT=$((READ_S + 150)) qt_boot_bg "$log" "$INITRD_NET" \
        "root=nbd:$NBD_ADDR:base ip=dhcp qt.read=$READ_S sharedroot.nbd.request_timeout=$REQ_S" "${nic[@]}"
    pid=$QT_PID
    qt_wait_for "$log" 'READER round=2 ' 120 || { qt_stop "$pid"; nbd_kill; fail "the guest never read its files twice"; }
    r_kill=$(qt_clean_log "$log" | grep -c '^READER round=')
    t_kill=$(date +%s%N)
    nbd_kill
    sleep "$ABSENT_S"
    nbd_serve "$sock" -r file "$NET_READER_IMG"
    t_back=$(date +%s%N)
    wait "$pid"
    nbd_kill
    rm -f "$sock"
    grep -q 'REPORT END' "$log" || fail "the guest did not finish reading (stopped or hung?)"
    v=$(state "$log" NBD_0_REQUEST_TIMEOUT_S); [ "$v" = "$REQ_S" ] || fail "state NBD_0_REQUEST_TIMEOUT_S=$v"
    v=$(qt_report "$log" read_bad); [ "$v" = 0 ] || fail "$v rounds read wrong data"
    v=$(qt_report "$log" io_errors); [ "$v" = 0 ] || fail "the kernel logged $v I/O errors"
    rounds=$(qt_report "$log" read_rounds)
    [ "$rounds" -ge $((r_kill + 2)) ] || fail "only $rounds rounds, $r_kill of them before the kill: the guest did not read on after the restart"
    lgrep "$log" -q 'sharedroot-nbd.*lost the connection' || fail "the helper did not notice the loss"
    k=$(lgrep "$log" -m1 -o 'reconnected to .* after [0-9.]* s, [0-9]* attempts\?') ||
        fail "the helper never logged a reconnection"
    note "server away $(( (t_back - t_kill) / 1000000 )) ms; helper: $k; $rounds rounds ($r_kill before the kill)"
    pass
}
