#!/bin/bash
# sharedroot-mkinitramfs and hooks: --hook STAGE:PATH, the config dir (--hooks-dir), the shipped
# hooks, --list, --binary, the default e2fsck/mkswap, the /sbin/sharedroot-init link, and
# --kernel-cpio-list checked against the archive of the same run: a tree built from the list
# (as gen_init_cpio would) must equal the extracted archive in names, types, modes, link
# targets, device numbers and contents.
# $1 = the build dir. Needs root (extracting device nodes, modes).
set -uo pipefail
B=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
MK=$B/initramfs/sharedroot-mkinitramfs
KVER=$("$(dirname "${BASH_SOURCE[0]}")/../../tools/cloud-kver")

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check() { # name, command...
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name"; tail -n 20 "$T/err" 2>/dev/null | sed 's/^/    | /'; fi
}

if [ "$(id -u)" -ne 0 ]; then skip hooks-mkinitramfs "needs root"; exit 0; fi
[ -x "$MK" ] || { fail hooks-mkinitramfs "$MK not built"; exit 1; }
[ -d "/lib/modules/$KVER" ] || { skip hooks-mkinitramfs "kernel $KVER not installed"; exit 0; }

T=$(mktemp -d "${TMPDIR:-/tmp}/hooks-mkinit.XXXXXX")
trap 'rm -rf "$T"' EXIT
mk() { "$MK" -q --kver "$KVER" "$@" >"$T/out" 2>"$T/err"; }
has() { grep -q -- "$1" "$T/out"; }

