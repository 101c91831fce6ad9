#!/bin/sh
# sharedroot qemu-tests report init: prints machine-readable REPORT lines, then powers off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
echo "REPORT START"
pre() { if [ "$1" = 1 ]; then echo 1; else echo 0; fi; }
p=0; [ -e /proc/self/stat ] && p=1; [ $p = 1 ] || mount -t proc proc /proc
s=0; [ -d /sys/kernel ] && s=1;    [ $s = 1 ] || mount -t sysfs sysfs /sys
d=0; [ -c /dev/null ] && d=1;      [ $d = 1 ] || mount -t devtmpfs devtmpfs /dev
r=0; grep -q ' /run ' /proc/mounts && r=1
echo "REPORT proc_premounted=$p"
echo "REPORT sys_premounted=$s"
echo "REPORT dev_premounted=$d"
echo "REPORT run_premounted=$r"
rootline=$(awk '$2 == "/" { l = $0 } END { print l }' /proc/mounts)
# shellcheck disable=SC2086  # split into its fields
set -- $rootline
echo "REPORT root_dev=$1"
echo "REPORT root_fstype=$3"
echo "REPORT root_opts=$4"
case ",$4," in *,ro,*) echo "REPORT root_ro=1" ;; *) echo "REPORT root_ro=0" ;; esac
if touch /testfile 2>/dev/null; then echo "REPORT write_root=ok"; rm -f /testfile
else echo "REPORT write_root=failed"; fi
echo "REPORT blockdev_ro=$(cat /sys/block/vda/ro 2>/dev/null || echo none)"
# the root's own block device (vda, nbd0, ...) and a network root's resident helper
echo "REPORT root_blockdev_ro=$(cat "/sys/class/block/${1#/dev/}/ro" 2>/dev/null || echo none)"
for p in /proc/[0-9]*; do
    case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in
    @sharedroot-nbd*) echo "REPORT nbd_helper=${p#/proc/}" ;;
    esac
done
echo "REPORT pid=$$"
echo "REPORT init_args=$(cat /proc/$$/cmdline | tr '\0' ' ')"
echo "REPORT cmdline=$(cat /proc/cmdline)"
echo "REPORT uptime=$(cut -d' ' -f1 /proc/uptime)"
# the initramfs' /init must not be visible: / is the base now
if [ -e /init ]; then echo "REPORT initramfs_visible=1"; else echo "REPORT initramfs_visible=0"; fi
echo "REPORT os_id=$(. /etc/os-release; echo "$ID")"
awk '/^MemTotal:/ {t=$2} /^MemAvailable:/ {a=$2} END {print "REPORT mem_used_kb=" t-a}' /proc/meminfo
# What /tmp held when the real init started (cleaned at boot?), then leave something behind
# shellcheck disable=SC2012  # names only, for the log
echo "REPORT tmp_entries=$(ls -A /tmp 2>/dev/null | tr '\n' ' ')"
echo "left by the last boot" >/tmp/left-by-guest 2>/dev/null
# The first boot of an OS on a shared base: its identity is written through the /etc
# overlay into the instance's upper dir (the base has an empty machine-id, no hostname, no
# host keys), its own data into /var
rnd() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
if [ ! -s /etc/machine-id ]; then
    tr -d '-' </proc/sys/kernel/random/uuid >/etc/machine-id 2>/dev/null && echo "REPORT firstboot_machine_id=1"
fi
if [ ! -e /etc/hostname ]; then
    echo "guest-$(rnd 4)" >/etc/hostname 2>/dev/null && echo "REPORT firstboot_hostname=1"
fi
if [ ! -e /etc/ssh/ssh_host_ed25519_key ]; then
    mkdir -p /etc/ssh 2>/dev/null
    (umask 077; rnd 32 >/etc/ssh/ssh_host_ed25519_key) 2>/dev/null && echo "REPORT firstboot_ssh_key=1"
