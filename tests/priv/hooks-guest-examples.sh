#!/bin/bash
# The guest configuration examples in docs/: the libvirt domain XML validates against
# libvirt's schema (virt-xml-validate, Debian libvirt-clients) and keeps the base disk
# <readonly/> and <shareable/>; the xl.cfg attaches the base as xvda mode r and the instance
# as xvdb; what docs/guest-examples.md shows inline of the three (the QEMU command, the
# libvirt disks and command line, the xl.cfg lines) is what the files hold. Booting the QEMU
# example is left to a QEMU scenario (qemu-tests/ guest-example-qemu).
# The two sharedroot-mkinitramfs lines of docs/guest-examples.md run as written (/srv/sharedroot
# in a scratch dir): the default image and the --network one (nbd, virtio_net, udhcpc, the
# resident helper).
# $1 = the build dir.
set -u
B=$(cd "${1:?usage: hooks-guest-examples.sh BUILDDIR}" && pwd)
D=$(cd "$(dirname "$0")/../../docs/examples" && pwd)
# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if command -v virt-xml-validate >/dev/null; then
    out=$(virt-xml-validate "$D/sharedroot-guest.xml" domain 2>&1)
    check libvirt_example_validates [ $? -eq 0 ]
    [ -n "$out" ] && echo "    $out"
    out=$(virt-xml-validate "$D/sharedroot-guest-pmem.xml" domain 2>&1)
    check libvirt_pmem_example_validates [ $? -eq 0 ]
    [ -n "$out" ] && echo "    $out"
else
    skip libvirt_example_validates "virt-xml-validate not installed (apt-get install libvirt-clients)"
fi
# the pmem example maps the base privately (nothing reaches the file) and boots from pmem0
check libvirt_pmem_base_is_private grep -q "<memory model='virtio-pmem' access='private'>" "$D/sharedroot-guest-pmem.xml"
check libvirt_pmem_root_is_pmem0 grep -q 'root=/dev/pmem0 ' "$D/sharedroot-guest-pmem.xml"
# its QEMU keeps the huge-page advice off the base (sharedroot-qemu, installed by meson)
check libvirt_pmem_emulator_is_sharedroot_qemu grep -q '<emulator>/usr/local/bin/sharedroot-qemu</emulator>' "$D/sharedroot-guest-pmem.xml"
# the base disk (vda) is readonly and shareable, the instance disk (vdb) is neither
disk_block() { awk -v dev="$1" '/<disk /{b=""} {b=b $0 "\n"} /<\/disk>/{ if (b ~ "dev=." dev ".") printf "%s", b }' "$D/sharedroot-guest.xml"; }
check libvirt_base_disk_is_readonly_and_shareable \
    bash -c "disk_block() { $(declare -f disk_block | tail -n +2); }; D='$D'; b=\$(disk_block vda); [[ \$b == *'<readonly/>'* && \$b == *'<shareable/>'* ]]"
check libvirt_instance_disk_is_writable \
    bash -c "disk_block() { $(declare -f disk_block | tail -n +2); }; D='$D'; b=\$(disk_block vdb); [[ -n \$b && \$b != *'<readonly/>'* ]]"
check xl_base_is_xvda_read_only grep -q 'vdev=xvda, access=r,' "$D/sharedroot-guest.xl.cfg"
check xl_instance_is_xvdb_writable grep -q 'vdev=xvdb, access=w,' "$D/sharedroot-guest.xl.cfg"
check xl_cfg_parses_as_python bash -c "python3 -c 'import sys; exec(open(sys.argv[1]).read(), {})' '$D/sharedroot-guest.xl.cfg'"
check examples_agree_on_the_instance_device bash -c "grep -q 'sharedroot.instance=/dev/vdb' '$D/sharedroot-guest.xml' && grep -q 'sharedroot.instance=/dev/vdb' '$D/sharedroot-guest.qemu.sh'"

# docs/guest-examples.md shows these files inline: what it shows must be what is in them (the
# QEMU script is booted by the guest-example-qemu scenario, the others are checked above)
G=$D/../guest-examples.md
# doc_block START-REGEX: the first ```-block after the first line of the doc matching it
doc_block() { awk -v re="$1" '$0 ~ re { h = 1; next } h && /^```/ { if (b) exit; b = 1; next } b { print }' "$G"; }
join_lines() { sed -e ':a' -e '/\\$/N; s/\\\n *//; ta'; }
# the QEMU block is the script's command with its arguments as the doc's paths
doc_qemu=$(doc_block '^## QEMU$' | join_lines)
# shellcheck disable=SC2016  # the script's literal $kernel... replaced by the doc's paths
script_qemu=$(sed -n '/^exec qemu-system-x86_64/,$p' "$D/sharedroot-guest.qemu.sh" | join_lines |
    sed -e 's/^exec //; s/"//g; s/ \$\*//' -e 's|\$kernel|/srv/sharedroot/vmlinuz|; s|\$initrd|/srv/sharedroot/initrd.img-sharedroot|' \
        -e 's|\$base|/srv/sharedroot/base.img|; s|\$instance|/srv/sharedroot/instances/web-1.img|')
