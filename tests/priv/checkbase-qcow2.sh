#!/bin/bash
# Privileged tests of sharedroot-check-base on qcow2 images, as distributions ship cloud
# images: read through a sparse raw copy of the virtual disk in $TMPDIR made by qemu-img.
# The Debian-like GPT disk of checkbase-disk.sh converted to qcow2 gives the same report as
# the raw disk (text and JSON, the image's name aside); an overlay on a plain backing file is
# read; a backing file named nbd:// or json: is refused and a listener on 127.0.0.1 sees no
# connection; a device backing file is refused; --fix is refused before anything is
# converted; the copy is gone after a check, a refusal and a SIGTERM during the conversion
# (a slow qemu-img shim first in PATH); a TMPDIR without room (a small tmpfs) is named; no
# qemu-img in PATH names qemu-utils. No message names the copy. $1 = the build dir.
set -u
B=${1:?usage: checkbase-qcow2.sh BUILDDIR}
S=$B/checkbase/sharedroot-check-base

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ ! -x "$S" ]; then
    fail checkbase_qcow2 "$S not built"
    exit 1
fi
need checkbase_qcow2 qemu-img sfdisk mkfs.ext4 mkfs.vfat sha256sum python3
T=$(mktemp -d /tmp/sharedroot-checkbase-qcow2.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/tmp"
export TMPDIR=$T/tmp

run() { # ARGS...: sets OUT (stdout), ERR (stderr), RC
    OUT=$("$S" "$@" 2>"$T/err")
    RC=$?
    ERR=$(cat "$T/err")
}
expect_rc() { # NAME RC
    if [ "$RC" -eq "$2" ]; then pass "$1"; else fail "$1" "exit $RC, expected $2: $OUT $ERR"; fi
}
expect_out() { # NAME PATTERN (grep -E on stdout)
    if echo "$OUT" | grep -qE -- "$2"; then pass "$1"; else fail "$1" "no '$2' in: $OUT $ERR"; fi
}
expect_err() { # NAME PATTERN (grep -E on stderr)
    if echo "$ERR" | grep -qE -- "$2"; then pass "$1"; else fail "$1" "no '$2' in: $ERR"; fi
}
no_copy_left() { # NAME: nothing left in TMPDIR
    if [ -z "$(ls -A "$T/tmp")" ]; then pass "$1"; else fail "$1" "left: $(ls -A "$T/tmp")"; fi
}
copy_not_named() { # NAME: no output names the copy
    if echo "$OUT $ERR" | grep -q "sharedroot-check-base-qcow2\."; then
        fail "$1" "the copy is named: $OUT $ERR"
    else pass "$1"; fi
}

ROOT_TYPE=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
BIOS_TYPE=21686148-6449-6E6F-744E-656564454649
ROOT_PU=11111111-2222-3333-4444-555555555501
ESP_PU=11111111-2222-3333-4444-55555555550f

# checkbase-disk.sh's Debian 12 cloud-image layout; the root holds 16 MiB of text, which a
# compressed qcow2 keeps in far less (for the TMPDIR test).
mkdir -p "$T/tree/etc" "$T/tree/var/lib/dbus" "$T/tree/sbin" "$T/tree/boot/efi"
: >"$T/tree/etc/machine-id"
ln -s /etc/machine-id "$T/tree/var/lib/dbus/machine-id"
printf '#!/bin/sh\n' >"$T/tree/sbin/init"
chmod 755 "$T/tree/sbin/init"
yes 'sharedroot checks a qcow2 cloud image through a raw copy' | head -c 16M >"$T/tree/text"
cat >"$T/tree/etc/fstab" <<EOF
PARTUUID=${ROOT_PU^^} / ext4 rw,discard,errors=remount-ro,x-systemd.growfs 0 1
PARTUUID=${ESP_PU^^} /boot/efi vfat defaults 0 0
EOF
if ! { truncate -s 40M "$T/root.fs" && mkfs.ext4 -q -F -L root -d "$T/tree" "$T/root.fs" &&
    truncate -s 8M "$T/esp.fs" && mkfs.vfat -n EFI "$T/esp.fs" >/dev/null; }; then
    fail checkbase_qcow2 "mkfs"
    exit 1
fi
truncate -s 64M "$T/gpt.img"
sfdisk -q "$T/gpt.img" <<EOF || { fail checkbase_qcow2 "sfdisk gpt"; exit 1; }
label: gpt
unit: sectors

$T/gpt.img1 : start=20480, size=81920, type=$ROOT_TYPE, uuid=$ROOT_PU, name="root"
$T/gpt.img14 : start=2048, size=2048, type=$BIOS_TYPE
$T/gpt.img15 : start=4096, size=16384, type=$ESP_TYPE, uuid=$ESP_PU
EOF
dd if="$T/root.fs" of="$T/gpt.img" bs=512 seek=20480 conv=notrunc status=none
dd if="$T/esp.fs" of="$T/gpt.img" bs=512 seek=4096 conv=notrunc status=none
qemu-img convert -O qcow2 "$T/gpt.img" "$T/cloud.qcow2"
qemu-img convert -c -O qcow2 "$T/gpt.img" "$T/packed.qcow2"
sum=$(sha256sum <"$T/cloud.qcow2")

# The same findings and root choice as the raw disk; only the name differs, and a note.
normal() { # IMAGE: stdout with the image's name as IMG and the copy's note dropped
    sed -e "s|$1|IMG|g" -e '/^note: IMG is a qcow2 image: read through a raw copy/d' \
        -e 's|"IMG is a qcow2 image: read through a raw copy[^"]*",\?||'
}
run "$T/gpt.img"
if [ "$RC" -eq 2 ] && echo "$ERR" | grep -qiE "loop|namespace"; then
    skip checkbase_qcow2 "cannot mount images here: $ERR"
    exit 0
fi
RAW_RC=$RC
RAW_OUT=$(echo "$OUT" | normal "$T/gpt.img")
run "$T/cloud.qcow2"
if [ "$RC" -eq "$RAW_RC" ]; then pass qcow2_exit_status_as_raw; else
    fail qcow2_exit_status_as_raw "exit $RC, raw $RAW_RC: $ERR"; fi
expect_out qcow2_root_partition_chosen "^checked: gpt partition 1: 40 MiB, type linux-root-x86-64 .*ext4"
expect_out qcow2_esp_rw_reported "^error: fstab-base-rw: /etc/fstab"
expect_out qcow2_read_through_copy_noted "^note: $T/cloud.qcow2 is a qcow2 image: read through a raw copy of its virtual disk \(64 MiB, [0-9]+ MiB allocated\) in $T/tmp \(TMPDIR\), removed when done"
expect_out qcow2_report_names_the_image "^$T/cloud.qcow2: [0-9]+ errors?, "
if [ "$(echo "$OUT" | normal "$T/cloud.qcow2")" = "$RAW_OUT" ]; then pass qcow2_report_same_as_raw
else fail qcow2_report_same_as_raw "$(diff <(echo "$RAW_OUT") <(echo "$OUT" | normal "$T/cloud.qcow2"))"; fi
copy_not_named qcow2_copy_not_named
no_copy_left qcow2_copy_removed_after_check
if [ "$(sha256sum <"$T/cloud.qcow2")" = "$sum" ]; then pass qcow2_image_unchanged
else fail qcow2_image_unchanged; fi

run --json "$T/gpt.img"
RAW_OUT=$(echo "$OUT" | normal "$T/gpt.img")
run --json "$T/cloud.qcow2"
if echo "$OUT" | python3 -m json.tool >/dev/null 2>&1; then pass qcow2_json_valid; else
    fail qcow2_json_valid "$OUT"; fi
expect_out qcow2_json_target_is_the_image "^\{\"target\":\"$T/cloud.qcow2\""
if [ "$(echo "$OUT" | normal "$T/cloud.qcow2")" = "$RAW_OUT" ]; then pass qcow2_json_same_as_raw
else fail qcow2_json_same_as_raw "$(diff <(echo "$RAW_OUT") <(echo "$OUT" | normal "$T/cloud.qcow2"))"; fi
copy_not_named qcow2_json_copy_not_named

run --partition 15 "$T/cloud.qcow2"
expect_rc qcow2_partition_option_applies 2
expect_err qcow2_partition_named_by_the_image "$T/cloud.qcow2 partition 15"
copy_not_named qcow2_partition_error_copy_not_named
no_copy_left qcow2_copy_removed_after_error

# An overlay on a plain (relative) backing file, as qemu-img create -b makes it.
qemu-img create -q -f qcow2 -b cloud.qcow2 -F qcow2 "$T/overlay.qcow2"
run "$T/overlay.qcow2"
expect_rc qcow2_overlay_checked "$RAW_RC"
expect_out qcow2_overlay_root_chosen "^checked: gpt partition 1: "
no_copy_left qcow2_overlay_copy_removed

# Backing files QEMU must not open: nothing converted, no connection made.
for kind in nbd json; do
    listener "$T/port-$kind" "$T/hit-$kind"
    while [ ! -s "$T/port-$kind" ]; do sleep 0.1; done
    port=$(cat "$T/port-$kind")
    name=$(protocol_backing_name $kind "$port")
    qemu-img create -q -f qcow2 -u -b "$name" -F raw "$T/$kind.qcow2" 64M
    run "$T/$kind.qcow2"
    kill "$LISTENER" 2>/dev/null
    wait "$LISTENER" 2>/dev/null
    expect_rc "qcow2_${kind}_backing_refused" 2
    expect_err "qcow2_${kind}_backing_says_why" "^sharedroot-check-base: $T/$kind.qcow2: a qcow2 image not read: the backing file of the image is named '$kind:.*a protocol or json: name"
    expect_err "qcow2_${kind}_backing_says_what_to_do" "qemu-img convert -O raw $T/$kind.qcow2 IMAGE.raw"
    check "qcow2_${kind}_backing_never_opened" [ ! -e "$T/hit-$kind" ]
    no_copy_left "qcow2_${kind}_nothing_converted"
done
qemu-img create -q -f qcow2 -u -b /dev/null -F raw "$T/device.qcow2" 64M
run "$T/device.qcow2"
expect_rc qcow2_device_backing_refused 2
expect_err qcow2_device_backing_says_why "its backing file /dev/null is not a regular file"
no_copy_left qcow2_device_nothing_converted

# --fix: refused before anything is converted, with the qemu-img lines.
cat >"$T/never-qemu-img" <<EOF
#!/bin/sh
touch "$T/qemu-img-ran"
exit 1
EOF
mkdir -p "$T/spy"
cp "$T/never-qemu-img" "$T/spy/qemu-img"
chmod 755 "$T/spy/qemu-img"
OUT=$(PATH="$T/spy:$PATH" "$S" --fix "$T/cloud.qcow2" 2>"$T/err")
RC=$?
ERR=$(cat "$T/err")
expect_rc qcow2_fix_refused 2
expect_err qcow2_fix_says_why "is a qcow2 image \(checked through a temporary raw copy"
expect_err qcow2_fix_gives_the_lines "qemu-img convert -f qcow2 -O raw $T/cloud.qcow2 COPY.raw; .* --fix /mnt.* qemu-img convert -f raw -O qcow2 COPY.raw FIXED.qcow2"
check qcow2_fix_nothing_converted [ ! -e "$T/qemu-img-ran" ]
no_copy_left qcow2_fix_no_copy

# No qemu-img: qemu-utils named, and the conversion by hand.
mkdir -p "$T/empty"
OUT=$(PATH="$T/empty" "$S" "$T/cloud.qcow2" 2>"$T/err")
RC=$?
ERR=$(cat "$T/err")
expect_rc qcow2_no_qemu_img_exit_2 2
expect_err qcow2_no_qemu_img_names_the_package "qemu-img, which is not installed \(package qemu-utils\)"
expect_err qcow2_no_qemu_img_gives_the_conversion "qemu-img convert -O raw $T/cloud.qcow2 IMAGE.raw"
no_copy_left qcow2_no_qemu_img_no_copy

# SIGTERM while qemu-img runs (a shim that never ends): the copy removed, qemu-img killed.
cat >"$T/spy/qemu-img" <<EOF
#!/bin/sh
echo \$\$ >"$T/shim.pid"
exec sleep 300
EOF
PATH="$T/spy:$PATH" "$S" "$T/cloud.qcow2" >/dev/null 2>"$T/err" &
pid=$!
while [ ! -s "$T/shim.pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
if [ -n "$(ls -A "$T/tmp")" ]; then pass qcow2_copy_exists_while_converting; else
    fail qcow2_copy_exists_while_converting "no copy in $T/tmp: $(cat "$T/err")"; fi
kill -TERM "$pid"
wait "$pid"
RC=$?
check qcow2_sigterm_ends_check_base [ "$RC" -eq 143 ]
no_copy_left qcow2_sigterm_copy_removed
shim=$(cat "$T/shim.pid" 2>/dev/null)
# killed: gone, or a zombie its new parent has not reaped yet
state=$(awk '{print $3}' "/proc/$shim/stat" 2>/dev/null)
if [ -n "$shim" ] && { [ -z "$state" ] || [ "$state" = Z ]; }; then pass qcow2_sigterm_qemu_img_killed
else kill -KILL "$shim" 2>/dev/null; fail qcow2_sigterm_qemu_img_killed "shim $shim: state $state"; fi

# A TMPDIR without room: a tmpfs smaller than the compressed image's data is refused before
# converting; one that holds that but not the 16 MiB the copy takes fails with the reason.
need_k=$(du -k "$T/packed.qcow2" | cut -f1)
unshare -m --propagation private bash -c "
    mkdir -p '$T/small' && mount -t tmpfs -o size=$((need_k / 2))k tmpfs '$T/small' &&
    TMPDIR='$T/small' '$S' '$T/packed.qcow2' >'$T/out1' 2>'$T/err1'; echo \$? >'$T/rc1'
    ls -A '$T/small' >'$T/left1'
    umount '$T/small' && mount -t tmpfs -o size=$((need_k + 2048))k tmpfs '$T/small' &&
    TMPDIR='$T/small' '$S' '$T/packed.qcow2' >'$T/out2' 2>'$T/err2'; echo \$? >'$T/rc2'
    ls -A '$T/small' >'$T/left2'"
check qcow2_small_tmpdir_refused [ "$(cat "$T/rc1")" = 2 ]
check qcow2_small_tmpdir_says_space grep -qE "packed.qcow2: its raw copy needs about [0-9]+ MiB .* and $T/small \(TMPDIR\) has [0-9]+ MiB free; set TMPDIR to a directory with room" "$T/err1"
check qcow2_small_tmpdir_nothing_left [ ! -s "$T/left1" ]
check qcow2_full_tmpdir_refused [ "$(cat "$T/rc2")" = 2 ]
check qcow2_full_tmpdir_says_enospc grep -qE "packed.qcow2: its raw copy \(virtual size 64 MiB\) does not fit in $T/small \(TMPDIR\): no space left on device" "$T/err2"
check qcow2_full_tmpdir_nothing_left [ ! -s "$T/left2" ]
check qcow2_full_tmpdir_copy_not_named bash -c "! grep -q sharedroot-check-base-qcow2 '$T/err2'"
