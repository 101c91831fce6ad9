# shellcheck shell=bash
# Shared by the privileged test scripts (sourced). Each check prints one line that
# tests/run-all counts: "PASS: name", "FAIL: name[: why]" or "SKIP: name: why".
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+: $2}"; }
skip() { echo "SKIP: $1: $2"; }
# check NAME COMMAND...: PASS when the command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
