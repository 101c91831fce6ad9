# shellcheck shell=bash
# the user-networking example of docs/guest-examples.md, run as written: its -netdev (guestfwd
# to `setsid -w nbdkit -s` per connection, restrict=on), -device and -append, only the image
# path replaced by a copy of the test base; the guest boots from /dev/nbd0 read-only, no NBD
# connection lost, the image unchanged
# qt-prepare: netroot

scenario() {
    local log=$LOGS/$SC.log block netdev device append img=$SCW/$SC-base.img before
    command -v nbdkit >/dev/null || skip "nbdkit is not installed (tools/install-deps)"
    showlog "$log"
    mkdir -p "$SCW"
    block=$(example_block '^or, on one host with the server on loopback')
    netdev=$(sed -n "s/^-netdev '\\([^']*\\)'.*/\\1/p" <<<"$block")
    device=$(sed -n 's/.*-device \([^ ]*\).*/\1/p' <<<"$block")
    append=$(sed -n 's/.*-append "\([^"]*\)".*/\1/p' <<<"$block")
    [[ $netdev == *guestfwd=tcp:$NBD_ADDR:$NBD_PORT-cmd:*' /srv/sharedroot/base.img' ]] ||
        fail "the doc's -netdev does not forward $NBD_ADDR:$NBD_PORT to a command serving /srv/sharedroot/base.img ($netdev)"
    { [ -n "$device" ] && [ -n "$append" ]; } || fail "the doc's block has no -device or -append: $block"
    cp --sparse=always "$ROOTS/ext4.img" "$img"
    before=$(sha "$img")
    netdev=${netdev//\/srv\/sharedroot\/base.img/$img}
    note "netdev: $netdev"
    note "append: $append"
    qt_boot "$log" "$INITRD_NET" "${append/console=ttyS0 /}" -netdev "$netdev" -device "$device"
    check_nbd_report "$log" ext4
    [ "$(sha "$img")" = "$before" ] || fail "the base image changed"
    rm -f "$img"
    pass
}
