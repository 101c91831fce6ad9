#!/bin/bash
# Every test program is registered with meson's test() (tests/meson.build): each
# tests/unit/test-*.c in the unit suite, each tests/priv/*.sh (but lib.sh) in the priv suite,
# so that `meson test` and tests/run-all run them all. $1 = the build dir (build/test).
set -u
# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
B=${1:?usage: registered.sh BUILDDIR}
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
if ! list=$(meson introspect --tests "$B" 2>&1); then
    fail tests_are_registered "meson introspect --tests $B: $list"
    exit 0
fi
names=$(python3 -c 'import json, sys; print("\n".join(t["name"] + " " + ",".join(t["suite"]) for t in json.load(sys.stdin)))' <<<"$list")
missing=()
for f in tests/unit/test-*.c; do
    n=unit/$(basename "$f" .c)
    grep -qE "^$n .*\\bunit\\b" <<<"$names" || missing+=("$n")
done
for f in tests/priv/*.sh; do
    [ "$(basename "$f")" != lib.sh ] || continue
    n=priv/$(basename "$f" .sh)
    grep -qE "^$n .*\\bpriv\\b" <<<"$names" || missing+=("$n")
done
if [ ${#missing[@]} -eq 0 ]; then
    pass every_test_program_is_registered_with_meson
else
    fail every_test_program_is_registered_with_meson "add to tests/meson.build: ${missing[*]}"
fi
