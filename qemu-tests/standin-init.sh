#!/bin/sh
# sharedroot qemu-tests stand-in /init (qemu-tests/lib.sh qt_build_standin): a busybox script
# that mimics the sharedroot-init command line for harness work, and the "plain initramfs"
# (standin.plain) that mounts a root without sharedroot's care.
export PATH=/bin:/sbin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=0755 run /run
log() { echo "sharedroot: $*" >/dev/kmsg; }
err() { echo "sharedroot: ERROR: $*" >/dev/console; echo "sharedroot: ERROR: $*" >/dev/kmsg; }
root='' fstype='' init='' timeout=30 plain=0 rwmode=ro
# shellcheck disable=SC2013  # the command line's words
for a in $(cat /proc/cmdline); do
    case $a in
    root=*) root=${a#root=} ;; rootfstype=*) fstype=${a#rootfstype=} ;; init=*) init=${a#init=} ;;
    sharedroot.timeout=*) timeout=${a#sharedroot.timeout=} ;; standin.plain) plain=1 ;; rw) rwmode=rw ;;
    esac
done
log "stand-in init (not sharedroot-init)"
# shellcheck disable=SC2013  # one module name a line
for m in $(cat /modules.list); do insmod "/modules/$m.ko" 2>/dev/null; done
fail() {
    err "$*"
    if [ -e /noshell ]; then exit 1; fi
    echo "sharedroot: starting emergency shell" >/dev/console
    exec setsid cttyhack sh
}
resolve() { case $root in UUID=*|LABEL=*) findfs "$root" 2>/dev/null ;; *) [ -b "$root" ] && echo "$root" ;; esac; }
n=0; dev=
while :; do dev=$(resolve); [ -n "$dev" ] && break
    [ $n -ge $((timeout * 10)) ] && fail "root device $root did not appear within ${timeout}s"
    sleep 0.1; n=$((n + 1)); done
log "root $root is $dev"
mkdir -p /sysroot
if [ $plain = 1 ]; then
    mount -o $rwmode ${fstype:+-t $fstype} "$dev" /sysroot || fail "mount $dev failed"
else
    blockdev --setro "$dev"
    mount -t ext4 -o ro,noload "$dev" /sysroot 2>/dev/null ||
        mount -o ro ${fstype:+-t $fstype} "$dev" /sysroot || fail "mount $dev failed"
fi
for d in /proc /sys /dev /run; do mount --move $d /sysroot$d; done
if [ -n "$init" ] && [ ! -x "/sysroot$init" ]; then
    echo "sharedroot: init=$init not found, falling back" >/sysroot/dev/kmsg; init=; fi
if [ -z "$init" ]; then for i in /sbin/init /etc/init /bin/init /bin/sh; do
    [ -x "/sysroot$i" ] && { init=$i; break; }; done; fi
exec switch_root /sysroot "$init"