check guest_examples_qemu_block_is_the_script test "$(tr -d '"' <<<"$doc_qemu")" = "$script_qemu"
[ "$(tr -d '"' <<<"$doc_qemu")" = "$script_qemu" ] || printf '    doc:    %s\n    script: %s\n' "$(tr -d '"' <<<"$doc_qemu")" "$script_qemu"
# the libvirt disks and the xl.cfg lines, as in the files (indentation aside)
contains() { python3 -c 'import sys; sys.exit(sys.argv[1] not in sys.argv[2])' "$1" "$2"; }
check guest_examples_libvirt_disks_are_the_files \
    contains "$(doc_block '^## libvirt$' | sed -e 's/^ *//')" "$(sed -e 's/^ *//' "$D/sharedroot-guest.xml")"
cmdline=$(tr '\n' ' ' <"$G" | grep -o '<cmdline>console=ttyS0 root=LABEL=base [^<]*</cmdline>' | head -n 1)
check guest_examples_libvirt_cmdline_is_the_files test -n "$cmdline" -a -n "$(grep -F "$cmdline" "$D/sharedroot-guest.xml")"
check guest_examples_xl_block_is_the_file contains "$(doc_block '^## Xen \(xl\)$')" "$(cat "$D/sharedroot-guest.xl.cfg")"

# the network root's libvirt fragment (<os> and the <interface>): put into the example domain
# in place of its <os> and disks, it validates; its command line is the QEMU example's -append
# plus the host name
netxml=$(doc_block "^The disks go away; a network interface")
netdom=$(python3 - "$D/sharedroot-guest.xml" "$netxml" <<'PY'
import re, sys
dom = open(sys.argv[1]).read()
frag = sys.argv[2]
os_el = re.search(r"<os>.*?</os>", frag, re.S).group(0)
iface = re.search(r"<interface .*?</interface>", frag, re.S).group(0)
dom = re.sub(r"<os>.*?</os>", lambda m: os_el, dom, flags=re.S)
dom = re.sub(r"\s*<disk .*?</disk>", "", dom, flags=re.S)
dom = dom.replace("<devices>", "<devices>\n" + iface, 1)
print(dom)
PY
)
if command -v virt-xml-validate >/dev/null; then
    echo "$netdom" >"/tmp/sharedroot-netroot-$$.xml"
    check guest_examples_libvirt_netroot_fragment_validates virt-xml-validate "/tmp/sharedroot-netroot-$$.xml" domain
    rm -f "/tmp/sharedroot-netroot-$$.xml"
fi
check guest_examples_libvirt_netroot_has_the_interface grep -q "<interface type='bridge'>" <<<"$netdom"
netcmd=$(sed -n 's/.*<cmdline>\(.*\)<\/cmdline>.*/\1/p' <<<"$netxml")
qemuappend=$(doc_block '^reaches the server: a bridge' | join_lines | sed -n 's/.*-append "\([^"]*\)".*/\1/p')
check guest_examples_libvirt_netroot_cmdline_is_the_qemu_one test -n "$qemuappend" -a "${netcmd/ sharedroot.hostname=web-1/}" = "$qemuappend"

# the doc's sharedroot-mkinitramfs lines, as written but for /srv/sharedroot
if KVER=$("$D/../../tools/cloud-kver") && command -v zstd >/dev/null && [ -x "$B/initramfs/sharedroot-mkinitramfs" ]; then
    export KVER
    T=$(mktemp -d /tmp/sharedroot-guest-examples.XXXXXX)
    trap 'rm -rf "$T"' EXIT
    mkdir -p "$T/srv"
    n=0
    while IFS= read -r line; do
        n=$((n + 1))
        line=${line//\/srv\/sharedroot/$T/srv}
        if PATH=$B/initramfs:$PATH LSAN_OPTIONS=suppressions=$D/../../tests/priv/lsan-libmount.supp \
            bash -c "$line" >"$T/out.$n" 2>&1; then pass "guest_examples_mkinitramfs_line_$n"
        else fail "guest_examples_mkinitramfs_line_$n" "$line: $(tail -n 3 "$T/out.$n" | tr '\n' ' ')"; fi
    done < <(grep -h '^sharedroot-mkinitramfs ' <(doc_block '^image.s tree):$') <(doc_block '^helper), and boot with'))
    check guest_examples_mkinitramfs_has_two_lines test "$n" = 2
    names() { zstd -dc "$1" 2>/dev/null | cpio -t --quiet 2>/dev/null; }
    check guest_examples_initrd_has_the_init bash -c "$(declare -f names); names '$T/srv/initrd.img-sharedroot' | grep -qx init"
    names "$T/srv/initrd.img-sharedroot-net" >"$T/net.names"
    for f in '/nbd\.ko' '/virtio_net\.ko' 'udhcpc' 'sharedroot-nbd'; do
        check "guest_examples_network_initrd_has_${f//[^a-z_]/}" grep -qE "$f" "$T/net.names"
    done
else
    skip guest_examples_mkinitramfs "no cloud kernel, zstd or built sharedroot-mkinitramfs"
fi
