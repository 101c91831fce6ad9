# shellcheck shell=bash disable=SC2034  # its variables are for the scripts that source it
# Helpers shared by qemu-tests/run and qemu-tests/demo: building test root images and
# initramfs images (only from Debian packages: busybox-static, e2fsprogs, erofs-utils,
# squashfs-tools, the cloud kernel), booting QEMU with a hard time bound, and reading the
# machine-readable "REPORT key=value" lines the test /sbin/init prints on the serial console.
#
# Everything is built under $QT_WORK (BUILD/qemu-work). Images that do not depend on the
# build (root filesystems, the stand-in initramfs) are cached under a hash of their inputs.
#
# Environment knobs:
#   SHAREDROOT_QEMU_ACCEL    tcg (default) | kvm | auto (probe KVM with a <=20 s boot, else tcg)
#   SHAREDROOT_QEMU_TIMEOUT  seconds one guest may run before it is killed (default 90)
#   SHAREDROOT_QEMU_JOBS     how many QEMUs may run at once (default 2)
#   SHAREDROOT_QEMU_STANDIN  1: use the hand-made busybox stand-in initramfs instead of
#                            BUILD's sharedroot-init (harness development only)
#   SHAREDROOT_KVER          kernel version (default: the newest installed *-cloud-amd64)

QT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QT_KVER=$("$QT_DIR/../tools/cloud-kver" 2>/dev/null)
QT_KERNEL=${SHAREDROOT_KERNEL:-/boot/vmlinuz-$QT_KVER}
QT_MODDIR=/lib/modules/$QT_KVER
QT_BUSYBOX=${SHAREDROOT_BUSYBOX:-/usr/bin/busybox}
QT_QEMU=${SHAREDROOT_QEMU:-qemu-system-x86_64}
QT_TIMEOUT=${SHAREDROOT_QEMU_TIMEOUT:-90}
QT_JOBS=${SHAREDROOT_QEMU_JOBS:-2}

# Fixed identities of the test root filesystems.
QT_EXT4_UUID=5a7e0000-0000-4000-8000-00000000e404
QT_EXT4_LABEL=srt-ext4
QT_EROFS_UUID=5a7e0000-0000-4000-8000-0000000e0f50
QT_EROFS_LABEL=srt-erofs
QT_MISSING_UUID=00000000-dead-beef-0000-000000000000

# what shows that a guest is sitting in an emergency shell
QT_SHELL_RE='starting (the )?emergency shell|built-in shell \(ash\)'

qt_log() { echo "qemu-tests: $*" >&2; }
qt_die() { echo "qemu-tests: ERROR: $*" >&2; exit 1; }

qt_have_prereqs() { # prints why not, returns 1 when something is missing
    local t
    for t in "$QT_QEMU" timeout mkfs.ext4 debugfs mkfs.erofs mksquashfs cpio zstd sha256sum; do
        command -v "$t" >/dev/null || { echo "$t not installed"; return 1; }
    done
    [ -r "$QT_KERNEL" ] || { echo "kernel $QT_KERNEL not readable"; return 1; }
    [ -d "$QT_MODDIR" ] || { echo "modules $QT_MODDIR missing"; return 1; }
    [ -x "$QT_BUSYBOX" ] || { echo "busybox-static ($QT_BUSYBOX) missing"; return 1; }
    return 0
}

qt_hash() { # hash of the given files' contents and of extra words (after --)
    local words=()
    {
        while [ $# -gt 0 ] && [ "$1" != -- ]; do sha256sum <"$1"; shift; done
        [ "${1:-}" = -- ] && shift
        words=("$@"); printf '%s\n' "${words[@]}"
    } | sha256sum | cut -c1-16
}

qt_elapsed() { # start-ns -> seconds with one decimal
    local ns=$(( $(date +%s%N) - $1 ))
    printf '%d.%d' $((ns / 1000000000)) $(((ns / 100000000) % 10))
}

# ---------------------------------------------------------------------------------------
# Root filesystem trees

# The test /sbin/init (qemu-tests/report-init.sh): reports what the booted system sees,
# then powers off.
QT_REPORT_INIT=$QT_DIR/report-init.sh

# qt_make_tree DIR INIT-SCRIPT-FILE: a busybox-static root with INIT as /sbin/init
qt_make_tree() {
    local dir=$1 init=$2 a
    rm -rf "$dir"
    mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,var,mnt}
    chmod 1777 "$dir/tmp"
    cp "$QT_BUSYBOX" "$dir/bin/busybox"
    for a in $("$QT_BUSYBOX" --list-full); do
        case $a in sbin/init|linuxrc) continue ;; esac
        [ -e "$dir/$a" ] || ln -s /bin/busybox "$dir/$a"
    done
    install -m 0755 "$init" "$dir/sbin/init"
    cat >"$dir/etc/os-release" <<'EOF'
