# shellcheck shell=bash
# A base as distributions ship their cloud images: a GPT disk (the ext4 test root on partition
# 1, a small vfat ESP on partition 2) converted to qcow2. sharedroot-boottest reads its header
# and attaches it as qcow2 (read-only; the fresh instance disk raw): with root=/dev/vda1 it
# boots, the report says qcow2. The same image with root=/dev/vda fails with sharedroot-init's
# partition message: the gpt table, vda1 (ext4, its label, UUID, PARTUUID) and vda2 (vfat)
# listed, root=/dev/vda1 suggested (the old "no filesystem found" fails the scenario). An
# instance disk named whole (sharedroot.instance=/dev/vdb) that is a GPT disk with an ext4
# partition gets the same message, sharedroot.instance=/dev/vdb1 suggested and no mkfs. The
# image as vmdk is refused before any QEMU starts, naming qemu-img convert. The raw GPT disk
# itself, with no root given, boots: sharedroot-boottest picks partition 1 from its table
# (root=PARTUUID=..., report.json's root_auto); so does the qcow2 image, its table read through
# qemu-img (no --root: the way Debian's genericcloud qcow2 is booted); a raw disk with two ext4
# partitions of the
# generic Linux type and no root given is refused before any QEMU starts, the partitions listed.
# The raw GPT disk padded to 2 MiB as virtio-pmem, no root given, boots /dev/pmem0p1: its 1 KiB
# blocks rule dax out (a warning says so); with an ext4 of 4096-byte blocks the partition is
# mounted with dax.

CLOUD_PARTUUID=5a7e0000-0000-4000-8000-0000000c1d01
INST_PARTUUID=5a7e0000-0000-4000-8000-0000000c1d02
DAX_PARTUUID=5a7e0000-0000-4000-8000-0000000c1d03

# cloud_image RAW [FS [PARTUUID]]: the GPT disk, sparse, FS (the ext4 test root) on partition 1
cloud_image() {
    local raw=$1 fs=${2:-$ROOTS/ext4.img} pu=${3:-$CLOUD_PARTUUID} sz esp=$SCW/$SC-esp.img
    sz=$(stat -c %s "$fs")
    sz=$(((sz + 1048575) / 1048576)) # MiB
    rm -f "$raw" "$esp"
    truncate -s $((1 + sz + 8 + 1))M "$raw"
    printf 'label: gpt\nstart=2048, size=%d, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=%s, name="root"\nstart=%d, size=16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"\n' \
        $((sz * 2048)) "$pu" $((2048 + sz * 2048)) | sfdisk -q "$raw" >/dev/null || return 1
    dd if="$fs" of="$raw" bs=1M seek=1 conv=notrunc,sparse status=none || return 1
    truncate -s 8M "$esp" && mkfs.vfat -n ESP -i 5a7ec1d0 "$esp" >/dev/null || return 1
    dd if="$esp" of="$raw" bs=1M seek=$((1 + sz)) conv=notrunc status=none || return 1
    rm -f "$esp"
}

# amb_disk RAW: a GPT disk whose table does not tell the root: two ext4 partitions, generic type
amb_disk() {
    local raw=$1 fs=$SCW/$SC-ambfs.img
    rm -f "$raw" "$fs"
    truncate -s 10M "$raw" && truncate -s 4M "$fs" || return 1
    printf 'label: gpt\nstart=2048, size=8192\nstart=10240, size=8192\n' | sfdisk -q "$raw" >/dev/null || return 1
    mkfs.ext4 -q -F "$fs" && dd if="$fs" of="$raw" bs=1M seek=1 conv=notrunc status=none &&
        dd if="$fs" of="$raw" bs=1M seek=5 conv=notrunc status=none
    local rc=$?
    rm -f "$fs"
    return $rc
}

