#!/usr/bin/env bash
# The house rules a machine can check (DESIGN.md; ../shared/specs/style-anchors.md 9.1,
# 9.6): every C++/CUDA source is formatted by the repository's .clang-format, and no
# source file is over 800 lines. `make format` fixes the first; split files by
# responsibility for the second. Run by CI as the ctest test `house_rules`.
#   scripts/check-house-rules.sh [REPO]
set -uo pipefail
cd "${1:-$(dirname "$0")/..}" || exit 2
command -v clang-format >/dev/null || { echo "house rules: clang-format is missing (scripts/install-deps.sh installs it)"; exit 1; }
if git rev-parse --git-dir >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.h' '*.cpp' '*.cu' '*.cuh')
else
  mapfile -t files < <(find . -path ./build -prune -o -type f \( -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) -print)
fi
status=0
unformatted=$(clang-format --dry-run --Werror "${files[@]}" 2>&1 | grep -oE '^[^:]+:[0-9]+:[0-9]+: error' | cut -d: -f1 | sort | uniq -c)
if [ -n "$unformatted" ]; then
  echo "house rules: files not formatted by .clang-format (count of places; fix with make format):"
  echo "$unformatted"
  status=1
fi
long=$(wc -l "${files[@]}" | awk '$2 != "total" && $1 > 800 {print "  " $2 " (" $1 " lines)"}')
if [ -n "$long" ]; then
  echo "house rules: source files over 800 lines (split them by responsibility):"
  echo "$long"
  status=1
fi
[ "$status" = 0 ] && echo "house rules: ${#files[@]} files formatted, none over 800 lines"
exit "$status"
