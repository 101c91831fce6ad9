# shellcheck shell=bash
# a world-writable hook: mkinitramfs keeps its mode 0777 (and warns); sharedroot-init refuses it

scenario() {
    local initrd=$QT_WORK/initramfs-$SC.img log=$LOGS/$SC.log ww msg
    ww=$(mk_hook 10-world-writable 0777 'echo qt-ww-ran')
    msg=$(qt_build_initramfs "$BUILD" "$initrd" --hook "root:$ww" 2>&1) || fail "mkinitramfs --hook: $msg"
    msg=$(zstd -dc "$initrd" | cpio -itv --quiet 2>/dev/null)
    grep -q '^-rwxrwxrwx .*lib/sharedroot/hooks/root.d/10-world-writable$' <<<"$msg" ||
        fail "the initramfs does not hold the hook with mode 0777 (mkinitramfs normalised it?)"
    grep -q 'writable by group or others' "$initrd.log" || note "mkinitramfs did not warn about the 0777 hook"
    showlog "$log"
    qt_boot "$log" "$initrd" "root=/dev/vda" -drive "$(ro_disk "$BASE_IMG")"
    lgrep "$log" -q 'qt-ww-ran' && fail "the world-writable hook ran"
    msg=$(lgrep "$log" -m1 -E 'sharedroot: .*10-world-writable.*(writable|refus)') || fail "no message refusing the world-writable hook"
    [[ $msg == *"chmod go-w"* ]] || lgrep "$log" -q 'chmod go-w' || fail "the refusal does not say how to fix it: $msg"
    lgrep "$log" -qE "$QT_SHELL_RE" || fail "the refused hook did not stop the boot in the emergency shell"
    grep -q 'REPORT END' "$log" && fail "the boot went on after refusing the hook"
    note "${msg#*sharedroot: }"
    pass
}