fi
mkdir -p /var/lib 2>/dev/null
[ -e /var/lib/instance-id ] || rnd 8 >/var/lib/instance-id 2>/dev/null
[ -e /var/lib/keep ] || echo precious >/var/lib/keep 2>/dev/null
n=$(cat /var/lib/boot-count 2>/dev/null || echo 0); echo $((n + 1)) >/var/lib/boot-count 2>/dev/null
hostname -F /etc/hostname 2>/dev/null
echo "REPORT hostname=$(hostname)"
echo "REPORT machine_id=$(cat /etc/machine-id 2>/dev/null)"
echo "REPORT ssh_key=$(sha256sum </etc/ssh/ssh_host_ed25519_key 2>/dev/null | cut -c1-16)"
echo "REPORT var_id=$(cat /var/lib/instance-id 2>/dev/null)"
echo "REPORT var_keep=$(cat /var/lib/keep 2>/dev/null)"
echo "REPORT boot_count=$(cat /var/lib/boot-count 2>/dev/null)"
echo "REPORT authorized_keys=$(head -n 1 /etc/ssh/authorized_keys/root 2>/dev/null)"
echo "REPORT app_conf=$(cat /etc/app.conf 2>/dev/null)"
echo "REPORT dev_fstype=$(awk '$2 == "/dev" { t = $3 } END { print t }' /proc/mounts)"
nodes=
for n in null zero console full tty vda vdb nvme0n1; do
    if [ -c /dev/$n ]; then t=c; elif [ -b /dev/$n ]; then t=b; else t=-; fi; nodes="$nodes $n:$t"
done
echo "REPORT dev_nodes=$nodes"
tail -n +2 /proc/swaps | while read -r f rest; do echo "REPORT swap=$f"; done
while read -r dev mnt fs opts rest; do echo "REPORT mount=$dev $mnt $fs $opts"; done </proc/mounts
# the network the real system found (a network root's interfaces stay configured): IPv4
# addresses and routes
ip -o -4 addr show 2>/dev/null | while read -r _ dev _ addr rest; do echo "REPORT ipaddr=$dev $addr"; done
ip -4 route show 2>/dev/null | while read -r l; do echo "REPORT iproute=$l"; done
if [ -r /run/sharedroot/state ]; then
    while read -r l; do echo "REPORT state.$l"; done </run/sharedroot/state
