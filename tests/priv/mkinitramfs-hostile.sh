#!/bin/bash
# shellcheck disable=SC2016  # the single-quoted bash -c scripts get their arguments as $0, $1; the shadow line is literal
# sharedroot-mkinitramfs against careless and hostile input (issue 10): an -o that names a
# device node, FIFO or symlink; a --binary whose PT_INTERP or DT_NEEDED names a file that is no
# loader or library; a run killed by a signal; what earlier killed runs left.
# Usage: tests/priv/mkinitramfs-hostile.sh BUILD_DIR   (needs root for mknod)
set -uo pipefail
B=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
MK=$B/initramfs/sharedroot-mkinitramfs
KVER=$("$(dirname "${BASH_SOURCE[0]}")/../../tools/cloud-kver")
T=$(mktemp -d "${TMPDIR:-/tmp}/mkinitramfs-hostile.XXXXXX")
BG=
cleanup() {
    if [ -n "$BG" ]; then kill -KILL "$BG" 2>/dev/null; wait "$BG" 2>/dev/null; fi
    rm -rf "$T"
}
trap cleanup EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ ! -x "$MK" ]; then
    fail "mkinitramfs_hostile_built" "$MK missing"; exit 1
fi
if [ ! -d "/lib/modules/$KVER" ]; then
    skip "mkinitramfs_hostile_all" "kernel $KVER modules not installed"; exit 0
fi
# The smallest image: kmod as init (dynamic: interpreter and libraries), no shell, no modules
# beyond the defaults. -q: no notes.
MKARGS=(-q --kver "$KVER" --init /usr/bin/kmod --no-shell)
refused() { # name, pattern, args...: exit 1 and a message naming the object
    local name=$1 pat=$2; shift 2
    "$MK" "${MKARGS[@]}" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" -eq 1 ] && grep -q -- "$pat" "$T/err"; then
        pass "$name"
    else
        fail "$name" "exit $rc, stderr: $(head -c 400 "$T/err")"
    fi
}

# --- -o over something that is not a regular file (finding 7) ---
mkdir -p "$T/o"
mknod "$T/o/node" c 1 3 # a character device, as /dev/null
mknod "$T/o/blk" b 7 200 # a block device node (no device behind it needed)
mkfifo "$T/o/fifo"
echo "the real image" >"$T/o/real.img"
ln -s real.img "$T/o/link.img"
mkdir "$T/o/dir"
refused output_char_device_refused "is a character device" -o "$T/o/node"
check output_char_device_kept test -c "$T/o/node"
refused output_block_device_refused "is a block device" -o "$T/o/blk"
check output_block_device_kept test -b "$T/o/blk"
refused output_fifo_refused "is a FIFO" -o "$T/o/fifo"
check output_fifo_kept test -p "$T/o/fifo"
refused output_symlink_refused "is a symbolic link (to real.img)" -o "$T/o/link.img"
check output_symlink_kept bash -c '[ -L "$0/link.img" ] && [ "$(cat "$0/real.img")" = "the real image" ]' "$T/o"
refused output_directory_refused "is a directory" -o "$T/o/dir"
refused cpio_list_fifo_refused "is a FIFO" --kernel-cpio-list "$T/o/fifo"
check output_refusals_leave_nothing bash -c '[ "$(ls -A "$0" | sort | tr "\n" " ")" = "blk dir fifo link.img node real.img " ]' "$T/o"
"$MK" "${MKARGS[@]}" -o "$T/o/real.img" 2>"$T/err"
check output_regular_file_replaced bash -c 'zstd -dc <"$0" | cpio -it --quiet 2>/dev/null | grep -qx init' "$T/o/real.img"

# --- --binary whose loader or library is not one (finding 8) ---
if command -v gcc >/dev/null; then
    mkdir -p "$T/elf"
    printf 'root:$6$not-for-an-image:19000:0:99999:7:::\n' >"$T/elf/shadow"
    chmod 600 "$T/elf/shadow"
    echo 'int main(void) { return 0; }' >"$T/elf/main.c"
    echo 'int f(void) { return 1; }' >"$T/elf/f.c"
    gcc -o "$T/elf/evil-interp" "$T/elf/main.c" -Wl,--dynamic-linker="$T/elf/shadow"
    refused binary_interp_text_file_refused "interpreter $T/elf/shadow .*not an ELF file" \
        --list --binary "$T/elf/evil-interp"
    gcc -c -o "$T/elf/f.o" "$T/elf/f.c"
    gcc -o "$T/elf/interp-obj" "$T/elf/main.c" -Wl,--dynamic-linker="$T/elf/f.o"
    refused binary_interp_object_file_refused "interpreter $T/elf/f.o" \
        --list --binary "$T/elf/interp-obj"
    mkfifo "$T/elf/fifo-ld"
    gcc -o "$T/elf/interp-fifo" "$T/elf/main.c" -Wl,--dynamic-linker="$T/elf/fifo-ld"
    # a FIFO must be refused, not waited on (the timeout only guards the suite against a hang)
    timeout 60 "$MK" "${MKARGS[@]}" --list --binary "$T/elf/interp-fifo" >"$T/out" 2>"$T/err"
    check binary_interp_fifo_refused bash -c '[ "$0" -eq 1 ] && grep -q "not a regular file" "$1"' "$?" "$T/err"
    # DT_NEEDED by absolute path: a library whose soname is a path to a text file
    gcc -shared -fPIC -o "$T/elf/libf.so" "$T/elf/f.c" -Wl,-soname,"$T/elf/shadow"
    gcc -o "$T/elf/evil-needed" "$T/elf/main.c" -Wl,--no-as-needed "$T/elf/libf.so"
    refused binary_needed_text_file_refused "$T/elf/shadow, needed by .* is not an ELF shared library" \
        --list --binary "$T/elf/evil-needed"
    # the control: a normal --binary is taken with its loader
    "$MK" "${MKARGS[@]}" --list --binary /usr/bin/kmod >"$T/list" 2>"$T/err"
    check binary_normal_is_taken grep -q '^interp /lib64/ld-linux-x86-64.so.2' "$T/list"
    check binary_secret_never_listed bash -c '! grep -q "shadow" "$0"' "$T/list"
