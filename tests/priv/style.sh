#!/bin/bash
# The C sources follow .clang-format (CONVENTIONS: kernel-like, 4-space indent, 100 columns,
# sorted includes). $1 (the build dir) is not used.
set -u
# shellcheck source=tests/priv/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
command -v clang-format >/dev/null || { skip clang_format "clang-format is not installed"; exit 0; }
bad=()
while IFS= read -r f; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build/*')
if [ ${#bad[@]} -eq 0 ]; then
    pass sources_follow_clang_format
else
    fail sources_follow_clang_format "run clang-format -i on: ${bad[*]}"
fi
