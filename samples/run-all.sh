#!/usr/bin/env bash
# Runs every sample (samples/NN-*.cs, .NET 10 file-based apps) in order and fails if any of them fails.
# Usage: samples/run-all.sh   (from any directory; CI runs it after the tests)
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

failed=()
total_start=$(date +%s%N)
for sample in samples/[0-9][0-9]-*.cs; do
    echo "=== $sample"
    start=$(date +%s%N)
    if dotnet run --file "$sample"; then status=ok; else status=FAILED; failed+=("$sample"); fi
    elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
    printf '=== %s: %s in %d.%03d s\n\n' "$sample" "$status" $((elapsed / 1000)) $((elapsed % 1000))
done
elapsed=$(( ($(date +%s%N) - total_start) / 1000000 ))
printf 'all samples: %d.%03d s\n' $((elapsed / 1000)) $((elapsed % 1000))

if (( ${#failed[@]} > 0 )); then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