else
    skip binary_hostile_loader "no gcc to build test binaries"
fi

# --- a run ended by a signal cleans up (finding 10) ---
# A depmod that says it started and then waits: the run is then known to be inside its
# staging directory, with no timing involved.
mkdir -p "$T/bin" "$T/tmp" "$T/sigout"
cat >"$T/bin/depmod" <<EOF
#!/bin/sh
echo \$\$ >"$T/depmod.pid"
exec sleep 600
EOF
chmod +x "$T/bin/depmod"
for sig in TERM INT HUP; do
    rm -f "$T/depmod.pid"
    # env --default-signal: a background job of a script starts with SIGINT ignored, and a
    # signal ignored at start stays ignored (as SIGHUP under nohup, which the suite may run
    # under), so give them the default back.
    PATH=$T/bin:$PATH TMPDIR=$T/tmp env --default-signal=INT,HUP "$MK" "${MKARGS[@]}" \
        -o "$T/sigout/initrd.img" 2>"$T/sig.err" &
    BG=$!
    for _ in $(seq 600); do [ -s "$T/depmod.pid" ] && break; sleep 0.1; done
    check "signal_${sig}_run_reached_depmod" test -n "$(ls -A "$T/tmp")"
    kill -"$sig" "$BG"
    wait "$BG" 2>/dev/null
    rc=$?
    BG=
    check "signal_${sig}_ends_the_run" [ "$rc" -ne 0 ]
    check "signal_${sig}_removes_staging" [ -z "$(ls -A "$T/tmp")" ]
    check "signal_${sig}_leaves_no_temporary_image" [ -z "$(ls -A "$T/sigout")" ]
    check "signal_${sig}_kills_depmod" bash -c '! kill -0 "$(cat "$0")" 2>/dev/null' "$T/depmod.pid"
    check "signal_${sig}_says_so" grep -q 'interrupted' "$T/sig.err"
done

# --- what killed runs left is removed by the next run, carefully ---
mkdir -p "$T/stale/out" "$T/stale/tmp" "$T/stale/outside"
echo precious >"$T/stale/outside/keep"
old() { touch -h -d '2 hours ago' "$@"; }
echo partial >"$T/stale/out/.initrd.img.Ab12Cd" && old "$T/stale/out/.initrd.img.Ab12Cd"
echo young >"$T/stale/out/.initrd.img.Yo12ng"   # a run that may be at work: kept
echo other >"$T/stale/out/.other.img.Ot12er" && old "$T/stale/out/.other.img.Ot12er"
ln -s ../outside/keep "$T/stale/out/.initrd.img.Sy12mL" && old "$T/stale/out/.initrd.img.Sy12mL"
mkdir -p "$T/stale/tmp/sharedroot-mkinitramfs.St12ag/lib/modules"
echo x >"$T/stale/tmp/sharedroot-mkinitramfs.St12ag/lib/modules/modules.dep"
ln -s "$T/stale/outside" "$T/stale/tmp/sharedroot-mkinitramfs.St12ag/escape"
old "$T/stale/tmp/sharedroot-mkinitramfs.St12ag"
ln -s "$T/stale/outside" "$T/stale/tmp/sharedroot-mkinitramfs.Sy12mL" && old "$T/stale/tmp/sharedroot-mkinitramfs.Sy12mL"
mkdir "$T/stale/tmp/sharedroot-mkinitramfs.Ch12wn" && old "$T/stale/tmp/sharedroot-mkinitramfs.Ch12wn"
chown nobody "$T/stale/tmp/sharedroot-mkinitramfs.Ch12wn" # not ours: kept
TMPDIR=$T/stale/tmp "$MK" "${MKARGS[@]}" -o "$T/stale/out/initrd.img" 2>"$T/stale.err"
check stale_run_succeeds test -s "$T/stale/out/initrd.img"
check stale_temporary_image_removed test ! -e "$T/stale/out/.initrd.img.Ab12Cd"
check stale_young_image_kept test -e "$T/stale/out/.initrd.img.Yo12ng"
check stale_other_output_kept test -e "$T/stale/out/.other.img.Ot12er"
check stale_symlink_kept test -L "$T/stale/out/.initrd.img.Sy12mL"
check stale_staging_removed test ! -e "$T/stale/tmp/sharedroot-mkinitramfs.St12ag"
check stale_staging_symlink_kept test -L "$T/stale/tmp/sharedroot-mkinitramfs.Sy12mL"
check stale_staging_of_another_user_kept test -d "$T/stale/tmp/sharedroot-mkinitramfs.Ch12wn"
check stale_never_follows_symlinks bash -c '[ "$(cat "$0/keep")" = precious ] && [ "$(ls -A "$0")" = keep ]' "$T/stale/outside"
check stale_removal_is_reported grep -q "removed $T/stale/out/.initrd.img.Ab12Cd, left by an earlier run" "$T/stale.err"