# inst_disk RAW: a GPT instance disk, its ext4 filesystem on partition 1
inst_disk() {
    local raw=$1 fs=$SCW/$SC-instfs.img
    rm -f "$raw" "$fs"
    truncate -s 10M "$raw" && truncate -s 8M "$fs" || return 1
    printf 'label: gpt\nstart=2048, size=16384, uuid=%s\n' "$INST_PARTUUID" |
        sfdisk -q "$raw" >/dev/null || return 1
    mkfs.ext4 -q -F -L inst-p1 "$fs" && dd if="$fs" of="$raw" bs=1M seek=1 conv=notrunc status=none
    local rc=$?
    rm -f "$fs"
    return $rc
}

scenario() {
    local out=$SCW/$SC rf=$SCW/$SC.run raw=$SCW/$SC-disk.img img=$SCW/$SC-disk.qcow2
    local vmdk=$SCW/$SC-disk.vmdk inst=$SCW/$SC-inst.img amb=$SCW/$SC-amb.img rc n
    local pm=$SCW/$SC-pmem.img pm4k=$SCW/$SC-pmem4k.img x4k=$SCW/$SC-ext4k.img tree=$SCW/$SC-tree
    for t in qemu-img sfdisk mkfs.vfat; do
        command -v "$t" >/dev/null || skip "$t not installed (qemu-utils, fdisk, dosfstools)"
    done
    mkdir -p "$SCW"
    rm -rf "$out" "$out-vmdk" "$out-amb"
    cloud_image "$raw" || fail "making the GPT disk failed"
    qemu-img convert -O qcow2 "$raw" "$img" || fail "qemu-img convert -O qcow2 failed"
    qemu-img convert -O vmdk "$raw" "$vmdk" || fail "qemu-img convert -O vmdk failed"
    inst_disk "$inst" || fail "making the GPT instance disk failed"
    pmem_copy "$raw" "$pm" || fail "padding the GPT disk for virtio-pmem failed"
    # the test root's tree as an ext4 of 4096-byte blocks (the ext4 test root has 1 KiB ones)
    rm -rf "$tree" "$x4k"
    qt_make_tree "$tree" "$QT_REPORT_INIT"
    "$BUILD/mkbase/sharedroot-mkbase" --type ext4 -o "$x4k" "$tree" >"$SCW/$SC.mk" 2>&1 ||
        fail "sharedroot-mkbase failed: $(cat "$SCW/$SC.mk")"
    rm -rf "$tree" "$x4k.sha256"
    cloud_image "$SCW/$SC-4k.img" "$x4k" "$DAX_PARTUUID" || fail "making the GPT disk of 4096-byte blocks failed"
    pmem_copy "$SCW/$SC-4k.img" "$pm4k" || fail "padding the GPT disk of 4096-byte blocks failed"
    rm -f "$SCW/$SC-4k.img" "$x4k"
    cat >"$rf" <<EOF2
[defaults]
kernel = $QT_KERNEL
initrd = $INITRD
base = $img
timeout = $QT_TIMEOUT
[part]
root = /dev/vda1
instance = fresh:16M
expect = REPORT root_dev=/dev/vda1
[auto]
base = $raw
instance = fresh:16M
expect = REPORT root_dev=/dev/vda1
[qauto]
instance = fresh:16M
expect = REPORT root_dev=/dev/vda1
[pmem]
base = $pm
base-device = virtio-pmem
instance = fresh:16M
expect = REPORT root_dev=/dev/pmem0p1
[pmem4k]
base = $pm4k
base-device = virtio-pmem
instance = fresh:16M
expect = REPORT root_dev=/dev/pmem0p1
[whole]
root = /dev/vda
default-fail = no
fail = holds a gpt partition table: name the partition
fail = no filesystem found on
[inst-whole]
root = /dev/vda1
instance = copy:$inst
default-fail = no
fail = holds a gpt partition table: name the partition
fail = holds no filesystem
EOF2
    showlog "$LOGS/$SC.out"
    boottest --reps 1 --output "$out" "$rf" >"$LOGS/$SC.out" 2>&1
    rc=$?
    [ $rc = 1 ] || fail "exit status $rc, expected 1 (the whole-disk boots fail)"
    boottest_no_qemu_left "$out"
    grep -q -- "-drive file=$img,format=qcow2,if=virtio,readonly=on -drive file=[^ ]*,format=raw,if=virtio " \
        "$out/logs/part/1.cmd" || fail "the qcow2 base is not attached as qcow2, read-only: $(cat "$out/logs/part/1.cmd")"
    showlog "$out/logs/auto/1.log"
    grep -q -- " root=PARTUUID=$CLOUD_PARTUUID " "$out/logs/auto/1.cmd" ||
        fail "auto: no root=PARTUUID=$CLOUD_PARTUUID on the command line: $(cat "$out/logs/auto/1.cmd")"
    [ "$(grep -c "\[auto\] base $raw: root=PARTUUID=$CLOUD_PARTUUID, chosen from its partition table: partition 1, linux-generic, ext4" "$LOGS/$SC.out")" = 1 ] ||
        fail "auto: the choice is not said once: $(cat "$LOGS/$SC.out")"
    # the qcow2 image, no root given: partition 1 from its table, read through qemu-img
    showlog "$out/logs/qauto/1.log"
    grep -q -- " root=PARTUUID=$CLOUD_PARTUUID .*-drive file=$img,format=qcow2,if=virtio,readonly=on " "$out/logs/qauto/1.cmd" ||
        fail "qauto: no root=PARTUUID=$CLOUD_PARTUUID with the qcow2 base: $(cat "$out/logs/qauto/1.cmd")"
    [ "$(grep -c "\[qauto\] base $img: root=PARTUUID=$CLOUD_PARTUUID, chosen from its partition table: partition 1, linux-generic, ext4" "$LOGS/$SC.out")" = 1 ] ||
        fail "qauto: the choice is not said once: $(cat "$LOGS/$SC.out")"
    ! grep -q "base $img: its partition table cannot be read" "$LOGS/$SC.out" ||
        fail "qauto: $(grep "base $img: its partition table cannot be read" "$LOGS/$SC.out")"
    # (b2) the raw GPT disk as virtio-pmem, no root given: its partition 1 is /dev/pmem0p1; the
    # disk offers dax, the partition too: the 1 KiB-block ext4 root is mounted without dax and
    # a warning says why; the same layout with a 4096-byte-block ext4 is mounted with dax
    showlog "$out/logs/pmem/1.log"
    showlog "$out/logs/pmem4k/1.log"
    grep -q -- " root=PARTUUID=$CLOUD_PARTUUID .*-device virtio-pmem-pci," "$out/logs/pmem/1.cmd" ||
        fail "pmem: not root=PARTUUID=$CLOUD_PARTUUID on a virtio-pmem base: $(cat "$out/logs/pmem/1.cmd")"
    grep -q -- " root=PARTUUID=$DAX_PARTUUID .*-device virtio-pmem-pci," "$out/logs/pmem4k/1.cmd" ||
        fail "pmem4k: not root=PARTUUID=$DAX_PARTUUID on a virtio-pmem base: $(cat "$out/logs/pmem4k/1.cmd")"
    lgrep "$out/logs/pmem/1.log" -q "sharedroot: WARNING: /dev/pmem0p1 (ext4, block size 1024) offers dax but the base cannot use it, mounting without: the filesystem's block size is not the page size" ||
        fail "pmem: no warning why the partition is mounted without dax: $(lgrep "$out/logs/pmem/1.log" -m3 'sharedroot: \(WARNING\|root:\)')"
    lgrep "$out/logs/pmem/1.log" -q "sharedroot: root: /dev/pmem0p1 (ext4) mounted read-only at /sysroot with '[^']*'; its disk /dev/pmem0 is read-only too" ||
        fail "pmem: no root line without dax: $(lgrep "$out/logs/pmem/1.log" -m1 'sharedroot: root:')"
    lgrep "$out/logs/pmem4k/1.log" -q "sharedroot: root: /dev/pmem0p1 (ext4) mounted read-only at /sysroot with '[^']*', dax: shared in host memory; its disk /dev/pmem0 is read-only too" ||
        fail "pmem4k: the partition is not mounted with dax: $(lgrep "$out/logs/pmem4k/1.log" -m3 'sharedroot: \(WARNING\|root:\)')"
    ! lgrep "$out/logs/pmem4k/1.log" -q 'sharedroot: WARNING' ||
        fail "pmem4k: warned: $(lgrep "$out/logs/pmem4k/1.log" -m1 'sharedroot: WARNING')"
    showlog "$out/logs/whole/1.log"
    showlog "$out/logs/inst-whole/1.log"
    boottest_report_check "$out" "" "$CLOUD_PARTUUID" "$QT_EXT4_LABEL" "$QT_EXT4_UUID" "$INST_PARTUUID" <<'EOF2'
pu, label, uuid, ipu = sys.argv[2:6]
cfg = {c["name"]: c for c in r["configs"]}
boots = {b["config"]: b for b in r["boots"]}
p, w = boots["part"], boots["whole"]
for n in ("part", "whole"):
    need(cfg[n]["base_format"] == "qcow2" and cfg[n]["base_format_detected"] == "qcow2",
         "%s: base_format %s, detected %s" % (n, cfg[n]["base_format"], cfg[n]["base_format_detected"]))
need(p["result"] == "ok", "part: %s %s" % (p["result"], p["reason"]))
for n, fmt in (("auto", "raw"), ("qauto", "qcow2")):
    b = boots[n]
    need(b["result"] == "ok", "%s: %s %s" % (n, b["result"], b["reason"]))
    need(b["mode"] == "instance", "%s: mode %s" % (n, b["mode"]))
    need(cfg[n]["base_format"] == fmt, "%s: base_format %s" % (n, cfg[n]["base_format"]))
    need(cfg[n]["root_auto"] == "PARTUUID=%s (partition 1, linux-generic, ext4)" % pu,
         "%s: root_auto %r" % (n, cfg[n]["root_auto"]))
for n, u in (("pmem", pu), ("pmem4k", "5a7e0000-0000-4000-8000-0000000c1d03")):
    b = boots[n]
    need(b["result"] == "ok", "%s: %s %s" % (n, b["result"], b["reason"]))
    need(b["mode"] == "instance", "%s: mode %s" % (n, b["mode"]))
    need(cfg[n]["base_device"] == "virtio-pmem", "%s: base_device %s" % (n, cfg[n]["base_device"]))
    need(cfg[n]["root_auto"] == "PARTUUID=%s (partition 1, linux-generic, ext4)" % u,
         "%s: root_auto %r" % (n, cfg[n]["root_auto"]))
for n in ("part", "whole", "inst-whole"):
    need(cfg[n]["root_auto"] is None, "%s: root_auto %r (a root was given)" % (n, cfg[n]["root_auto"]))
need(p["mode"] == "instance", "part: mode %s" % p["mode"])
need(w["result"] == "failed", "whole: %s %s (a timeout: no partition message)" % (w["result"], w["reason"]))
log = open(out + "/" + w["log"], errors="replace").read()
want = [
    "/dev/vda (root=/dev/vda) holds a gpt partition table, not a filesystem; the kernel found 2 partitions on it:",
    "/dev/vda1: ext4, LABEL=%s, UUID=%s, PARTUUID=%s, PARTLABEL=root" % (label, uuid, pu),
    "/dev/vda2: vfat, LABEL=ESP, UUID=5A7E-C1D0, PARTUUID=",
    "holds a gpt partition table: name the partition that holds the base, e.g. root=/dev/vda1, root=PARTUUID=%s or root=LABEL=%s (ext4)" % (pu, label),
]
for s in want:
    need(s in log, "whole: the console has no %r" % s)
need("no filesystem found on" not in log, "whole: the old message")
i = boots["inst-whole"]
need(i["result"] == "failed", "inst-whole: %s %s" % (i["result"], i["reason"]))
log = open(out + "/" + i["log"], errors="replace").read()
for s in ("/dev/vdb (sharedroot.instance=/dev/vdb) holds a gpt partition table, not a filesystem; the kernel found 1 partition on it:",
          "/dev/vdb1: ext4, LABEL=inst-p1, UUID=",
          "holds a gpt partition table: name the partition that holds the instance filesystem, e.g. sharedroot.instance=/dev/vdb1, sharedroot.instance=PARTUUID=%s or sharedroot.instance=LABEL=inst-p1 (ext4)" % ipu):
    need(s in log, "inst-whole: the console has no %r" % s)
need("mkfs" not in log, "inst-whole: mkfs suggested for a partitioned disk")
EOF2
    # (c) a container QEMU could read but the run does not take: refused before any QEMU
    boottest --reps 1 --output "$out-vmdk" --kernel "$QT_KERNEL" --initrd "$INITRD" \
        --base "$vmdk" --root /dev/vda1 >"$LOGS/$SC-vmdk.out" 2>&1
    rc=$?
    [ $rc = 2 ] || fail "vmdk: exit status $rc, expected 2: $(cat "$LOGS/$SC-vmdk.out")"
    grep -q "base $vmdk: it is a vmdk image; QEMU attaches a raw or qcow2 base here: convert it with 'qemu-img convert -O qcow2 $vmdk BASE.qcow2' (or -O raw)" \
        "$LOGS/$SC-vmdk.out" || fail "vmdk: no refusal naming the format and the fix: $(cat "$LOGS/$SC-vmdk.out")"
    ! grep -q accelerator "$LOGS/$SC-vmdk.out" || fail "vmdk: a QEMU (the KVM probe) ran before the refusal"
    [ -z "$(find "$out-vmdk" -name '*.cmd' 2>/dev/null)" ] || fail "vmdk: a guest was started"
    # (d) a raw disk whose table does not tell the root, no root given: refused before any QEMU
    amb_disk "$amb" || fail "making the ambiguous GPT disk failed"
    boottest --reps 1 --output "$out-amb" --kernel "$QT_KERNEL" --initrd "$INITRD" \
        --base "$amb" >"$LOGS/$SC-amb.out" 2>&1
    rc=$?
    [ $rc = 2 ] || fail "amb: exit status $rc, expected 2: $(cat "$LOGS/$SC-amb.out")"
    grep -qF "[boot] base $amb: no root given (--root, root =), and its gpt partition table does not tell which partition is the root: 2 partitions hold a filesystem a root can be; name it with --root /dev/vdaN (root = /dev/vdaN in the run file), N from its partitions:" \
        "$LOGS/$SC-amb.out" || fail "amb: no refusal naming the fix: $(cat "$LOGS/$SC-amb.out")"
    for n in 1 2; do
        grep -q "^sharedroot-boottest: \[boot\]   $n: 4 MiB, type linux-generic .*, ext4" "$LOGS/$SC-amb.out" ||
            fail "amb: partition $n is not listed: $(cat "$LOGS/$SC-amb.out")"
    done
    ! grep -q accelerator "$LOGS/$SC-amb.out" || fail "amb: a QEMU (the KVM probe) ran before the refusal"
    [ -z "$(find "$out-amb" -name '*.cmd' 2>/dev/null)" ] || fail "amb: a guest was started"
    rm -rf "$out-vmdk" "$out-amb" "$img" "$vmdk" "$inst" "$raw" "$amb" "$pm" "$pm4k"
    boottest_pass
}
