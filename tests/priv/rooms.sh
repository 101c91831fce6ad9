#!/bin/bash
# The rooms keep to their doors (DESIGN.md): a room uses another room only through that room's
# public headers, and the libraries do not depend on each other in a circle.
#   - basic/ includes no other room's header;
#   - hooks/ includes nothing of init/ (init links hooks: no circle);
#   - outside reconcile/ (and its own unit tests), reconcile/ is reconcile.h only (the file
#     helpers instance/ shares with the engine, fsio.h and util.h, are basic/'s).
# $1 (the build dir) is not used.
set -u
# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1

# quoted includes of the files given, as "FILE HEADER" lines
includes() { grep -H -o '^#include "[^"]*"' "$@" 2>/dev/null | sed 's/:#include "\(.*\)"$/ \1/'; }
# the room a header lives in ("" when none holds it)
room_of() {
    local d
    for d in basic mounts reconcile hooks init initramfs checkbase nbd net instance; do
        [ -f "$d/$1" ] && { echo "$d"; return; }
    done
}

# verdict NAME [PROBLEM...]: PASS without problems
verdict() {
    local name=$1
    shift
    if [ $# -eq 0 ]; then pass "$name"; else fail "$name" "$*"; fi
}

bad=()
while read -r f h; do
    r=$(room_of "$h")
    [ -z "$r" ] || [ "$r" = basic ] || bad+=("$f includes $r/$h")
done < <(includes basic/*.[ch])
verdict basic_depends_on_no_room "${bad[@]}"

bad=()
while read -r f h; do
    [ "$(room_of "$h")" != init ] || bad+=("$f includes init/$h")
done < <(includes hooks/*.[ch])
verdict hooks_do_not_depend_on_init "${bad[@]}"

bad=()
while read -r f h; do
    case $f in reconcile/* | tests/unit/test-reconcile-*) continue ;; esac
    [ "$(room_of "$h")" != reconcile ] || [ "$h" = reconcile.h ] || bad+=("$f includes reconcile/$h")
done < <(includes ./*/*.[ch] tests/unit/*.[ch] | sed 's|^\./||')
verdict reconcile_is_used_through_reconcile_h "${bad[@]}"
