# shellcheck shell=bash
# README.md's "Building by hand", run as written, its blocks taken from the README at test
# time: the build block (meson setup and ninja into a scratch build dir kept in qemu-work, so
# that later runs are incremental; tools/cloud-kver; sharedroot-mkinitramfs), the SI= and
# create lines of the sharedroot-instance block and the QEMU command line. Replaced are only
# build/plain (the scratch dir), the image paths (in the scenario's dir), the key file,
# -nographic (-display none, the serial console into the log), ninja's jobs (-j 2: a shared
# 2-core host) and the QEMU line is bounded by the suite's timeout; base.img is a copy of the
# suite's ext4 root labelled base, as the README asks. The guest must reach the real init from
# LABEL=base, with the instance disk create made (host name web1) as its /etc.
# qt-weight: 2

scenario() {
    local repo readme d bdir log sect build si create qemu key pid
    repo=$(cd "$QT_SELF_DIR/.." && pwd); readme=$repo/README.md
    d=$SCW/$SC; bdir=$QT_WORK/readme-build; log=$LOGS/$SC.log
    rm -rf "$d"; mkdir -p "$d"
    # the section's ```sh blocks, each line as BLOCK-NUMBER|LINE, continuation lines joined
    sect=$(awk '/^## / { s = ($0 == "## Building by hand"); next }
        s && /^```sh$/ { b = 1; n++; next } s && b && /^```/ { b = 0; next }
        s && b { if (acc != "") sub(/^ +/, ""); acc = acc $0
                 if (acc ~ /\\$/) { sub(/\\$/, "", acc); next }
                 print n "|" acc; acc = "" }' "$readme")
    build=$(sed -n 's/^1|//p' <<<"$sect")
    si=$(sed -n 's/^[0-9]*|\(SI=.*\)/\1/p' <<<"$sect")
    # shellcheck disable=SC2016  # a literal $SI
    create=$(sed -n 's/^[0-9]*|\(\$SI create .*\)/\1/p' <<<"$sect")
    qemu=$(sed -n 's/^[0-9]*|\(qemu-system-x86_64 .*\)/\1/p' <<<"$sect")
    grep -q '^meson setup build/plain' <<<"$build" || fail "README's first block builds no build/plain: $build"
    grep -q 'sharedroot-mkinitramfs -o initrd.img' <<<"$build" || fail "README's first block makes no initrd.img"
    { [ -n "$si" ] && [ -n "$create" ] && [ -n "$qemu" ]; } ||
        fail "README's Building by hand has no SI=, \$SI create or qemu-system-x86_64 line"
    [[ $create == *' instance.img '* ]] || fail "README's create line makes no instance.img: $create"
    for f in base.img instance.img initrd.img; do
        [[ $qemu == *"$f"* ]] || fail "README's QEMU line uses no $f: $qemu"
    done
    [[ $qemu == *' -nographic '* ]] || fail "README's QEMU line no longer says -nographic: $qemu"

    cp --sparse=always "$ROOTS/ext4.img" "$d/base.img"
    tune2fs -L base "$d/base.img" >/dev/null || fail "tune2fs -L base failed"
    key=$d/id_ed25519.pub
    echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIReadmeByHandKey admin@dom0" >"$key"
    rep() {
        sed -e "s|build/plain|$bdir|g; s|~/.ssh/id_ed25519.pub|$key|g" \
            -e "s#\\b\\(initrd\\|base\\|instance\\)\\.img\\b#$d/\\1.img#g" \
            -e "s|^ninja |ninja -j 2 |; s|&& ninja |\\&\\& ninja -j 2 |" \
            -e "s|^qemu-system-x86_64 |timeout -k 5 $QT_TIMEOUT qemu-system-x86_64 |" \
            -e "s| -nographic | -display none -serial file:$log |"
    }
    { echo "set -e"; echo "cd '$repo'"; rep <<<"$build"; rep <<<"$si"; rep <<<"$create"; rep <<<"$qemu"; } >"$d/run.sh"
    note "run: $(tail -n 1 "$d/run.sh")"
    showlog "$log"; : >"$log"
    bash "$d/run.sh" </dev/null >"$d/run.out" 2>&1 &
    pid=$!; qt_track "$pid"
    wait "$pid" || fail "the README's commands failed: $(tail -n 5 "$d/run.out" | tr '\n' ' ')"
    [ -x "$bdir/initramfs/sharedroot-mkinitramfs" ] || fail "no sharedroot-mkinitramfs in the scratch build"
    [ -s "$d/initrd.img" ] || fail "the README's mkinitramfs made no initrd.img"
    check_report "$log" ext4; no_error "$log"
    [ "$(state "$log" MODE)" = instance ] || fail "state MODE is $(state "$log" MODE)"
    has_mount "$log" /dev/vdb /run/sharedroot/instance ext4
    has_mount "$log" overlay /etc overlay
    [ "$(qt_report "$log" hostname)" = web1 ] || fail "hostname is '$(qt_report "$log" hostname)', not web1 (create --hostname)"
    [[ $(qt_report "$log" authorized_keys) == *ReadmeByHandKey* ]] || fail "the key given to create is not in the guest"
    rm -rf "$d"
    pass
}