fi
# Scenario steps, driven by qt.step= on the kernel command line
step=
# shellcheck disable=SC2013  # the command line's words
for a in $(cat /proc/cmdline); do case $a in qt.step=*) step=${a#qt.step=} ;; esac; done
if [ "$step" = edit ]; then
    # the host changes its /etc: rc-clean.conf where the next base does not touch it,
    # rc-conflict.conf where it does, rc-mode.conf only chmod-ed, rc-touched.conf only touched
    sed 's/^line 3$/line 3 edited by the host/' /etc/rc-clean.conf >/tmp/rc.new && cat /tmp/rc.new >/etc/rc-clean.conf
    sed 's/^line 5$/line 5 edited by the host/' /etc/rc-conflict.conf >/tmp/rc.new && cat /tmp/rc.new >/etc/rc-conflict.conf
    chmod 0600 /etc/rc-mode.conf
    touch /etc/rc-touched.conf
    rm -f /tmp/rc.new
    echo "REPORT edit_done=1"
fi
# /etc/appdir (two levels): each path, with the content of files
appdir_list() {
    l=
    for f in /etc/appdir/* /etc/appdir/*/*; do
        [ -e "$f" ] || continue
        if [ -f "$f" ]; then l="$l ${f#/etc/appdir/}=$(cat "$f")"; else l="$l ${f#/etc/appdir/}/"; fi
    done
    echo "$l"
}
[ -d /etc/appdir ] && echo "REPORT appdir=$(appdir_list)"
if [ "$step" = instreset ]; then
    # the guest changes a base file, then asks for the base's version back at the next boot
    echo "app.conf edited in the guest" >/etc/app.conf
    /usr/sbin/sharedroot-instance reset --next-boot /etc/app.conf; echo "REPORT instreset_rc=$?"
    echo "REPORT app_conf_edited=$(cat /etc/app.conf)"
    # and a base dir it removed and made again (an opaque dir in the upper): one file of it back
    rm -rf /etc/appdir && mkdir -p /etc/appdir/sub && echo guest-a >/etc/appdir/a.conf &&
        echo guest-c >/etc/appdir/sub/c.conf && echo own >/etc/appdir/own.conf
    /usr/sbin/sharedroot-instance reset --next-boot /etc/appdir/a.conf
    echo "REPORT instreset_opaque_rc=$?"
    echo "REPORT appdir_edited=$(appdir_list)"
fi
if [ "$step" = handover ]; then
    # the real system's network configuration takes over the interface the network root
    # travels on (docs/network-root.md, "ifupdown"): the base's /etc/network/interfaces run by
    # busybox's ifup/ifdown as networking.service would (start, stop, start), the interface
    # named, what Debian's ifupdown runs for `ifup eth0` on a manual stanza, and a DHCP
    # renewal whose script leaves the address alone. After each: eth0's addresses and the
    # routes (unchanged?) and a read of /data/blob from the device (page cache dropped)
    net_now() { { ip -o -4 addr show dev eth0; ip -4 route show; } 2>/dev/null | tr -s ' \n' '  '; }
    blob_sum() { echo 3 >/proc/sys/vm/drop_caches; sha256sum </data/blob 2>/dev/null | cut -c1-64; }
    mkdir -p /var/run /run/network
    n0=$(net_now)
    echo "REPORT handover_net=$n0"
    echo "REPORT handover_blob=$(blob_sum)"
    for h in "ifup -a" "ifdown -a" "ifup -a" "ifup eth0" "ip link set dev eth0 up" \
        "udhcpc -i eth0 -n -q -t 5 -T 1 -s /bin/true"; do
        out=$($h 2>&1); rc=$?
        [ $rc = 0 ] || echo "REPORT handover_out=$h: $(echo "$out" | tr '\n' ' ' | cut -c1-200)"
        s=$(blob_sum)
        same=0; [ "$(net_now)" = "$n0" ] && same=1
        echo "REPORT handover_step=$h|rc=$rc|net_same=$same|blob=$s"
    done
    echo "REPORT handover_io_errors=$(dmesg | grep -c 'I/O error')"
fi
if [ "$step" = daxread ]; then
    # a file of the base read through dax does not enter the guest's page cache: Cached
    # before and after reading /data/daxblob (more than 4 MiB, not in whole blocks)
    cached() { awk '/^Cached:/ { print $2 }' /proc/meminfo; }
    c0=$(cached)
    cat /data/daxblob >/dev/null
    echo "REPORT daxread_cached_kb=$(($(cached) - c0))"
fi
for f in /etc/rc-*.conf; do
    [ -e "$f" ] || continue
    n=${f##*/}; n=${n%.conf}; n=$(echo "$n" | tr -- '-' '_')
    echo "REPORT etc.$n=$(sha256sum <"$f" | cut -c1-16) $(stat -c %a "$f")"
    grep -q 'edited by the host' "$f" && echo "REPORT etc.$n.host_edit=1"
    grep -q 'base-v2' "$f" && echo "REPORT etc.$n.base_v2=1"
done
if [ -r /run/sharedroot/reconcile.json ]; then
    while read -r l; do echo "REPORT rcjson $l"; done </run/sharedroot/reconcile.json
fi
if [ -x /usr/sbin/overlay-reconcile ]; then
    /usr/sbin/overlay-reconcile --report >/tmp/orc.out 2>&1; echo "REPORT orc_status=$?"
    while read -r l; do echo "REPORT orc $l"; done </tmp/orc.out
    /usr/sbin/overlay-reconcile --report --json >/tmp/orc.out 2>&1
    while read -r l; do echo "REPORT orcjson $l"; done </tmp/orc.out
    rm -f /tmp/orc.out
fi
# what boot hooks left in /run (qemu-tests hooks append to /run/qt-hooks.log)
if [ -r /run/qt-hooks.log ]; then
    while read -r l; do echo "REPORT hook $l"; done </run/qt-hooks.log
fi
echo "REPORT END"
sync
if [ "$step" = stay ]; then
    # stay up until the host stops the guest (sharedroot-boottest --hold), at most 10 minutes
    sleep 600
fi
if [ "$step" = exitrd ]; then
    # systemd's return to the initramfs at shutdown (systemd src/shutdown): the old root stays
    # at /oldroot, /dev /proc /sys /run are bound in, /shutdown VERB runs as PID 1
    if [ -x /run/initramfs/shutdown ]; then
        echo "REPORT exitrd_kb=$(du -sk /run/initramfs | cut -f1)"
        mount --make-rprivate /
        mount --bind /run/initramfs /run/initramfs
        cd /run/initramfs || exit 1
        for d in dev proc sys run; do mount --bind /$d $d; done
        pivot_root . oldroot && cd / && exec /shutdown poweroff
    fi
    echo "REPORT exitrd_failed"
fi
poweroff -f
sleep 5
echo "REPORT poweroff_failed"
