# shellcheck shell=bash disable=SC2034  # its variables are for the scenarios
# Helpers for the QEMU boot scenarios (qemu-tests/scenarios/NAME.sh), sourced by
# qemu-tests/run after lib.sh once the preparation has set BUILD, QT_WORK, LOGS, RES, ROOTS,
# INITRD, INITRD_NOSHELL, PLAIN_INITRD and MKINITRAMFS. Each scenario runs in its own
# subshell with SC set to its name; it records its verdict in $RES/NAME.result (pass, fail,
# skip end the subshell), informational notes in $RES/NAME.notes and the serial logs worth
# showing on failure in $RES/NAME.logs.

# ---------------------------------------------------------------------------------------
# Verdicts, and what every boot is checked for

# lgrep LOG GREP-ARGS...: grep the serial log without \r (not a pipe: with pipefail, grep -q
# or -m1 ending early would make the writer's SIGPIPE the pipeline's status)
lgrep() { local f=$1; shift; grep -a "$@" <(tr -d '\r' <"$f"); }

result() { [ -e "$RES/$SC.result" ] || echo "$*" >"$RES/$SC.result"; }
pass() { result PASS; exit 0; }
fail() { result "FAIL $*"; exit 1; }
skip() { result "SKIP $*"; exit 0; }
note() { echo "$*" >>"$RES/$SC.notes"; }
showlog() { echo "$1" >>"$RES/$SC.logs"; }

ro_disk() { echo "file=$1,format=raw,if=virtio,readonly=on"; }
rw_disk() { echo "file=$1,format=raw,if=virtio"; }

# check_report LOG FSTYPE [DEV]: the guest reached the real init from the expected root (DEV,
# default /dev/vda)
check_report() {
    local log=$1 fstype=$2 v
    grep -q 'REPORT END' "$log" || {
        grep -q 'Kernel panic' "$log" && fail "kernel panic before the real init ran"
        grep -q 'sharedroot: ERROR' "$log" &&
            fail "sharedroot-init failed: $(lgrep "$log" -m1 'sharedroot: ERROR')"
        fail "the real init never printed REPORT END (timeout ${QT_TIMEOUT}s?)"
    }
    v=$(qt_report "$log" pid);          [ "$v" = 1 ] || fail "real init is not PID 1 (pid=$v)"
    v=$(qt_report "$log" root_dev);     [ "$v" = "${3:-/dev/vda}" ] || fail "root is $v, expected ${3:-/dev/vda}"
    v=$(qt_report "$log" root_fstype);  [ "$v" = "$fstype" ] || fail "root fstype $v, expected $fstype"
    v=$(qt_report "$log" root_ro);      [ "$v" = 1 ] || fail "root not mounted ro ($(qt_report "$log" root_opts))"
    v=$(qt_report "$log" write_root);   [ "$v" = failed ] || fail "writing /testfile on the base worked"
    v=$(qt_report "$log" initramfs_visible); [ "$v" = 0 ] || fail "the initramfs /init is visible in the new root"
    v=$(qt_report "$log" os_id);        [ "$v" = sharedroot-test ] || fail "/etc/os-release not from the base ($v)"
    for k in proc sys dev run; do
        v=$(qt_report "$log" ${k}_premounted)
        [ "$v" = 1 ] || fail "/$k was not mounted when the real init started"
    done
    return 0
}

