#!/usr/bin/env bash
# Lines of C# per folder, so the size of each part of Descent stays visible in review.
set -euo pipefail
cd "$(dirname "$0")/.."
printf '%-34s %7s %6s\n' folder lines files
for dir in $(git ls-files '*.cs' | xargs -n1 dirname | sort -u); do
  files=$(git ls-files "$dir/*.cs" | while read -r f; do [ "$(dirname "$f")" = "$dir" ] && echo "$f"; done)
  [ -n "$files" ] || continue
  printf '%-34s %7d %6d\n' "$dir" "$(cat $files | wc -l)" "$(echo "$files" | wc -l)"
done
printf '%-34s %7d\n' total "$(git ls-files '*.cs' | xargs cat | wc -l)"