ID=sharedroot-test
NAME="sharedroot test root"
PRETTY_NAME="sharedroot qemu-tests busybox root"
EOF
    echo "root:x:0:0:root:/root:/bin/sh" >"$dir/etc/passwd"
    echo "root:x:0:" >"$dir/etc/group"
    # a base prepared for sharing: empty machine-id, no hostname, no ssh host keys
    : >"$dir/etc/machine-id"
    mkdir -p "$dir/var/lib"
    : >"$dir/etc/fstab"
}

qt_erofs_has_label() { mkfs.erofs --help 2>&1 | grep -q -- '-L'; }

# qt_build_roots OUTDIR INIT-SCRIPT-FILE: writes OUTDIR/{ext4,erofs,squashfs}.img (cached)
qt_build_roots() {
    local out=$1 init=$2 key tree
    key=$(qt_hash "$init" "$QT_BUSYBOX" "${BASH_SOURCE[0]}" -- roots-v2)
    if [ -f "$out/key" ] && [ "$(cat "$out/key")" = "$key" ]; then return 0; fi
    rm -rf "$out"; mkdir -p "$out"
    tree=$out/tree
    qt_make_tree "$tree" "$init"
    mkfs.ext4 -q -F -L "$QT_EXT4_LABEL" -U "$QT_EXT4_UUID" -E root_owner=0:0 \
        -d "$tree" "$out/ext4.img" 64M >"$out/mkfs.log" 2>&1 || { cat "$out/mkfs.log"; return 1; }
    # mkfs.erofs 1.5 (Debian 12) has no -L: make the image without the superblock checksum
    # and write the label into the superblock's volume_name (offset 1024 + 64, 16 bytes)
    local lab=(-Enosbcrc)
    qt_erofs_has_label && lab=(-L "$QT_EROFS_LABEL")
    mkfs.erofs "${lab[@]}" -U "$QT_EROFS_UUID" --all-root -T 0 "$out/erofs.img" "$tree" \
        >>"$out/mkfs.log" 2>&1 || { cat "$out/mkfs.log"; return 1; }
    if ! qt_erofs_has_label; then
        printf '%s' "$QT_EROFS_LABEL" | dd of="$out/erofs.img" bs=1 seek=1088 conv=notrunc status=none
    fi
    blkid -p -s LABEL -o value "$out/erofs.img" | grep -qx "$QT_EROFS_LABEL" || {
        echo "erofs image has no label $QT_EROFS_LABEL"; return 1; }
    mksquashfs "$tree" "$out/squashfs.img" -all-root -noappend -quiet -comp xz \
        >>"$out/mkfs.log" 2>&1 || { cat "$out/mkfs.log"; return 1; }
    rm -rf "$tree"
    echo "$key" >"$out/key"
}

# qt_make_dirty_ext4 SRC DST: copy SRC and leave journal transactions (needs_recovery) and an
# orphan inode in it, exactly what a guest that crashed while using the image leaves behind.
qt_make_dirty_ext4() {
    local src=$1 dst=$2 blk
    cp --sparse=always "$src" "$dst"
    blk=$dst.blocks
    head -c 16384 /dev/urandom >"$blk"
    debugfs -w -f - "$dst" >"$dst.debugfs.log" 2>&1 <<EOF
jo
jw -b 3000,3001,3002,3003 $blk
jc
ssv last_orphan 12
EOF
    rm -f "$blk"
    local h
    h=$(dumpe2fs -h "$dst" 2>/dev/null)
    grep -q 'needs_recovery' <<<"$h" || { echo "debugfs did not set needs_recovery"; return 1; }
    grep -q '^First orphan inode: *12' <<<"$h" || { echo "debugfs did not set an orphan"; return 1; }
}

# ---------------------------------------------------------------------------------------
# Initramfs images

QT_STANDIN_MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci \
virtio_blk libcrc32c erofs squashfs overlay"

qt_modpath() { # module name -> path of the .ko under QT_MODDIR
    awk -F: -v m="$1" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n); gsub(/-/, "_", n)
        if (n == m) { print $1; exit } }' "$QT_MODDIR/modules.dep"
}

