#!/bin/sh
# qemu-tests reader init (the netroot-restart scenario's base): reads every file of /data again
# and again for qt.read=SECONDS, the page cache dropped before each round so that every round
# goes to the root device, checks each file against /data.sha256, then reports and powers off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
echo "REPORT START"
secs=20
# shellcheck disable=SC2013  # the command line's words
for a in $(cat /proc/cmdline); do case $a in qt.read=*) secs=${a#qt.read=} ;; esac; done
# shellcheck disable=SC2046  # split into its fields
set -- $(awk '$2 == "/" { l = $0 } END { print l }' /proc/mounts)
dev=${1#/dev/}
echo "REPORT root_dev=$1"
echo "REPORT root_fstype=$3"
case ",$4," in *,ro,*) echo "REPORT root_ro=1" ;; *) echo "REPORT root_ro=0" ;; esac
echo "REPORT root_blockdev_ro=$(cat "/sys/class/block/$dev/ro" 2>/dev/null || echo none)"
echo "REPORT pid=$$"
echo "READER ready"
end=$(($(cut -d. -f1 /proc/uptime) + secs))
rounds=0 bad=0
while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
    echo 3 >/proc/sys/vm/drop_caches
    (cd /data && sha256sum -c -s /data.sha256) 2>/dev/null || bad=$((bad + 1))
    rounds=$((rounds + 1))
    echo "READER round=$rounds bad=$bad uptime=$(cut -d' ' -f1 /proc/uptime) reads=$(awk '{ print $1 }' "/sys/class/block/$dev/stat")"
done
echo "REPORT read_rounds=$rounds"
echo "REPORT read_bad=$bad"
echo "REPORT io_errors=$(dmesg | grep -ci 'i/o error')"
if [ -r /run/sharedroot/state ]; then
    while read -r l; do echo "REPORT state.$l"; done </run/sharedroot/state
fi
echo "REPORT END"
sync
poweroff -f
sleep 5
