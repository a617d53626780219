#!/usr/bin/env bash
# Lines of C# per folder, so the size of each part of Descent stays visible in review.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -z '*.cs' | xargs -0 wc -l | grep -v ' total$' | awk '
  { n = split($2, parts, "/"); dir = parts[1]; for (i = 2; i < n; i++) dir = dir "/" parts[i];
    lines[dir] += $1; files[dir]++; total += $1 }
  END { printf "%-34s %7s %6s\n", "folder", "lines", "files";
        for (d in lines) printf "%-34s %7d %6d\n", d, lines[d], files[d] | "sort";
        close("sort"); printf "%-34s %7d\n", "total", total }'