# The stand-in /init (qemu-tests/standin-init.sh): a busybox script that mimics the
# sharedroot-init command line closely enough to develop the harness (root= path/UUID=/LABEL=,
# rootfstype=, init= fallback, sharedroot.timeout=, emergency shell, panic=), and doubles as the
# "plain initramfs" that mounts the root without any protection when booted with standin.plain.
QT_STANDIN_INIT=$QT_DIR/standin-init.sh

# qt_build_standin OUT [--no-shell]: a zstd cpio initramfs with busybox and the stand-in /init
qt_build_standin() {
    local out=$1 noshell=${2:-} key dir m p
    key=$(qt_hash "$QT_BUSYBOX" "$QT_STANDIN_INIT" "${BASH_SOURCE[0]}" "$QT_MODDIR/modules.dep" -- standin "$noshell")
    if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then return 0; fi
    dir=$out.d
    rm -rf "$dir"; mkdir -p "$dir"/{bin,sbin,proc,sys,dev,run,modules}
    cp "$QT_BUSYBOX" "$dir/bin/busybox"
    for a in $("$QT_BUSYBOX" --list); do [ -e "$dir/bin/$a" ] || ln -s busybox "$dir/bin/$a"; done
    install -m 0755 "$QT_STANDIN_INIT" "$dir/init"
    for m in $QT_STANDIN_MODULES; do
        p=$(qt_modpath "$m"); [ -n "$p" ] || { echo "module $m not found"; return 1; }
        cp "$QT_MODDIR/$p" "$dir/modules/$m.ko"
        echo "$m" >>"$dir/modules.list"
    done
    [ "$noshell" = --no-shell ] && : >"$dir/noshell"
    (cd "$dir" && find . | cpio -o -H newc --quiet | zstd -q -19 -T0 -f -o "$out") || return 1
    rm -rf "$dir"
    echo "$key" >"$out.key"
}

# qt_build_initramfs BUILD OUT [mkinitramfs args...]: the real one, cached on the inputs
qt_build_initramfs() {
    local build=$1 out=$2; shift 2
    local mk=$build/initramfs/sharedroot-mkinitramfs init=$build/init/sharedroot-init key a f
    local files=("$mk" "$init" "$QT_BUSYBOX" "$QT_MODDIR/modules.dep") words=("$@")
    # files named by --hook STAGE:PATH and --binary PATH: their contents and modes count too
    for a in "$@"; do
        f=${a#*:}
        [ -f "$f" ] || continue
        files+=("$f"); words+=("$(stat -c %a "$f")")
    done
    key=$(qt_hash "${files[@]}" -- "${words[@]}")
    if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then return 0; fi
    rm -f "$out" "$out.key"
    timeout 120 "$mk" -o "$out" --kver "$QT_KVER" --init "$init" "$@" >"$out.log" 2>&1 || {
        echo "sharedroot-mkinitramfs $* failed:"; tail -n 30 "$out.log"; return 1; }
    [ -s "$out" ] || { echo "sharedroot-mkinitramfs produced no $out"; return 1; }
    echo "$key" >"$out.key"
}

# ---------------------------------------------------------------------------------------
# QEMU

QT_PIDFILE=${QT_PIDFILE:-}

qt_accel() { # prints tcg or kvm; caches the probe in $QT_WORK/accel
    local want=${SHAREDROOT_QEMU_ACCEL:-tcg}
    case $want in
    tcg) echo tcg; return ;;
    kvm) echo kvm; return ;;
    auto) ;;
    *) qt_log "unknown SHAREDROOT_QEMU_ACCEL=$want, using tcg"; echo tcg; return ;;
    esac
    if [ -f "$QT_WORK/accel" ]; then cat "$QT_WORK/accel"; return; fi
    local a=tcg
    if [ -w /dev/kvm ] && [ -n "${QT_PROBE_INITRD:-}" ] && [ -n "${QT_PROBE_DISK:-}" ]; then
        local log=$QT_WORK/logs/kvm-probe.log
        QT_ACCEL=kvm QT_TIMEOUT=20 qt_boot "$log" "$QT_PROBE_INITRD" "root=/dev/vda" \
            -drive "file=$QT_PROBE_DISK,format=raw,if=virtio,readonly=on" >/dev/null 2>&1
        grep -q 'REPORT END' "$log" 2>/dev/null && a=kvm
        qt_log "KVM probe: $([ $a = kvm ] && echo usable || echo 'too slow or broken, using TCG')"
    fi
    echo "$a" >"$QT_WORK/accel"
    echo "$a"
}

