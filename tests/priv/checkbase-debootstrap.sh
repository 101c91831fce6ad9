#!/bin/bash
# sharedroot-check-base on a real debootstrapped minimal Debian: it must report the identity
# debootstrap copies from the build host (/etc/hostname, /etc/resolv.conf) and the missing
# init of a minbase system. The tree is cached under the build dir, so reruns are fast.
# $1 = the build dir (containing checkbase/). Needs root, debootstrap and Debian's mirror.
set -u
B=${1:?usage: checkbase-debootstrap.sh BUILDDIR}
S=$B/checkbase/sharedroot-check-base
CACHE=$B/checkbase-debootstrap
ROOT=$CACHE/root
SUITE=bookworm

# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ ! -x "$S" ]; then
    fail debootstrap_base "$S not built"
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    skip debootstrap_base "needs root (debootstrap)"
    exit 0
fi
if ! command -v debootstrap >/dev/null; then
    skip debootstrap_base "debootstrap is not installed (tools/install-deps installs it)"
    exit 0
fi

# The Debian mirror this machine's apt uses (deb822 .sources or one-line .list), else the
# default one.
mirror() {
    local m
    m=$(grep -hs -A3 '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk -v s="$SUITE" '/^URIs:/ {u=$2} /^Suites:/ && $0 ~ (" " s "( |$)") && u !~ /security/ {print u; exit}')
    [ -z "$m" ] && m=$(grep -hs "^deb .* $SUITE " /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
        awk '$2 !~ /security/ {print $2; exit}')
    echo "${m:-http://deb.debian.org/debian}"
}

if [ ! -f "$CACHE/done" ]; then
    rm -rf "$CACHE"
    mkdir -p "$CACHE"
    M=$(mirror)
    echo "debootstrap --variant=minbase $SUITE $ROOT $M (cached for later runs)"
    if ! debootstrap --variant=minbase "$SUITE" "$ROOT" "$M" >"$CACHE/log" 2>&1; then
        skip debootstrap_base "debootstrap $SUITE from $M failed (no network?): $(tail -n 3 "$CACHE/log" | tr '\n' ' ')"
        rm -rf "$ROOT"
        exit 0
    fi
    touch "$CACHE/done"
fi

out=$("$S" --json "$ROOT")
rc=$?
if [ "$rc" -eq 1 ]; then pass debootstrap_base_has_findings; else
    fail debootstrap_base_has_findings "exit status $rc: $out"; fi

# has ID PATH: the JSON report has a finding id at path.
has() { echo "$out" | grep -q "{\"id\":\"$1\",\"severity\":\"[a-z]*\",\"path\":\"$2\""; }

# What debootstrap left, seen by the shell; every leftover must be reported.
leftovers=0
expect() { # NAME ID PATH CONDITION...
    local name=$1 id=$2 path=$3
    shift 3
    if "$@"; then
        leftovers=$((leftovers + 1))
        if has "$id" "$path"; then pass "$name"; else fail "$name" "$id $path not reported"; fi
    else
        skip "$name" "debootstrap did not leave $path"
    fi
}
hostname_left() {
    local h
    h=$(tr -d ' \n' <"$ROOT/etc/hostname" 2>/dev/null)
    [ -n "$h" ] && [ "$h" != localhost ]
}
resolv_left() { [ -f "$ROOT/etc/resolv.conf" ] && [ ! -L "$ROOT/etc/resolv.conf" ] &&
    grep -q '^nameserver' "$ROOT/etc/resolv.conf"; }
machine_id_left() { [ -s "$ROOT/etc/machine-id" ] && ! grep -qx uninitialized "$ROOT/etc/machine-id"; }
ssh_keys_left() { compgen -G "$ROOT/etc/ssh/ssh_host_*_key" >/dev/null; }
no_init() { [ ! -x "$ROOT/sbin/init" ]; }

expect debootstrap_hostname_reported hostname /etc/hostname hostname_left
expect debootstrap_resolv_conf_reported resolv-conf /etc/resolv.conf resolv_left
expect debootstrap_machine_id_reported machine-id /etc/machine-id machine_id_left
expect debootstrap_ssh_keys_reported ssh-host-key '/etc/ssh/ssh_host_[a-z0-9]*_key' ssh_keys_left
expect debootstrap_minbase_missing_init_reported init /sbin/init no_init
if [ "$leftovers" -gt 0 ]; then pass debootstrap_leftovers_exist; else
    fail debootstrap_leftovers_exist "debootstrap left nothing to report: the test tests nothing"; fi

# The report must not be about the host: the tree is read through its own root.
if echo "$out" | grep -q "\"path\":\"$ROOT"; then
    fail debootstrap_paths_inside_root "a path names the host's view: $out"
else pass debootstrap_paths_inside_root; fi