# stage timings (informational)
note_stages() {
    local t
    t=$(qt_clean_log "$1" | sed -n 's/.*sharedroot: stage \([a-z-]*\) done in \([0-9.]* *[mu]*s\).*/\1=\2/p' | tr '\n' ' ')
    [ -n "$t" ] && note "stages: $t"
    note "guest uptime at real init: $(qt_report "$1" uptime)s, mem_used_kb=$(qt_report "$1" mem_used_kb)"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# ---------------------------------------------------------------------------------------
# The network-root examples of docs/guest-examples.md, run as written (netroot-nbd-server,
# netroot-qemu-nbd, netroot-nbdkit-dir)

GUEST_EXAMPLES=$QT_DIR/../docs/guest-examples.md

# example_block START-REGEX: the first ```-block after the first line of docs/guest-examples.md
# matching START-REGEX, continuation lines (ending in \) joined
example_block() {
    awk -v re="$1" '$0 ~ re { h = 1; next } h && /^```/ { if (b) exit; b = 1; next } b { print }' \
        "$GUEST_EXAMPLES" | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta'
}

# free_ports N: N distinct free TCP ports on 127.0.0.1 (all held until all are known), below
# the kernel's ephemeral range: a port from that range (what bind to port 0 gives) can be taken
# by any outgoing connection (a parallel scenario's socat or QEMU) before the server binds it
# ("Address already in use"). Random ones from 10000 up, each checked by a bind; the ephemeral
# range only when nothing below it is free. The ports are released before they are printed:
# a caller that reads them from a process substitution does not wait for python to exit, and
# a socket still held at its exit made the server's bind fail under load.
free_ports() {
    python3 -c 'import random, socket, sys
n = int(sys.argv[1])
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
cand = random.sample(range(10000, low), min(200, max(low - 10000, 0))) + [0] * n
held = []
for p in cand:
    if len(held) == n:
        break
    x = socket.socket()
    try:
        x.bind(("127.0.0.1", p))
        held.append(x)
    except OSError:
        x.close()
ports = [x.getsockname()[1] for x in held]
for x in held:
    x.close()
print(*ports, flush=True)' "$1"
}

# listening_on_loopback PORT NAME: wait up to 10 s until something listens on 127.0.0.1:PORT,
# and on nothing else
listening_on_loopback() {
    for _ in $(seq 1 100); do ss -Hltn "sport = :$1" | grep -q . && break; sleep 0.1; done
    ss -Hltn "sport = :$1" | grep -q '127.0.0.1' || fail "$2 does not listen on 127.0.0.1:$1"
    [ "$(ss -Hltn "sport = :$1" | grep -vc '127.0.0.1')" = 0 ] || fail "$2 listens on another address"
}

# doc_netroot_boot LOG PORT_10809 PORT_10810: boot the -append line of the doc's network-root
# QEMU example (10.0.0.5 replaced by the guestfwd address 10.0.2.100, panic= by the suite's),
# the doc's guestfwd to socat forwarding 10.0.2.100:10809 and :10810 to those host ports; the
# base on /dev/nbd0 (ext4) and the web1 export claimed read-write
doc_netroot_boot() {
    local log=$1 p1=$2 p2=$3 fwd fwd1 fwd2 append v
    fwd=$(grep -o 'guestfwd=tcp:10.0.2.100:10809-cmd:socat -lf /dev/null - TCP:127.0.0.1:10809' "$GUEST_EXAMPLES" | head -n 1)
    [ -n "$fwd" ] || fail "no guestfwd to socat ... TCP:127.0.0.1:10809 in $GUEST_EXAMPLES"
    fwd1="${fwd%:10809}:$p1"
    fwd2=$(sed -e "s/10\.0\.2\.100:10809/10.0.2.100:10810/; s/:10809\$/:$p2/" <<<"$fwd")
    append=$(example_block '^reaches the server: a bridge' | sed -n 's/.*-append "\([^"]*\)".*/\1/p')
    grep -q 'root=nbd:10.0.0.5:base ' <<<"$append" || fail "the doc's QEMU example has no root=nbd: ($append)"
    append=$(sed -e 's/10\.0\.0\.5/10.0.2.100/g; s/console=ttyS0 //; s/ panic=[0-9]*//' <<<"$append")
    note "guest: $append"
    qt_boot "$log" "$INITRD_NET" "$append" \
        -netdev "user,id=n0,restrict=on,$fwd1,$fwd2" -device "virtio-net-pci,netdev=n0"
    check_nbd_report "$log" ext4
    [ "$(state "$log" MODE)" = instance ] || fail "state MODE=$(state "$log" MODE)"
    v=$(state "$log" NBD_1_EXPORT); [ "$v" = web1 ] || fail "state NBD_1_EXPORT=$v"
    v=$(state "$log" NBD_1_READONLY); [ "$v" = 0 ] || fail "the web1 export is read-only ($v)"
}

# pmem_dev IMG: QEMU arguments attaching IMG as a virtio-pmem device mapped from the file,
# private and read-only (the base shared in host memory); room for it in the memory map
pmem_dev() {
    echo "-m 512,slots=2,maxmem=4G"
    echo "-object memory-backend-file,id=pm0,share=off,readonly=on,mem-path=$1,size=$(stat -c %s "$1")"
    echo "-device virtio-pmem-pci,memdev=pm0,id=pmem0"
}
# pmem_copy SRC DST: a copy of the image padded to a multiple of 2 MiB (the kernel maps a
# pmem device in 2 MiB sections)
pmem_copy() {
    cp --sparse=always "$1" "$2"
    truncate -s %2M "$2"
}

# ---------------------------------------------------------------------------------------
# The base alone: the boot-*, readonly-root* and missing-root-* scenarios

# boot_from FSTYPE SPEC: root=SPEC boots the FSTYPE test root, with no error logged
boot_from() {
    local fs=$1 spec=$2 log=$LOGS/$SC.log
    showlog "$log"
    # shellcheck disable=SC2153  # INITRD (the runner's), not the local initrd of other helpers
    qt_boot "$log" "$INITRD" "root=$spec" -drive "$(ro_disk "$ROOTS/$fs.img")"
    check_report "$log" "$fs"
    lgrep "$log" -q 'sharedroot: ERROR' &&
        fail "booted, but logged an error: $(lgrep "$log" -m1 'sharedroot: ERROR')"
    note_stages "$log"
    pass
}

# The base is attached WRITABLE: only sharedroot-init's discipline (BLKROSET, ro mount) keeps
# it unchanged. $1: extra kernel parameters.
readonly_root() {
    local log=$LOGS/$SC.log img=$QT_WORK/$SC.img before after v
    showlog "$log"
    cp --sparse=always "$ROOTS/ext4.img" "$img"
    before=$(sha "$img")
    qt_boot "$log" "$INITRD" "root=/dev/vda $1" -drive "$(rw_disk "$img")"
    check_report "$log" ext4
    v=$(qt_report "$log" blockdev_ro)
    [ "$v" = 1 ] || fail "/sys/block/vda/ro is $v in the booted system: the base block device is writable"
    after=$(sha "$img")
    [ "$before" = "$after" ] || fail "the base image changed during the boot"
    rm -f "$img"
    pass
}

# seconds between the kernel starting /init and the first log line matching REGEX
since_init() {
    local log=$1 re=$2 a b
    a=$(lgrep "$log" -m1 'Run /init as init process' | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
    b=$(lgrep "$log" -E -- "$re" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p' | head -n 1)
    [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", b - a }'
}

MISSING_SPEC=UUID=$QT_MISSING_UUID
MISSING_TIMEOUT=3

check_missing_error() { # log: the error names the spec and comes within the timeout
    local log=$1 line t
    line=$(lgrep "$log" 'sharedroot: ERROR' | grep -m1 -F "$QT_MISSING_UUID") ||
        fail "no 'sharedroot: ERROR' line naming $MISSING_SPEC"
    # the console copy of the error has no timestamp; the /dev/kmsg copy has
    t=$(since_init "$log" "sharedroot: .*$QT_MISSING_UUID")
    if [ -n "$t" ]; then
        note "error after ${t}s (sharedroot.timeout=$MISSING_TIMEOUT): $line"
        awk -v t="$t" -v m="$MISSING_TIMEOUT" 'BEGIN { exit !(t <= m + 10) }' ||
            fail "the error came ${t}s after /init started, sharedroot.timeout=$MISSING_TIMEOUT"
    fi
}

# ---------------------------------------------------------------------------------------
# The per-instance layer: instance disks, overlays, identity, /tmp, swap, /dev, in-root mode

BASE_IMG=$ROOTS/ext4.img
SCW=$QT_WORK/scratch

# new_inst IMG [SIZE]: an empty ext4, as a host admin makes one for a new guest
new_inst() { rm -f "$1"; mkfs.ext4 -q -F -L instance "$1" "${2:-32M}" >/dev/null 2>&1; }
blank_disk() { rm -f "$1"; truncate -s "$2" "$1"; }

# inst_boot LOG APPEND [qemu args]: boot the shared ext4 base (vda, read-only) with more disks
inst_boot() {
    local log=$1 append=$2; shift 2
    showlog "$log"
    qt_boot "$log" "$INITRD" "root=/dev/vda $append" -drive "$(ro_disk "$BASE_IMG")" "$@"
}

no_error() { # LOG: the boot logged no sharedroot ERROR
    local l
    l=$(lgrep "$1" -m1 'sharedroot: ERROR') && fail "logged an error: $l"
    return 0
}
state() { qt_report "$1" "state.$2" | sed 's/^"//; s/"$//'; }
has_mount() { # LOG DEV MOUNTPOINT FSTYPE
    lgrep "$1" -q "REPORT mount=$2 $3 $4 " || fail "no mount of $2 on $3 ($4)"
}
ident() { # LOG: prints "hostname machine-id ssh-key var-id", all must be set
    local h m k v
    h=$(qt_report "$1" hostname) m=$(qt_report "$1" machine_id)
    k=$(qt_report "$1" ssh_key) v=$(qt_report "$1" var_id)
    { [ -n "$h" ] && [ -n "$m" ] && [ -n "$k" ] && [ -n "$v" ]; } ||
        fail "identity incomplete in $1: hostname=$h machine_id=$m ssh_key=$k var_id=$v"
    echo "$h $m $k $v"
}
# expect_error LOG REGEX: the boot stopped with a sharedroot ERROR matching REGEX
expect_error() {
    local log=$1 re=$2 l
    l=$(lgrep "$log" 'sharedroot: ERROR' | grep -m1 -E -- "$re") ||
        fail "no 'sharedroot: ERROR' line matching '$re' (first error: $(lgrep "$log" -m1 'sharedroot: ERROR'))"
    grep -q 'REPORT END' "$log" && fail "the boot went on to the real init after: $l"
    note "${l#*sharedroot: }"
    return 0
}

unfit_upper() { # IMG INITRD REGEX: refused with the message, nothing written
    local img=$1 initrd=$2 re=$3 log=$LOGS/$SC.log before
    before=$(sha "$img")
    showlog "$log"
    qt_boot "$log" "$initrd" "root=/dev/vda sharedroot.instance=/dev/vdb" \
        -drive "$(ro_disk "$BASE_IMG")" -drive "$(rw_disk "$img")"
    expect_error "$log" "$re"
    [ "$(sha "$img")" = "$before" ] || fail "the disk was written"
    rm -f "$img"
    pass
}

# ---------------------------------------------------------------------------------------
# Reconcile at boot (issue 4): a host changes its /etc on base v1, then boots base v2

RC_LABEL=srt-rc
RC_V1=$QT_WORK/rc-base-v1.img
RC_V2=$QT_WORK/rc-base-v2.img
INITRD_MERGE=$QT_WORK/initramfs-merge.img

# the base's /etc/rc-*.conf: 30 numbered lines; v2 changes one line of each
rc_conf() { seq 1 30 | sed 's/^/line /'; }
rc_v2() { rc_conf | sed "s/^line $1\$/line $1 base-v2/"; }

# prepare_reconcile: the merge initramfs (libgit2 and overlay-reconcile in it) and base v1 and
# v2 (same label), each with overlay-reconcile and its ELF closure (libgit2 included, it is
# dlopen()ed) taken from that initramfs
prepare_reconcile() {
    local orc=$BUILD/reconcile/overlay-reconcile tree=$QT_WORK/rc-tree unpack=$QT_WORK/rc-unpack v
    [ -x "$orc" ] || { echo "missing $orc"; return 1; }
    qt_build_initramfs "$BUILD" "$INITRD_MERGE" --with-merge --binary "$orc" || return 1
    rm -rf "$unpack"; mkdir -p "$unpack"
    (cd "$unpack" && zstd -dc "$INITRD_MERGE" | cpio -idm --quiet) || { echo "unpacking failed"; return 1; }
    ls "$unpack"/lib/*/libgit2.so.* >/dev/null 2>&1 || { echo "no libgit2 in the --with-merge initramfs"; return 1; }
    for v in 1 2; do
        qt_make_tree "$tree" "$QT_REPORT_INIT"
        cp -a "$unpack/lib64" "$tree/" && mkdir -p "$tree/lib" &&
            cp -a "$unpack"/lib/x86_64-linux-gnu "$tree/lib/" || return 1
        install -m 0755 "$orc" "$tree/usr/sbin/overlay-reconcile"
        if [ $v = 1 ]; then
            for f in clean conflict mode touched; do rc_conf >"$tree/etc/rc-$f.conf"; done
        else
            rc_v2 25 >"$tree/etc/rc-clean.conf"; rc_v2 5 >"$tree/etc/rc-conflict.conf"
            rc_v2 1 >"$tree/etc/rc-mode.conf"; rc_v2 1 >"$tree/etc/rc-touched.conf"
        fi
        chmod 0644 "$tree"/etc/rc-*.conf
        rm -f "$QT_WORK/rc-base-v$v.img"
        mkfs.ext4 -q -F -L "$RC_LABEL" -E root_owner=0:0 -d "$tree" "$QT_WORK/rc-base-v$v.img" 96M ||
            { echo "mkfs of base v$v failed"; return 1; }
    done
    rm -rf "$tree" "$unpack"
}

# rc_boot LOG BASE INITRD APPEND INST: root=LABEL= on BASE, instance on INST
rc_boot() {
    local log=$1 base=$2 initrd=$3 append=$4 inst=$5
    showlog "$log"
    qt_boot "$log" "$initrd" "root=LABEL=$RC_LABEL sharedroot.instance=/dev/vdb $append" \
        -drive "$(ro_disk "$base")" -drive "$(rw_disk "$inst")"
    check_report "$log" ext4
}

# rc_json LOG SRC PATH: the JSON entry of PATH in the guest's REPORT SRC lines
rc_json() { lgrep "$1" -o "REPORT $2 {\"path\":\"$3\",.*}" | tail -n 1; }
rc_expect() { # LOG SRC PATH OUTCOME [more fixed strings the entry must hold]
    local log=$1 src=$2 path=$3 o=$4 e s; shift 4
    e=$(rc_json "$log" "$src" "$path")
    [[ $e == *"\"outcome\":\"$o\""* ]] || fail "$src: $path is not '$o': ${e:-no entry}"
    for s in "$@"; do [[ $e == *"$s"* ]] || fail "$src: $path lacks $s: $e"; done
    return 0
}

# boot 1 of both reconcile scenarios: base v1, the report init edits /etc (qt.step=edit)
rc_first_boot() { # LOG INST INITRD; prints the conflict file's "sha mode"
    local log=$1 inst=$2 initrd=$3
    rc_boot "$log" "$RC_V1" "$initrd" "qt.step=edit" "$inst"
    no_error "$log"
    [ "$(qt_report "$log" edit_done)" = 1 ] || fail "the first boot did not edit /etc"
    lgrep "$log" -q 'sharedroot: reconcile /etc: base recorded' || fail "boot 1 did not record the base /etc"
    [ "$(qt_report "$log" etc.rc_conflict.host_edit)" = 1 ] || fail "boot 1: rc-conflict.conf not edited"
    [ "$(qt_report "$log" etc.rc_mode | cut -d' ' -f2)" = 600 ] || fail "boot 1: rc-mode.conf not chmod-ed"
    qt_report "$log" etc.rc_conflict
}

# ---------------------------------------------------------------------------------------
# sharedroot-instance (issue 13): instance disks made and managed by the tool, on the host

SI=$BUILD/instance/sharedroot-instance
INST_LABEL=srt-inst
INST_BASE=$QT_WORK/inst-base.img

# si ARGS...: the host's sharedroot-instance (fails the scenario with its message)
si() { "$SI" "$@" 2>"$SCW/$SC.si-err" || fail "sharedroot-instance $1: $(cat "$SCW/$SC.si-err")"; }

# prepare_instance: a base with sharedroot-instance and its ELF closure (from an initramfs made
# with --binary), an /etc/app.conf and an /etc/appdir of its own, for reset --next-boot inside
# the guest
prepare_instance() {
    local tree=$QT_WORK/inst-tree unpack=$QT_WORK/inst-unpack initrd=$QT_WORK/initramfs-inst.img
    [ -x "$SI" ] || { echo "missing $SI"; return 1; }
    qt_build_initramfs "$BUILD" "$initrd" --binary "$SI" || return 1
    rm -rf "$unpack"; mkdir -p "$unpack"
    (cd "$unpack" && zstd -dc "$initrd" | cpio -idm --quiet) || { echo "unpacking failed"; return 1; }
    qt_make_tree "$tree" "$QT_REPORT_INIT"
    cp -a "$unpack/lib64" "$tree/" && mkdir -p "$tree/lib" &&
        cp -a "$unpack"/lib/x86_64-linux-gnu "$tree/lib/" || return 1
    install -m 0755 "$SI" "$tree/usr/sbin/sharedroot-instance"
    echo "app.conf of the base" >"$tree/etc/app.conf"
    mkdir -p "$tree/etc/appdir/sub"
    echo base-a >"$tree/etc/appdir/a.conf"
    echo base-b >"$tree/etc/appdir/b.conf"
    echo base-c >"$tree/etc/appdir/sub/c.conf"
    echo base-d >"$tree/etc/appdir/sub/d.conf"
    rm -f "$INST_BASE"
    mkfs.ext4 -q -F -L "$INST_LABEL" -E root_owner=0:0 -d "$tree" "$INST_BASE" 96M ||
        { echo "mkfs of the instance base failed"; return 1; }
    rm -rf "$tree" "$unpack"
}

# ---------------------------------------------------------------------------------------
# Hooks, break points, the emergency shell (issue 5)

HOOK_STAGES="early devices root instance reconcile overlay tmp-swap switch"
HOOKD=$QT_WORK/hooks

# mk_hook NAME MODE BODY: a hook script in $HOOKD/$SC/NAME; prints its path
mk_hook() {
    local d=$HOOKD/$SC
    mkdir -p "$d"
    printf '#!/bin/sh\n%s\n' "$3" >"$d/$1"
    chmod "$2" "$d/$1"
    echo "$d/$1"
}

# ---------------------------------------------------------------------------------------
# The network root (issue 11): the base (and instance disks) over NBD. The guest's only network
# is QEMU user networking with restrict=on: it reaches nothing but NBD_ADDR:NBD_PORT, which
# guestfwd forwards to a command (nbdkit -s on stdio: nothing listens on the host), or through
# socat to a server of ours on a Unix socket in the scratch dir (no port on the host at all).

INITRD_NET=$QT_WORK/initramfs-net.img
INITRD_NET_NOSHELL=$QT_WORK/initramfs-net-noshell.img
NET_READER_IMG=$QT_WORK/netroot-reader.img
NBD_ADDR=10.0.2.100
NBD_PORT=10809

# the --network images, and the reader base of netroot-restart (64 files and their sums)
prepare_netroot() {
    local tree=$QT_WORK/netroot-tree key i
    if ! command -v nbdkit >/dev/null || ! command -v socat >/dev/null; then
        echo "nbdkit and socat are needed (tools/install-deps)"
        return 1
    fi
    qt_build_initramfs "$BUILD" "$INITRD_NET" --network || return 1
    qt_build_initramfs "$BUILD" "$INITRD_NET_NOSHELL" --network --no-shell || return 1
    key=$(qt_hash "$QT_DIR/netroot-reader-init.sh" "$QT_BUSYBOX" -- reader-v1)
    [ -f "$NET_READER_IMG" ] && [ "$(cat "$NET_READER_IMG.key" 2>/dev/null)" = "$key" ] && return 0
    qt_make_tree "$tree" "$QT_DIR/netroot-reader-init.sh"
    mkdir -p "$tree/data"
    for i in $(seq 1 64); do head -c $((16384 + i * 997)) /dev/urandom >"$tree/data/f$i"; done
    (cd "$tree/data" && sha256sum f* >../data.sha256)
    rm -f "$NET_READER_IMG"
    mkfs.ext4 -q -F -L srt-net -E root_owner=0:0 -d "$tree" "$NET_READER_IMG" 64M ||
        { echo "mkfs of the reader base failed"; return 1; }
    rm -rf "$tree"
    echo "$key" >"$NET_READER_IMG.key"
}

# guestfwd_cmd CMD: the guestfwd target running CMD (nbdkit -s) once per connection, under
# `setsid -w`, which stays its parent until it ends. nbdkit always asks for SIGTERM when its
# parent dies (PR_SET_PDEATHSIG) and slirp starts CMD through glib's double fork, whose middle
# process exits at once; when that exit completes after nbdkit started (a loaded host) nbdkit
# quits right after the handshake and the guest loses its first NBD connection ("Receive
# control failed (result -32)", "Dead connection"). tests/priv/guestfwd-cmd.sh shows it.
guestfwd_cmd() { echo "cmd:setsid -w $1"; }

# net_nic COMMAND: QEMU args for a virtio NIC whose only reachable address is NBD_ADDR:NBD_PORT,
# forwarded to COMMAND (run once per connection; its stdin, stdout AND stderr are the stream,
# so it must log nothing: nbdkit --log=null, socat -lf /dev/null)
net_nic() {
    echo "-netdev"
    echo "user,id=n0,restrict=on,guestfwd=tcp:$NBD_ADDR:$NBD_PORT-$(guestfwd_cmd "$1")"
    echo "-device"
    echo "virtio-net-pci,netdev=n0"
}

# nbd_serve SOCKET NBDKIT-ARGS...: nbdkit on a Unix socket, in the background; NBD_PID. Its pid
# is tracked like a QEMU's, so that the runner ends it on exit.
nbd_serve() {
    local sock=$1; shift
    rm -f "$sock"
    nbdkit --foreground --unix "$sock" "$@" >>"$SCW/$SC-nbdkit.log" 2>&1 &
    NBD_PID=$!
    qt_track "$NBD_PID"
    for _ in $(seq 1 50); do [ -S "$sock" ] && return 0; sleep 0.1; done
    fail "nbdkit did not start: $(tail -n 5 "$SCW/$SC-nbdkit.log")"
}
nbd_kill() { # end our server abruptly (SIGKILL: nbdkit answers requests with ESHUTDOWN on SIGTERM)
    kill -KILL "$NBD_PID" 2>/dev/null
    wait "$NBD_PID" 2>/dev/null
    return 0
}
# the guestfwd command that reaches the server on SOCKET (socat logs nothing into the stream)
nbd_via() { echo "socat -lf /dev/null - UNIX-CONNECT:$1"; }

# check_layout_boot LOG: the guest booted in layout mode from the instance disk vdb laid out as
# sharedroot-layout(5)'s example lays it out: /etc's and /var's uppers on vdb1 and vdb2, /tmp on
# vdb3 (ext4 each), swap on vdb4 (inst-layout, layout-man-example)
check_layout_boot() {
    [ "$(state "$1" MODE)" = layout ] || fail "state MODE is $(state "$1" MODE), expected layout"
    has_mount "$1" /dev/vdb1 /run/sharedroot/etc ext4
    has_mount "$1" /dev/vdb2 /run/sharedroot/var ext4
    has_mount "$1" /dev/vdb3 /tmp ext4
    lgrep "$1" -q 'REPORT mount=overlay /etc overlay .*upperdir=/run/sharedroot/etc/upper' ||
        fail "/etc is not an overlay with its upper on the etc partition"
    lgrep "$1" -q 'REPORT mount=overlay /var overlay .*upperdir=/run/sharedroot/var/upper' ||
        fail "/var is not an overlay with its upper on the var partition"
    lgrep "$1" -q 'REPORT swap=/dev/vdb4' || fail "the swap partition /dev/vdb4 is not active"
}

# run_doc_line LOG LINE: a QEMU command line taken from a doc (its paths replaced), run by bash
# as written, serial console (-serial stdio) to LOG, bounded by the suite's timeout
run_doc_line() {
    echo "$2" >"$1.cmd"
    showlog "$1"
    timeout -k 5 "$QT_TIMEOUT" bash -c "$2" </dev/null >"$1" 2>"$1.qemu" &
    local pid=$!
    qt_track "$pid"
    wait "$pid"
}

# no_nbd_loss LOG: no NBD connection was lost during the boot (no server here goes away before
# the guest is done), neither in the kernel's log nor by the resident helper
NBD_LOSS_RE='nbd[0-9]+: (Dead connection|Receive (control|data) failed|Send (control|data) failed|Connection timed out|Possible stuck request)|lost the connection to NBD server'
no_nbd_loss() {
    local l
    l=$(lgrep "$1" -m1 -E "$NBD_LOSS_RE")
    [ -z "$l" ] || fail "an NBD connection was lost during the boot: $l"
}

# check_nbd_report LOG FSTYPE: the guest reached the real init from /dev/nbd0, read-only
check_nbd_report() {
    local log=$1 fstype=$2 v
    grep -q 'REPORT END' "$log" || {
        grep -q 'Kernel panic' "$log" && fail "kernel panic before the real init ran"
        grep -q 'sharedroot: ERROR' "$log" &&
            fail "sharedroot-init failed: $(lgrep "$log" -m1 'sharedroot: ERROR')"
        fail "the real init never printed REPORT END (timeout ${QT_TIMEOUT}s?)"
    }
    v=$(qt_report "$log" pid);              [ "$v" = 1 ] || fail "real init is not PID 1 (pid=$v)"
    v=$(qt_report "$log" root_dev);         [ "$v" = /dev/nbd0 ] || fail "root is $v, expected /dev/nbd0"
    v=$(qt_report "$log" root_fstype);      [ "$v" = "$fstype" ] || fail "root fstype $v, expected $fstype"
    v=$(qt_report "$log" root_ro);          [ "$v" = 1 ] || fail "root not mounted ro ($(qt_report "$log" root_opts))"
    v=$(qt_report "$log" root_blockdev_ro); [ "$v" = 1 ] || fail "/dev/nbd0 is not read-only in the booted system ($v)"
    v=$(qt_report "$log" write_root)
    [ -z "$v" ] || [ "$v" = failed ] || fail "writing /testfile on the base worked"
    v=$(qt_report "$log" os_id)
    [ -z "$v" ] || [ "$v" = sharedroot-test ] || fail "/etc/os-release not from the base ($v)"
    v=$(state "$log" NBD_0_READONLY);       [ "$v" = 1 ] || fail "state NBD_0_READONLY=$v"
    v=$(state "$log" NBD_0_DEVICE);         [ "$v" = /dev/nbd0 ] || fail "state NBD_0_DEVICE=$v"
    v=$(state "$log" NBD_0_HELPER_PID)
    { [ -n "$v" ] && [ "$v" != 0 ]; } || fail "no resident helper was started (NBD_0_HELPER_PID=$v)"
    no_nbd_loss "$log"
    no_error "$log"
    return 0
}

# sharedroot-boottest (issue 15): the boottest-* scenarios. Their reports go to $SCW/$SC*,
# removed when they pass.

BOOTTEST=$BUILD/boottest/sharedroot-boottest

# boottest ARGS...: the build's sharedroot-boottest with the suite's accelerator and one
# progress line per boot (a scenario's own options come after and win)
boottest() { "$BOOTTEST" --accel "${QT_ACCEL:-tcg}" --progress line "$@"; }

# boottest_pid_is_qemu PID: a live (not zombie) process that is a guest it started (a QEMU,
# or the sleep of a shim)
boottest_pid_is_qemu() {
    local st
    st=$(sed -n 's/^[0-9]* (.*) \(.\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && grep -qaE 'qemu|sleep' "/proc/$1/cmdline" 2>/dev/null
}

# boottest_no_qemu_left DIR: every PID of DIR/qemu.pids is gone (else end it and fail)
# boottest_report_check DIR LABEL [ARG...]: runs the Python read from stdin with out = DIR,
# r = DIR/report.json loaded and need(cond, what); a need that is false fails the scenario with
# "LABELreport.json: what" (the ARGs are sys.argv[2:])
boottest_report_check() {
    local out=$1 label=$2 pre
    shift 2
    pre='import json, sys
out = sys.argv[1]
r = json.load(open(out + "/report.json"))
def need(cond, what):
    if not cond:
        open(out + "/check.txt", "w").write(what)
        sys.exit(1)'
    python3 -c "$pre
$(cat)" "$out" "$@" || fail "${label}report.json: $(cat "$out/check.txt")"
}

boottest_no_qemu_left() {
    local p left=
    [ -f "$1/qemu.pids" ] || fail "no $1/qemu.pids"
    while read -r p; do
        if boottest_pid_is_qemu "$p"; then left="$left $p"; kill -9 "$p"; fi
    done <"$1/qemu.pids"
    [ -z "$left" ] || fail "QEMU still running after sharedroot-boottest ended:$left"
}

# boottest_pass: remove the scenario's reports, then pass
boottest_pass() { rm -rf "${SCW:?}/${SC:?}" "$SCW/$SC"-* "$SCW/$SC".*; pass; }

# ---------------------------------------------------------------------------------------
# A real systemd base: docs/walkthrough.md's debootstrapped Debian 12

# the walkthrough's debootstrap arguments (docs/walkthrough.md) without the target; the cache
# dir is keyed as tests/walkthrough/run.py's debootstrap shim keys it
# shellcheck disable=SC2054  # --include's commas
WALK_DB=(--variant=minbase --include=systemd-sysv,udev,dbus,linux-image-cloud-amd64 bookworm)
WALK_MIRROR=http://deb.debian.org/debian

walk_tree() { # prints the cached tree, debootstrapping it first when missing
    local c key
    key=$(printf '%s\n' "${WALK_DB[@]}" "$WALK_MIRROR" | sha256sum | cut -c1-16)
    c=${SHAREDROOT_TEST_CACHE:-/var/cache/sharedroot-tests}/walkthrough-$key
    mkdir -p "$(dirname "$c")"
    (
        flock 9
        [ -f "$c/done" ] && exit 0
        command -v debootstrap >/dev/null || exit 1
        rm -rf "$c"; mkdir -p "$c"
        timeout 1800 debootstrap "${WALK_DB[@]}" "$c/tree" "$WALK_MIRROR" >"$c/log" 2>&1 &&
            touch "$c/done"
    ) 9>"$c.lock" || return 1
    echo "$c/tree"
}

# systemd guests under TCG on a loaded host: QEMU start to the login prompt (seconds)
SYSTEMD_TIMEOUT=${SHAREDROOT_SYSTEMD_TIMEOUT:-600}

# ---------------------------------------------------------------------------------------
# The network root taken over by the booted system's own network configuration
# (netroot-networkd, netroot-ifupdown): the systemd base above over NBD, with a check unit

# doc_block HEADING: the ```-block that follows the line "### HEADING" of docs/network-root.md
doc_block() {
    awk -v h="### $1" '$0 == h { f = 1; next } f && /^```/ { if (b) exit; b = 1; next } b { print }' \
        "$QT_DIR/../docs/network-root.md"
}

# netcheck_head: the start of the check script (its steps follow): each `step NAME` prints
# eth0's IPv4 address, its routes and the sum of a file read from the root, cache dropped
netcheck_head() {
    cat <<'EOF'
#!/bin/sh
# qemu-tests: eth0 and the network root across the booted system's takeover
exec >/dev/console 2>&1
say() { echo "NETCHECK $*"; }
blob() { sync; echo 3 >/proc/sys/vm/drop_caches; sha256sum /data/blob | cut -d' ' -f1; }
routes() { awk '$1 == "eth0" { print $2 "/" $8 }' /proc/net/route | sort | xargs | tr ' ' ,; }
addr4() { hostname -I | tr ' ' '\n' | grep -v : | xargs; }
step() { say "step=$1|$2|addrs=$(addr4)|routes=$(routes)|blob=$(blob)"; }
EOF
}

# netcheck_tail: what every takeover is checked for at the end
netcheck_tail() {
    cat <<'EOF'
say "links=$(ls /sys/class/net | xargs | tr ' ' ,)"
say "renaming=$(udevadm info -q property /sys/class/net/eth0 | grep -c '^ID_RENAMING=')"
say "linkfile=$(grep -h '^Name=' /run/systemd/network/10-sharedroot-eth0.link 2>&1)"
journalctl -b --no-pager -o cat -t systemd-udevd -t '(udev-worker)' 2>&1 | grep -i -E 'eth0|rename' | tail -n 5 | sed 's/^/NETCHECK udevd: /'
# I/O errors and the nbd driver's connection messages over the whole boot (a connection lost
# in the initramfs was nbdkit quitting with its starter: guestfwd_cmd)
say "io_errors=$(dmesg | grep -c -E 'I/O error|nbd[0-9]+: (Dead|Receive|Send|Connection|timed out)')"
say "done"
EOF
}

# netcheck_unit AFTER: the oneshot unit that runs /usr/local/sbin/netcheck after AFTER
netcheck_unit() {
    cat <<EOF
[Unit]
Description=sharedroot qemu-tests: the network root across $1
After=$1
Wants=$1

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/netcheck

[Install]
WantedBy=multi-user.target
EOF
}

# netcheck_image IMG KEY CUSTOMIZE: the systemd base with the check (CUSTOMIZE TREE adds the
# scenario's network configuration and writes the script's steps to TREE/.netcheck-steps),
# made into an ext4 by sharedroot-mkbase; cached while KEY and the tree are the same. IMG.blob
# holds the sum of /data/blob.
netcheck_image() {
    local img=$1 key=$2 customize=$3 tree w
    tree=$(walk_tree) || tree=''
    [ -x "${tree:-/nonexistent}/lib/systemd/systemd" ] ||
        skip "no debootstrapped systemd tree (debootstrap ${WALK_DB[*]} from $WALK_MIRROR failed or is not installed)"
    key=$( (echo "$key"; netcheck_head; netcheck_tail; stat -c %Y "$tree") | sha256sum | cut -c1-16)
    [ -f "$img" ] && [ "$(cat "$img.key" 2>/dev/null)" = "$key" ] && return 0
    w=$SCW/$SC-tree
    rm -rf "$w" "$img" "$img".*
    mkdir -p "$SCW"
    cp -a "$tree" "$w" || fail "copying $tree"
    "$BUILD/checkbase/sharedroot-check-base" --fix "$w" >"$SCW/$SC.check" 2>&1
    mkdir -p "$w/usr/local/sbin" "$w/data"
    "$customize" "$w"
    { netcheck_head; cat "$w/.netcheck-steps"; netcheck_tail; } >"$w/usr/local/sbin/netcheck"
    rm -f "$w/.netcheck-steps"
    chmod 755 "$w/usr/local/sbin/netcheck"
    head -c 2M /dev/urandom >"$w/data/blob"
    sha "$w/data/blob" >"$img.blob"
    "$BUILD/mkbase/sharedroot-mkbase" --type ext4 -L srt-netcheck --force -o "$img" "$w" \
        >"$SCW/$SC.mk" 2>&1 || { rm -f "$img"; fail "sharedroot-mkbase: $(tail -n 5 "$SCW/$SC.mk")"; }
    rm -rf "$w"
    echo "$key" >"$img.key"
}

# netcheck_boot LOG IMG STEP...: boot IMG over NBD with ip=dhcp until the check is done, then
# check each STEP's line (eth0's IPv4 address the one DHCP gave the initramfs, its routes the
# same as at the first step, the file read right) and what every takeover is checked for
netcheck_boot() {
    local log=$1 img=$2 sum l r r0='' t0 nic
    shift 2
    sum=$(cat "$img.blob")
    showlog "$log"
    mapfile -t nic < <(net_nic "nbdkit -s --log=null -r file $img")
    t0=$(date +%s%N)
    QT_TIMEOUT=$SYSTEMD_TIMEOUT qt_boot_bg "$log" "$INITRD_NET" \
        "root=nbd:$NBD_ADDR:base ip=dhcp panic=10 systemd.default_device_timeout_sec=900" "${nic[@]}"
    if ! qt_wait_for "$log" "NETCHECK done|$QT_SHELL_RE|Kernel panic|emergency mode" "$SYSTEMD_TIMEOUT"; then
        qt_stop "$QT_PID"
        fail "the check did not end within ${SYSTEMD_TIMEOUT}s: $(lgrep "$log" -m1 'NETCHECK' || echo 'no NETCHECK line')"
    fi
    qt_wait_for "$log" "login: " 120 || true
    qt_stop "$QT_PID"
    lgrep "$log" -q 'NETCHECK done' || fail "the guest did not run the check: $(lgrep "$log" -m1 -E "$QT_SHELL_RE|Kernel panic|emergency mode")"
    lgrep "$log" -q 'sharedroot: root: /dev/nbd0 (ext4)' || fail "the root is not the NBD device: $(lgrep "$log" -m1 'sharedroot: root:')"
    for step in "$@"; do
        l=$(lgrep "$log" -m1 -o "NETCHECK step=$step|.*") || fail "no NETCHECK line for step $step"
        [[ "$l" == *"|bad="* ]] && fail "step $step: ${l#*|bad=}"
        [[ "$l" == *"|addrs=10.0.2.15|"* ]] || fail "eth0 lost or changed its IPv4 address ($step): $l"
        r=${l#*|routes=}; r=${r%%|*}
        [ -n "$r" ] || fail "no route through eth0 ($step): $l"
        [ -n "$r0" ] || r0=$r
        [ "$r" = "$r0" ] || fail "the routes through eth0 changed at step $step: $r0 -> $r"
        [ "${l##*|blob=}" = "$sum" ] || fail "the root read wrong data or failed ($step): $l"
    done
    l=$(lgrep "$log" -m1 -o 'NETCHECK links=.*')
    [[ ",${l#*=}," == *",eth0,"* ]] || fail "eth0 was renamed: $l"
    l=$(lgrep "$log" -m1 -o 'NETCHECK linkfile=.*')
    [ "$l" = "NETCHECK linkfile=Name=eth0" ] || fail "no .link file keeping eth0's name from the initramfs: $l"
    l=$(lgrep "$log" -m1 -o 'NETCHECK renaming=.*')
    [ "$l" = "NETCHECK renaming=0" ] || fail "udev left eth0 marked as being renamed (ID_RENAMING): $l"
    l=$(lgrep "$log" -m1 -o 'NETCHECK io_errors=.*')
    [ "$l" = "NETCHECK io_errors=0" ] || fail "the kernel logged I/O or NBD errors: $l"
    lgrep "$log" -q 'login: ' || fail "no login prompt after the check"
    lgrep "$log" -q 'sharedroot: WARNING' && fail "warned: $(lgrep "$log" -m1 'sharedroot: WARNING')"
    no_error "$log"
    note "$# steps, eth0 and the root kept; login prompt $(qt_elapsed "$t0")s after QEMU's start"
}
