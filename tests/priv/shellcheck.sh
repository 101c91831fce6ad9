#!/bin/bash
# Every shell script in the tree passes shellcheck (warnings and notes included): the scripts
# under tools/, tests/, qemu-tests/ (the runner, its libraries, every scenario and the guests'
# report and stand-in inits), bench/, the shipped hooks and the kernel-install templates.
# A script is a tracked file named *.sh, or whose first line is a #! line naming sh or bash, or
# that says "# shellcheck shell=". $1 (the build dir) is not used.
set -u
# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
command -v shellcheck >/dev/null || { skip shellcheck "shellcheck is not installed (tools/install-deps)"; exit 0; }

is_shell() {
    case $1 in *.sh) return 0 ;; esac
    head -n 1 "$1" | grep -qE '^#!.*[/ ](ba)?sh( |$)' && return 0
    head -n 5 "$1" | grep -q '^# shellcheck shell='
}

n=0
while IFS= read -r f; do
    { [ -f "$f" ] && is_shell "$f"; } || continue
    n=$((n + 1))
    # -x: follow "source" lines (paths in "# shellcheck source=" are relative to the top)
    if out=$(shellcheck -x "$f" 2>&1); then
        pass "shellcheck_$f"
    else
        fail "shellcheck_$f" "$(echo "$out" | grep -cE '^In .* line [0-9]+:') findings"
        printf '%s\n' "$out" | while IFS= read -r l; do echo "    $l"; done
    fi
done < <(git ls-files --cached --others --exclude-standard 2>/dev/null || find . -type f -not -path './build/*' -not -path './.git/*' | sed 's|^\./||')
[ $n -gt 0 ] || fail shellcheck_found_scripts "no shell script found"
