#!/bin/bash
# README.md's sharedroot-instance block ("Building by hand"), run as written: the block is
# taken from the README at test time, each line run on its own in a scratch dir with only
# build/plain replaced by the build dir under test, ~/.ssh/id_ed25519.pub by a key generated
# here and /mnt/base by a base tree of the test; then what each line should have made is
# checked on the images (labels, host names, the key, the reset and its kept copy, the
# restored disk) and in status's report.
# $1 = the build dir (containing instance/sharedroot-instance). Needs root (status, reset).
set -u
B=${1:?usage: readme-instance.sh BUILDDIR}
B=$(cd "$B" && pwd)
SI=$B/instance/sharedroot-instance
README=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/README.md

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need readme-instance mkfs.ext4 debugfs blkid ssh-keygen unshare
LSAN_OPTIONS=suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lsan-libmount.supp
export LSAN_OPTIONS
[ -x "$SI" ] || { fail readme-instance "$SI not built"; exit 1; }

T=$(mktemp -d /tmp/sharedroot-readme-instance.XXXXXX)
cleanup() { [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT

# the README's ```sh block that starts with SI=, continuation lines joined
block=$(awk '/^```sh$/ { b = 1; n = 0; next } b && /^```/ { b = 0; next }
    b && n++ == 0 && !/^SI=/ { b = 0 } b { print }' "$README" | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta')
if ! grep -q '^SI=build/plain/instance/sharedroot-instance$' <<<"$block"; then
    fail readme_has_the_instance_block "no \`\`\`sh block starting SI=build/plain/instance/sharedroot-instance in README.md"
    exit 0
fi
for w in create clone status reset backup restore; do
    check "readme_block_runs_$w" grep -qF "\$SI $w " <<<"$block"
done

ssh-keygen -q -t ed25519 -N '' -C readme-instance@test -f "$T/id_ed25519"
mkdir -p "$T/base/etc" "$T/base/var"
echo base-host >"$T/base/etc/hostname"

# each line as written, but for the build dir, the key and the base
n=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    n=$((n + 1))
    line=${line//build\/plain/$B}
    line=${line//\~\/.ssh\/id_ed25519.pub/$T/id_ed25519.pub}
    line=${line//\/mnt\/base/$T/base}
    if (cd "$T" && bash -c "SI=$SI; $line") >"$T/out.$n" 2>&1; then
        pass "readme_line_${n}_exits_0"
    else
        fail "readme_line_${n}_exits_0" "$line: $(tail -n 3 "$T/out.$n" | tr '\n' ' ')"
    fi
    case $line in *" status "*) cp "$T/out.$n" "$T/status.out" ;; esac
done <<<"$block"

label() { blkid -o value -s LABEL "$T/$1"; }
dcat() { debugfs -R "cat $2" "$T/$1" 2>/dev/null; }
key=$(cat "$T/id_ed25519.pub")
check create_labels_instance_img_inst test "$(label instance.img)" = inst
check create_puts_the_key_in_root_authorized_keys \
    test "$(dcat instance.img /overlay/etc/upper/ssh/authorized_keys/root)" = "$key"
check clone_labels_web2_img_inst2 test "$(label web2.img)" = inst2
check clone_names_the_copy_web2 test "$(dcat web2.img /overlay/etc/upper/hostname)" = web2
check clone_keeps_the_key test "$(dcat web2.img /overlay/etc/upper/ssh/authorized_keys/root)" = "$key"
check status_lists_the_hostname_override grep -qE '^ +[a-z]+ +file +[0-9]+ +/etc/hostname ' "$T/status.out"
check status_lists_the_authorized_key grep -q ' /etc/ssh/authorized_keys/root ' "$T/status.out"
# reset: the base's hostname shows again; the instance's web1 is kept in the store
check reset_removes_the_hostname_override \
    bash -c "! debugfs -R 'stat /overlay/etc/upper/hostname' '$T/instance.img' 2>/dev/null | grep -q '^Inode:'"
kept=$(debugfs -R 'ls -p /reconcile/etc/backups' "$T/instance.img" 2>/dev/null |
    awk -F/ '$6 != "." && $6 != ".." && $6 != "" { print $6 }' | head -n 1)
check reset_keeps_the_old_hostname \
    test "$(dcat instance.img "/reconcile/etc/backups/$kept/hostname")" = web1
check backup_writes_web1_pax test -s "$T/web1.pax"
check restore_makes_web1_restored_img test "$(label web1-restored.img)" = inst
check restored_disk_has_the_key \
    test "$(dcat web1-restored.img /overlay/etc/upper/ssh/authorized_keys/root)" = "$key"
check restored_disk_has_the_reset \
    bash -c "! debugfs -R 'stat /overlay/etc/upper/hostname' '$T/web1-restored.img' 2>/dev/null | grep -q '^Inode:'"