mkdir -p "$T/conf/root.d" "$T/conf/overlay.d" "$T/conf/nosuch.d"
printf '#!/bin/sh\necho conf-root\n' >"$T/conf/root.d/20-conf"
printf '#!/bin/sh\necho mine\n' >"$T/conf/overlay.d/50-mine"
printf 'backup\n' >"$T/conf/root.d/20-conf~"
printf '#!/bin/sh\necho wrong stage dir\n' >"$T/conf/nosuch.d/10-x"
printf '#!/bin/sh\necho arg\n' >"$T/early-hook"
chmod 0755 "$T"/conf/*/* "$T/early-hook"

mk --list --hooks-dir "$T/conf" --hook "early:$T/early-hook" --binary /usr/bin/cpio
check list_shows_hook_from_option has "^hook /lib/sharedroot/hooks/early.d/early-hook (.*--hook)"
check list_shows_hook_from_config_dir has "^hook /lib/sharedroot/hooks/root.d/20-conf (.*config $T/conf)"
check config_overlay_hook_is_listed has "^hook /lib/sharedroot/hooks/overlay.d/50-mine (.*from $T/conf/overlay.d/50-mine"
check config_dir_backup_files_are_left_out bash -c "! grep -q '20-conf~' '$T/out'"
check unknown_stage_dirs_are_left_out bash -c "! grep -q 'nosuch' '$T/out'"
check binary_option_adds_program_with_libs bash -c "grep -q '^binary /usr/bin/cpio (--binary)' '$T/out'"
if [ -x /sbin/e2fsck ] || [ -x /usr/sbin/e2fsck ]; then
    check e2fsck_is_added_by_default bash -c "grep -q '^binary /sbin/e2fsck' '$T/out' && grep -q '^link /sbin/fsck.ext4 -> e2fsck' '$T/out'"
else
    skip e2fsck_is_added_by_default "no e2fsck on this host"
fi
# e2fsck-static's e2fsck.static is preferred (no dynamic loading at boot); --binary
# /sbin/e2fsck puts the dynamically linked one there instead, with its libraries
if [ -x /sbin/e2fsck.static ] && [ -x /sbin/e2fsck ]; then
    check e2fsck_static_is_preferred bash -c "grep -q '^binary /sbin/e2fsck (.*statically linked' '$T/out' && ! grep -q 'libext2fs.*needed by /sbin/e2fsck' '$T/out' && ! grep -q '^left-out /sbin/e2fsck.static' '$T/out'"
    mk --list --binary /sbin/e2fsck
    check binary_option_replaces_default_e2fsck bash -c "grep -q '^binary /sbin/e2fsck (--binary)' '$T/out' && grep -q '^lib .*libext2fs.* (needed by /sbin/e2fsck)' '$T/out' && grep -q '^link /sbin/fsck.ext4 -> e2fsck' '$T/out' && [ \$(grep -c '^binary /sbin/e2fsck ' '$T/out') = 1 ]"
else
    skip e2fsck_static_is_preferred "no /sbin/e2fsck.static (e2fsck-static) on this host"
    skip binary_option_replaces_default_e2fsck "no /sbin/e2fsck.static (e2fsck-static) on this host"
fi
if [ -x /sbin/mkswap ] || [ -x /usr/sbin/mkswap ]; then
    check mkswap_is_added_by_default has "^binary /sbin/mkswap"
else
    skip mkswap_is_added_by_default "no mkswap on this host"
fi
check resume_link_is_added has "^link /sbin/sharedroot-init -> /init"

# nothing is shipped now (sharedroot.hostname= is built into the init): the option adds nothing
mk --list --hooks-dir "$T/none" --shipped-hooks; rc=$?
check shipped_hooks_option_adds_nothing bash -c "[ $rc -eq 0 ] && ! grep -q '^hook ' '$T/out'"
mk --list --hooks-dir "$T/none"
check shipped_hooks_are_left_out_by_default bash -c "! grep -q '^hook ' '$T/out'"

mk --list --hook "rooot:$T/early-hook"; rc=$?
check hook_with_unknown_stage_is_a_usage_error bash -c "[ $rc -eq 2 ] && grep -q \"unknown stage 'rooot'\" '$T/err'"
mk --list --hook "$T/early-hook"; rc=$?
check hook_without_stage_is_a_usage_error bash -c "[ $rc -eq 2 ] && grep -q 'STAGE:PATH' '$T/err'"
mk --list --hook "root:$T/missing"; rc=$?
check hook_missing_file_is_a_usage_error bash -c "[ $rc -eq 2 ] && grep -q '$T/missing' '$T/err'"
mk --list --binary /nonexistent/prog; rc=$?
check missing_binary_is_an_error bash -c "[ $rc -ne 0 ] && grep -q '/nonexistent/prog' '$T/err'"
cp "$T/early-hook" "$T/open-hook"; chmod 0777 "$T/open-hook"
mk --list --hook "root:$T/open-hook"
check world_writable_hook_gets_a_build_time_warning grep -q "open-hook is writable by group or others" "$T/err"

# --- the archive and the kernel cpio list of one run
mk -o "$T/img" -c none --hooks-dir "$T/conf" --hook "early:$T/early-hook" --hook "root:$T/open-hook" \
    --kernel-cpio-list "$T/list"
check image_and_list_are_written bash -c "[ -s '$T/img' ] && [ -s '$T/list' ]"
mkdir "$T/a" && (cd "$T/a" && cpio -idm --quiet --no-absolute-filenames <"$T/img") 2>>"$T/err"
check archive_keeps_hook_modes bash -c "[ \"\$(stat -c %a '$T/a/lib/sharedroot/hooks/root.d/open-hook')\" = 777 ] && [ \"\$(stat -c %a '$T/a/lib/sharedroot/hooks/early.d/early-hook')\" = 755 ]"

# every line parses as gen_init_cpio reads it, every file location exists
bad=$(awk '
    /^#/ || /^$/ { next }
    $1 == "dir"   && NF == 5 && $3 ~ /^[0-7]+$/ { next }
    $1 == "file"  && NF >= 6 && $4 ~ /^[0-7]+$/ && $2 ~ /^\// && $3 ~ /^\// { next }
    $1 == "slink" && NF == 6 && $4 ~ /^[0-7]+$/ { next }
    $1 == "nod"   && NF == 8 && $3 ~ /^[0-7]+$/ && ($6 == "c" || $6 == "b") { next }
    { print NR ": " $0 }' "$T/list")
check cpio_list_lines_parse [ -z "$bad" ]
missing=$(awk '$1 == "file" { print $3 }' "$T/list" | while read -r f; do [ -f "$f" ] || echo "$f"; done)
check cpio_list_file_locations_exist [ -z "$missing" ]
check cpio_list_locations_are_absolute bash -c "! awk '\$1 == \"file\" && \$3 !~ /^\\// { exit 1 }' '$T/list' || true"

# a tree made from the list the way gen_init_cpio would make the archive
mkdir "$T/l"
while read -r type name a b _ d e f _; do
    case $type in
    dir) mkdir -p "$T/l$name"; chmod "$a" "$T/l$name" ;;
    file) cp "$a" "$T/l$name"; chmod "$b" "$T/l$name" ;;
    slink) ln -s "$a" "$T/l$name" ;;
    nod) mknod "$T/l$name" "$d" "$e" "$f"; chmod "$a" "$T/l$name" ;;
    esac
done < <(grep -v '^#' "$T/list")
describe() { (cd "$1" && find . -printf '%p %y %m %l\n' | sort); }
describe "$T/a" >"$T/a.desc"; describe "$T/l" >"$T/l.desc"
check cpio_list_has_the_same_entries_as_the_archive diff "$T/a.desc" "$T/l.desc"
check cpio_list_has_the_same_contents_as_the_archive diff -r --no-dereference -x dev "$T/a" "$T/l"
check cpio_list_has_the_same_device_nodes bash -c "[ \"\$(stat -c '%t:%T' '$T/a/dev/console')\" = \"\$(stat -c '%t:%T' '$T/l/dev/console')\" ]"
mk --kernel-cpio-list "$T/list2" --hooks-dir "$T/none"
check cpio_list_alone_needs_no_output_file bash -c "[ -s '$T/list2' ] && [ -d '$T/list2.files' ]"
