# shellcheck shell=bash
# four guests boot at once from one export of one nbdkit (read-only, several connections each:
# sharedroot.nbd.connections=2 on a server that allows multi-conn); all reach the real init and
# the image is unchanged
# qt-prepare: netroot
# qt-weight: 4

scenario() {
    local sock=$SCW/$SC.sock img=$ROOTS/ext4.img before nic pids=() i l v ok=1
    mkdir -p "$SCW"
    before=$(sha "$img")
    nbd_serve "$sock" -r file "$img"
    mapfile -t nic < <(net_nic "$(nbd_via "$sock")")
    for i in 1 2 3 4; do
        l=$LOGS/$SC-$i.log; showlog "$l"
        # no_timer_check: four TCG guests on a loaded host can fail the kernel's IO-APIC timer
        # check ("IO-APIC + timer doesn't work!") long before the initramfs runs
        QT_TIMEOUT=240 qt_boot_bg "$l" "$INITRD_NET" \
            "root=nbd:$NBD_ADDR:base ip=dhcp sharedroot.nbd.connections=2 no_timer_check" "${nic[@]}"
        pids+=("$QT_PID")
    done
    for i in "${pids[@]}"; do wait "$i"; done
    nbd_kill
    rm -f "$sock"
    for i in 1 2 3 4; do
        l=$LOGS/$SC-$i.log
        (check_nbd_report "$l" ext4) || ok=0
        v=$(state "$l" NBD_0_CONNECTIONS); [ "$v" = 2 ] || { ok=0; echo "guest $i: $v connections" >>"$RES/$SC.notes"; }
    done
    [ $ok = 1 ] || fail "not every guest booted with two connections: $(cat "$RES/$SC.result" 2>/dev/null)"
    [ "$(sha "$img")" = "$before" ] || fail "the shared image changed"
    pass
}