qt_track() { [ -n "$QT_PIDFILE" ] && echo "$1" >>"$QT_PIDFILE"; return 0; }

# qt_qemu_args INITRD APPEND: the common QEMU command line (kernel on ttyS0, no devices; one
# vCPU, or $QT_SMP).
# no_timer_check: on a loaded host a TCG guest can miss the kernel's early IO-APIC timer test
# ("IO-APIC + timer doesn't work!") and panic before /init; the test says nothing about us.
qt_qemu_args() {
    local accel=${QT_ACCEL:-tcg} extra=
    case " $2 " in *" panic="*) ;; *) extra="panic=-1 " ;; esac
    QT_ARGS=("$QT_QEMU" -nodefaults -no-user-config -display none -machine "pc,accel=$accel"
        -m 512 -smp "${QT_SMP:-1}" -net none -no-reboot
        -kernel "$QT_KERNEL" -append "console=ttyS0 no_timer_check $extra$2")
    # INITRD "-": no initramfs (in-root mode: the kernel mounts the root itself)
    [ "$1" = - ] || QT_ARGS+=(-initrd "$1")
}

# qt_boot LOG INITRD APPEND [extra qemu args...]: boot one guest with the serial console in LOG,
# bounded by $QT_TIMEOUT seconds. Returns QEMU's status (124 when it had to be killed).
qt_boot() {
    local log=$1 initrd=$2 append=$3; shift 3
    qt_qemu_args "$initrd" "$append"
    mkdir -p "$(dirname "$log")"; : >"$log"
    echo "${QT_ARGS[*]} $*" >"$log.cmd"
    timeout -k 5 "${QT_TIMEOUT}" "${QT_ARGS[@]}" -serial "file:$log" "$@" </dev/null >"$log.qemu" 2>&1 &
    local pid=$!
    qt_track "$pid"
    # nobody will type into an emergency shell here: end the guest instead of waiting for
    # the timeout
    while kill -0 "$pid" 2>/dev/null; do
        if grep -qE "$QT_SHELL_RE" "$log" 2>/dev/null; then
            sleep 2
            qt_stop "$pid"
            return 125
        fi
        sleep 0.2
    done
    wait "$pid"
}

# qt_boot_bg LOG INITRD APPEND [extra...]: same, in the background; sets QT_PID
qt_boot_bg() {
    local log=$1 initrd=$2 append=$3; shift 3
    qt_qemu_args "$initrd" "$append"
    mkdir -p "$(dirname "$log")"; : >"$log"
    echo "${QT_ARGS[*]} $*" >"$log.cmd"
    timeout -k 5 "${QT_TIMEOUT}" "${QT_ARGS[@]}" -serial "file:$log" "$@" </dev/null >"$log.qemu" 2>&1 &
    QT_PID=$!
    qt_track "$QT_PID"
}

# qt_boot_interactive LOG INITRD APPEND [extra...]: the serial console is a pipe pair:
# write to "$QT_IN" (a fifo kept open on fd 7), output goes to LOG. Sets QT_PID.
qt_boot_interactive() {
    local log=$1 initrd=$2 append=$3; shift 3
    qt_qemu_args "$initrd" "$append"
    mkdir -p "$(dirname "$log")"; : >"$log"
    QT_IN=$log.in
    rm -f "$QT_IN"; mkfifo "$QT_IN"
    exec 7<>"$QT_IN"
    echo "${QT_ARGS[*]} -serial stdio $*" >"$log.cmd"
    timeout -k 5 "${QT_TIMEOUT}" "${QT_ARGS[@]}" -serial stdio "$@" <"$QT_IN" >"$log" 2>"$log.qemu" &
    QT_PID=$!
    qt_track "$QT_PID"
}

qt_send() { printf '%s\r' "$1" >&7; }   # type a line on the interactive guest's console

qt_stop() { # PID: end a guest we started (its timeout wrapper forwards the signal to QEMU)
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# qt_wait_for LOG REGEX SECONDS: wait until REGEX appears in LOG (or give up)
qt_wait_for() {
    local log=$1 re=$2 t=$3 n=0
    while [ $n -lt $((t * 10)) ]; do
        tr -d '\r' <"$log" 2>/dev/null | grep -qE -- "$re" && return 0
        sleep 0.1; n=$((n + 1))
    done
    return 1
}

# qt_report LOG KEY: the value of the last "REPORT KEY=value" line
qt_report() {
    tr -d '\r' <"$1" | sed -n "s/^.*REPORT $2=//p" | tail -n 1
}

qt_clean_log() { tr -d '\r' <"$1"; }
