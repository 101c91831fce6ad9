#!/bin/bash
# The guest configuration examples in docs/: the libvirt domain XML validates against
# libvirt's schema (virt-xml-validate, Debian libvirt-clients) and keeps the base disk
# <readonly/> and <shareable/>; the xl.cfg attaches the base as xvda mode r and the instance
# as xvdb. Booting the QEMU example is left to a QEMU scenario (qemu-tests/).
# $1 = the build dir (unused).
set -u
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
