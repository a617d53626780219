#!/usr/bin/env bash
# Runs every workload in Descent and in its PyTorch peer, alternately, PAIRS times each (default 3), and writes
# bench/results/<machine>.md. Usage: bench/run.sh [workload filter regex]   e.g. bench/run.sh 'W1|W6'
# Environment: PAIRS (pairs per workload), MACHINE (results file name), PYTHON (default /usr/bin/python3),
# APPEND=1 (add to the raw results of an earlier run instead of starting afresh, e.g. to rerun one workload).
# The peer needs Debian's python3-torch, python3-numpy and python3-sklearn, with OpenBLAS as the system BLAS
# (apt-get install -y python3-torch python3-numpy python3-sklearn libopenblas0-pthread).
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-3}
PYTHON=${PYTHON:-/usr/bin/python3}
FILTER=${1:-.}
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
MACHINE=${MACHINE:-$(echo "$cpu" | tr 'A-Z' 'a-z' | sed 's/([^)]*)//g; s/[^a-z0-9]\+/-/g; s/^-//; s/-$//')-$(nproc)c}
mkdir -p bench/results
raw=bench/results/$MACHINE.jsonl
[[ ${APPEND:-0} == 1 ]] || : > "$raw"

# A failed build stops the run with the compiler's errors, not silently.
build() { local log; log=$(dotnet build -c Release "$1" -v q --nologo 2>&1) || { echo "$log" >&2; echo "bench/run.sh: building $1 failed" >&2; exit 1; }; }
build bench/Descent.Bench
build src/Descent.Cli
train=(train --data samples/data/apples_oranges.csv --target apples,oranges --epochs 100 --quiet)
# publish NAME DIR ARGS...: publishes the CLI into DIR and checks that it starts; on failure W7 runs without it.
# ReadyToRun publishes share the CLI's intermediate R2R folder, and a composite publish leaves stubs there that a
# later non-composite publish may take as up to date (a binary that aborts at start-up), so it is cleared first.
publish() {
    local name=$1 dir=$2; shift 2
    rm -rf src/Descent.Cli/obj/Release/net10.0/linux-x64/R2R
    if ! dotnet publish src/Descent.Cli -c Release -r linux-x64 "$@" -o "$dir" -v q --nologo > /dev/null \
        || ! "$dir/Descent.Cli" --version > /dev/null 2>&1; then
        echo "$name publish of the CLI failed or does not start; W7 runs without it" >&2
        rm -f "$dir/Descent.Cli"
    fi
}
aot=bench/Descent.Bench/bin/aot
r2r=bench/Descent.Bench/bin/r2r
r2rsc=bench/Descent.Bench/bin/r2r-sc
if [[ "W7" =~ $FILTER ]]; then
    publish "Native AOT" "$aot" -p:PublishAot=true
    # The framework-dependent CLI also published ReadyToRun (precompiled, the JIT only for what that leaves out).
    publish ReadyToRun "$r2r" --self-contained false -p:PublishReadyToRun=true
    # And self-contained: the runtime, trimmed, and the app precompiled together as one composite ReadyToRun image,
    # so that generic code instantiated across assemblies is precompiled too.
    publish "Self-contained composite ReadyToRun" "$r2rsc" --self-contained true -p:PublishTrimmed=true \
        -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true
fi
descent=(bench/Descent.Bench/bin/Release/net10.0/Descent.Bench workloads)
peer=("$PYTHON" bench/peers/workloads.py)

workloads=("W1" "W2")
for n in 1e6 1e7; do for d in 3 16 64; do for k in 1 2; do workloads+=("W3 $n $d $k"); done; done; done
for b in 256 4096; do workloads+=("W4 1e6 16 $b"); done
workloads+=("W5 60000 128")
for n in 256 512 1024 2048; do workloads+=("W6 $n"); done
workloads+=("W7" "W8 1e6 16")

load() { cut -d' ' -f1 /proc/loadavg; }
note() { echo "{\"workload\": \"meta\", \"$1\": \"$2\"}" >> "$raw"; }
note started "$(date -u +%FT%TZ)"
note cpu "$cpu"
note cores "$(nproc)"
note memory "$(free -g | awk '/Mem:/{print $2}') GiB"
note dotnet "$(dotnet --version)"
note torch "$("$PYTHON" -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__)')"
note blas "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown)"
note openblas_coretype "${OPENBLAS_CORETYPE:-unset}"
note load_before "$(cat /proc/loadavg)"

"${descent[@]}" hw >> "$raw"
for w in "${workloads[@]}"; do
    [[ "$w" =~ $FILTER ]] || continue
    for ((i = 1; i <= PAIRS; i++)); do
        echo "$w pair $i (load $(load))" >&2
        note load "$(load)"
        if [[ $w == W7 ]]; then
            # Whole processes, start-up included: the median of 5 runs per side and pair.
            "$PYTHON" bench/peers/time_process.py descent 5 -- src/Descent.Cli/bin/Release/net10.0/Descent.Cli "${train[@]}" >> "$raw"
            if [[ -x $r2r/Descent.Cli ]]; then "$PYTHON" bench/peers/time_process.py descent-r2r 5 -- "$r2r/Descent.Cli" "${train[@]}" >> "$raw"; fi
            if [[ -x $r2rsc/Descent.Cli ]]; then "$PYTHON" bench/peers/time_process.py descent-r2r-sc 5 -- "$r2rsc/Descent.Cli" "${train[@]}" >> "$raw"; fi
            if [[ -x $aot/Descent.Cli ]]; then "$PYTHON" bench/peers/time_process.py descent-aot 5 -- "$aot/Descent.Cli" "${train[@]}" >> "$raw"; fi
            "$PYTHON" bench/peers/time_process.py pytorch 5 -- "$PYTHON" bench/peers/w7_train.py samples/data/apples_oranges.csv 100 >> "$raw"
            continue
        fi
        # shellcheck disable=SC2086
        "${descent[@]}" $w >> "$raw"
        # W3 also runs with Functional.LinearMseLoss in place of the composed loss, against the same peer run.
        # shellcheck disable=SC2086
        if [[ $w == W3* ]]; then "${descent[@]}" $w fused >> "$raw"; fi
        # shellcheck disable=SC2086
        "${peer[@]}" $w >> "$raw"
        # W4 has a second peer: contiguous batches sliced by hand instead of the DataLoader.
        # shellcheck disable=SC2086
        if [[ $w == W4* ]]; then "${peer[@]}" $w slice >> "$raw"; fi
    done
done
"${descent[@]}" hw >> "$raw"
note load_after "$(cat /proc/loadavg)"
note finished "$(date -u +%FT%TZ)"
"$PYTHON" bench/report.py "$raw" "$MACHINE" > "bench/results/$MACHINE.md"
echo "wrote bench/results/$MACHINE.md" >&2
