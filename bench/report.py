"""Turns the JSON lines written by bench/run.sh into bench/results/<machine>.md.

Usage: python3 bench/report.py results.jsonl machine-name > results.md
Each workload's figure is the median over the pairs of each process's own median, with the min-max over the pairs;
the ratio is PyTorch's median time over Descent's (above 1 means Descent is faster).
"""
import json
import statistics
import sys
from collections import defaultdict

MIB = 1024 * 1024


def main(path, machine):
    meta = defaultdict(list)
    runs = defaultdict(list)
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        if r["workload"] == "meta":
            for k, v in r.items():
                if k != "workload":
                    meta[k].append(v)
            continue
        runs[(r["workload"], r["params"], r["impl"])].append(r)

    def first(k):
        return meta[k][0] if meta.get(k) else "?"

    hw = runs.get(("hw", next((p for (w, p, i) in runs if w == "hw"), ""), "descent"), [])
    read_gbs = statistics.median([h["read_gbs"] for h in hw]) if hw else float("nan")
    fma = statistics.median([h["fma_gflops"] for h in hw]) if hw else float("nan")
    loads = [float(x) for x in meta.get("load", [])]
    runtime = next((r[0]["runtime"] for (w, p, i), r in runs.items() if i == "descent" and w != "hw"), "?")
    simd = next((r[0].get("simd", "?") for (w, p, i), r in runs.items() if i == "descent"), "?")

    out = []
    p = out.append
    p(f"# Descent vs PyTorch on {machine}")
    p("")
    p("Reproduce: `bench/run.sh` (needs the .NET 10 SDK, Debian's python3-torch, python3-numpy and python3-sklearn, and OpenBLAS as the")
    p("system BLAS). Each workload runs in its own process, Descent and PyTorch alternately, "
      f"{max((len(v) for (w, _, _), v in runs.items() if w != 'hw'), default=0)} pairs per workload; "
      "a figure is the median over the pairs of each process's median (min-max over the pairs in brackets).")
    p("Ratio = PyTorch time / Descent time: above 1 means Descent is faster.")
    p("")
    p("## Machine")
    p("")
    p(f"- CPU: {first('cpu')}, {first('cores')} cores, {first('memory')}; Descent's SIMD: {simd}")
    p(f"- .NET: {runtime} (SDK {first('dotnet')}); peer: {first('torch')}, torch.set_num_threads(2)")
    p(f"- System BLAS: `{first('blas')}`; OPENBLAS_CORETYPE: {first('openblas_coretype')}")
    p(f"- Run: {first('started')} to {meta['finished'][-1] if meta.get('finished') else '?'}"
      + (f" (with {len(meta['started']) - 1} later partial rerun(s) appended)" if len(meta.get('started', [])) > 1 else ""))
    if loads:
        p(f"- Noise: the machine is shared; its 1-minute load average ranged {min(loads):.1f}-{max(loads):.1f} during the run "
          f"(2 = both cores busy), so absolute figures drift; each ratio comes from runs taken side by side.")
    p("")
    p("Hardware figures, measured in the same run (Descent's `workloads hw`, all cores):")
    p("")
    p(f"- memory read bandwidth: {read_gbs:.1f} GB/s (vectorised sum over 1 GiB, best of 7)")
    p(f"- peak float32 FMA rate: {fma:.0f} GFLOP/s (12 independent FMA chains per core, best of 5)")
    p("")

    def stats(key, field="seconds"):
        xs = [r[field] for r in runs.get(key, [])]
        if not xs:
            return None
        return statistics.median(xs), min(xs), max(xs)

    def fmt_time(s):
        if s is None:
            return "-"
        med, lo, hi = s
        unit, f = ("µs", 1e6) if med < 1e-3 else ("ms", 1e3) if med < 1 else ("s", 1)
        return f"{med * f:.3g} {unit} ({lo * f:.3g}-{hi * f:.3g})"

    goals = []

    def ratio(w, params):
        d, t = stats((w, params, "descent")), stats((w, params, "pytorch"))
        return (t[0] / d[0]) if d and t else None

    # W1
    p("## W1: the lesson's manual epoch (5x3)")
    p("")
    p("| | Descent | PyTorch | ratio |")
    p("| --- | --- | --- | --- |")
    r1 = ratio("W1", "5x3")
    p(f"| per epoch | {fmt_time(stats(('W1', '5x3', 'descent')))} | {fmt_time(stats(('W1', '5x3', 'pytorch')))} | "
      f"{r1:.1f}x |" if r1 else "| per epoch | - | - | - |")
    p("")
    if r1:
        goals.append(("W1 at least 20x faster", f"{r1:.1f}x", r1 >= 20))

    # W2
    r2 = ratio("W2", "15 rows, batch 5")
    if r2:
        p("## W2: the lesson's nn epoch (15 rows, Linear + MseLoss + Sgd, shuffled DataLoader of batch 5)")
        p("")
        p("| | Descent | PyTorch | ratio |")
        p("| --- | --- | --- | --- |")
        p(f"| per epoch | {fmt_time(stats(('W2', '15 rows, batch 5', 'descent')))} | "
          f"{fmt_time(stats(('W2', '15 rows, batch 5', 'pytorch')))} | {r2:.1f}x |")
        p("")
        goals.append(("W2 at least 30x faster", f"{r2:.1f}x", r2 >= 30))

    # W3
    w3 = sorted({p_ for (w, p_, i) in runs if w == "W3"}, key=lambda s: [int(x.split("=")[1]) for x in s.split()])
    if w3:
        p("## W3: full-batch linear regression epoch (x @ w.T + b, MSE, backward, update, zero)")
        p("")
        p("Descent runs each epoch twice over: as the lesson writes it (`x.MatMul(w.T) + b`, `(diff * diff).Sum() / n`: X is")
        p("read by the forward product and again by the weight gradient), and with `Functional.LinearMseLoss(x, w, b, y)`, the")
        p("fused loss that reads X once. PyTorch runs the lesson's code; both ratios use the same PyTorch runs. Both sides")
        p("warm up for a second and at least five epochs before timing, so that the epochs timed are those of a long run.")
        p("")
        p("| N, D, K | Descent, lesson's code | Descent, fused loss | PyTorch | ratio | ratio, fused | peak RSS: Descent / fused / PyTorch | data (X+Y) | time to read X+Y once |")
        p("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        lowest = {"descent": None, "descent-fused": None}

        def peak(params, impl):
            xs = runs.get(("W3", params, impl), [])
            return statistics.median([x["peak_rss"] for x in xs]) / MIB if xs else float("nan")

        def vs(params, impl):
            d, t = stats(("W3", params, impl)), stats(("W3", params, "pytorch"))
            return (t[0] / d[0]) if d and t else None

        for params in w3:
            d = runs.get(("W3", params, "descent")) or runs.get(("W3", params, "descent-fused"))
            data = d[0]["data_bytes"]
            rd = data / (read_gbs * 1e9)
            rs = {impl: vs(params, impl) for impl in lowest}
            for impl, r in rs.items():
                if r is not None and (lowest[impl] is None or r < lowest[impl][0]):
                    lowest[impl] = (r, params)
            fr = lambda r: f"{r:.1f}x" if r is not None else "-"
            fm = lambda v: "-" if v != v else f"{v:.0f}"
            p(f"| {params} | {fmt_time(stats(('W3', params, 'descent')))} | {fmt_time(stats(('W3', params, 'descent-fused')))} | "
              f"{fmt_time(stats(('W3', params, 'pytorch')))} | {fr(rs['descent'])} | {fr(rs['descent-fused'])} | "
              f"{fm(peak(params, 'descent'))} / {fm(peak(params, 'descent-fused'))} / {fm(peak(params, 'pytorch'))} MiB | "
              f"{data / MIB:.0f} MiB | {rd * 1e3:.1f} ms |")
            if params == "N=10000000 D=16 K=1":
                tm = peak(params, "pytorch")
                limit = data / MIB * 1.25 + 64
                for impl, label in (("descent", "lesson's code"), ("descent-fused", "fused loss")):
                    s_ = stats(("W3", params, impl))
                    if s_ is None:
                        continue
                    r, dm, dsec = rs[impl], peak(params, impl), s_[0]
                    goals.append((f"W3 1e7x16x1 at least 10x faster ({label})", fr(r), r is not None and r >= 10))
                    goals.append((f"W3 1e7x16x1 within 3x of reading X and Y once ({label})",
                                  f"{dsec / rd:.1f}x the read time ({dsec * 1e3:.0f} ms vs {rd * 1e3:.1f} ms)", dsec <= 3 * rd))
                    goals.append((f"W3 1e7x16x1 peak memory at most data + 25% + 64 MiB ({label})",
                                  f"{dm:.0f} MiB vs limit {limit:.0f} MiB", dm <= limit))
                    goals.append((f"W3 1e7x16x1 peak memory below PyTorch's ({label})", f"{dm:.0f} vs {tm:.0f} MiB", dm < tm))
        for impl, label in (("descent", "lesson's code"), ("descent-fused", "fused loss")):
            if lowest[impl] is not None:
                r, where = lowest[impl]
                goals.append((f"W3 at least 5x faster at every grid point ({label})", f"lowest {r:.1f}x ({where})", r >= 5))
        p("")

    # W4
    w4 = sorted({p_ for (w, p_, i) in runs if w == "W4" and "sliced" not in p_}, key=lambda s: int(s.split("batch=")[1]))
    if w4:
        p("## W4: mini-batch linear regression epochs (N=1e6, D=16, shuffled; Linear + MseLoss + Sgd)")
        p("")
        p("| batch | Descent DataLoader | PyTorch DataLoader | ratio | PyTorch slicing by hand | ratio |")
        p("| --- | --- | --- | --- | --- | --- |")
        for params in w4:
            r = ratio("W4", params)
            d, t = stats(("W4", params, "descent")), stats(("W4", params, "pytorch"))
            sl = stats(("W4", params + " sliced", "pytorch"))
            rs = sl[0] / d[0] if sl and d else None
            rows = lambda s_: f"{1e6 / s_[0] / 1e6:.2f} M rows/s ({fmt_time(s_)})" if s_ else "-"
            p(f"| {params.split('batch=')[1]} | {rows(d)} | {rows(t)} | {r:.1f}x | {rows(sl)} | {rs:.2f}x |")
            goals.append((f"W4 batch {params.split('batch=')[1]}: at least 10x PyTorch's DataLoader rows/s", f"{r:.1f}x", r >= 10))
            goals.append((f"W4 batch {params.split('batch=')[1]}: no slower than PyTorch slicing by hand", f"{rs:.2f}x", rs >= 1))
        p("")

    # W5
    w5 = [p_ for (w, p_, i) in runs if w == "W5" and i == "descent"]
    for params in w5:
        r = ratio("W5", params)
        p("## W5: 784-256-10 ReLU MLP, cross-entropy, SGD, 60,000 synthetic rows, batch 128 (shuffled DataLoader)")
        p("")
        p("| | Descent | PyTorch | ratio |")
        p("| --- | --- | --- | --- |")
        p(f"| per epoch | {fmt_time(stats(('W5', params, 'descent')))} | {fmt_time(stats(('W5', params, 'pytorch')))} | {r:.1f}x |")
        p("")
        goals.append(("W5 at least 3x faster", f"{r:.1f}x", r >= 3))

    # W6
    w6 = sorted({p_ for (w, p_, i) in runs if w == "W6"}, key=lambda s: int(s.split("=")[1]))
    if w6:
        p("## W6: SGEMM n x n (float32)")
        p("")
        p("| n | Descent | PyTorch (OpenBLAS) | ratio | Descent GFLOP/s | PyTorch GFLOP/s |")
        p("| --- | --- | --- | --- | --- | --- |")
        for params in w6:
            r = ratio("W6", params)
            dg = stats(("W6", params, "descent"), "gflops")
            tg = stats(("W6", params, "pytorch"), "gflops")
            p(f"| {params.split('=')[1]} | {fmt_time(stats(('W6', params, 'descent')))} | {fmt_time(stats(('W6', params, 'pytorch')))} | "
              f"{r:.2f}x | {dg[0]:.0f} | {tg[0]:.0f} |")
            if params in ("n=1024", "n=2048"):
                goals.append((f"W6 {params} at least as fast as OpenBLAS", f"{r:.2f}x", r >= 1.0))
        p("")

    # W7
    r7 = ratio("W7", "lesson data, 100 epochs")
    if r7:
        d7 = stats(("W7", "lesson data, 100 epochs", "descent"))
        p("## W7: whole process, `descent train` on the lesson's data for 100 epochs (start-up included)")
        p("")
        p("| | Descent (JIT, build output) | Descent (JIT, ReadyToRun publish) | Descent (JIT, self-contained composite ReadyToRun) | Descent (Native AOT) | PyTorch script | ratio (JIT, build output) |")
        p("| --- | --- | --- | --- | --- | --- | --- |")
        a7 = stats(("W7", "lesson data, 100 epochs", "descent-aot"))
        j7 = stats(("W7", "lesson data, 100 epochs", "descent-r2r"))
        s7 = stats(("W7", "lesson data, 100 epochs", "descent-r2r-sc"))
        p(f"| per process | {fmt_time(d7)} | {fmt_time(j7) if j7 else 'not measured'} | {fmt_time(s7) if s7 else 'not measured'} | "
          f"{fmt_time(a7) if a7 else 'not measured: the CLI did not publish with Native AOT'} | "
          f"{fmt_time(stats(('W7', 'lesson data, 100 epochs', 'pytorch')))} | {r7:.1f}x |")
        p("")
        goals.append(("W7 under 150 ms with the JIT (build output)", f"{d7[0] * 1e3:.0f} ms", d7[0] < 0.150))
        if j7:
            goals.append(("W7 under 150 ms with the JIT (ReadyToRun publish)", f"{j7[0] * 1e3:.0f} ms", j7[0] < 0.150))
        if s7:
            goals.append(("W7 under 150 ms with the JIT (self-contained composite ReadyToRun)", f"{s7[0] * 1e3:.0f} ms", s7[0] < 0.150))
        goals.append(("W7 under 30 ms with Native AOT", f"{a7[0] * 1e3:.0f} ms" if a7 else "not measured", bool(a7) and a7[0] < 0.030))

    # W8
    r8 = ratio("W8", "N=1000000 D=16")
    if r8:
        t8 = runs[("W8", "N=1000000 D=16", "pytorch")]
        p("## W8: closed-form least squares, N=1e6, D=16, float32 (`Linalg.Lstsq` against numpy)")
        p("")
        p("| | Descent `Linalg.Lstsq` (normal equations in float64, QR fallback) | numpy normal equations | ratio | numpy `lstsq` | sklearn `LinearRegression` |")
        p("| --- | --- | --- | --- | --- | --- |")
        p(f"| per fit | {fmt_time(stats(('W8', 'N=1000000 D=16', 'descent')))} | {fmt_time(stats(('W8', 'N=1000000 D=16', 'pytorch')))} | "
          f"{r8:.3f}x | {statistics.median([x['numpy_lstsq_seconds'] for x in t8]) * 1e3:.0f} ms | "
          f"{statistics.median([x['sklearn_seconds'] for x in t8]) * 1e3:.0f} ms |")
        p("")
        goals.append(("W8 within 2x of numpy's normal-equation solve", f"{1 / r8:.1f}x slower" if r8 < 1 else f"{r8:.2f}x faster", r8 >= 0.5))

    p("## Goals (issue 5)")
    p("")
    p("| goal | measured | met |")
    p("| --- | --- | --- |")
    for g, m, ok in goals:
        p(f"| {g} | {m} | {'yes' if ok else '**no**'} |")
    p("")
    why = [
        ("W3 1e7x16x1 at least 10x faster (lesson's code)",
         "W3, the lesson's code: each epoch reads X twice (the forward `x @ w.T` and the weight gradient `x.T @ g`) and "
         "writes and reads an N-sized buffer for every op and every gradient (`+ b`, `- y`, the square and their "
         "backward); two cores stream that at a few times the read time, where PyTorch spends longer per op but not "
         "ten times longer. `Functional.LinearMseLoss` is the answer: one read of X, no row-sized temporaries (its "
         "rows in the table)."),
        ("W3 1e7x16x1 peak memory at most data + 25% + 64 MiB (lesson's code)",
         "W3 peak memory, the lesson's code: the forward keeps several N x K temporaries alive for backward and the "
         "collector frees large buffers only every so often, keeping up to 256 MiB of them for reuse "
         "(docs/notes/memory.md); the fused loss keeps none."),
        ("W3 1e7x16x1 at least 10x faster (fused loss)",
         "W3, the fused loss: it reads X once, within a small factor of the speed the machine streams memory (see "
         "the read time column), so the ratio is set by how fast PyTorch's run was; 10x asks for an epoch within "
         "about 10% of the time to read X and Y once."),
        ("W3 at least 5x faster at every grid point (lesson's code)",
         "W3 over the grid, the lesson's code: every op writes and reads a new N x K buffer and X is read twice, so "
         "its epoch cannot come within 5x of PyTorch's, which does the same work; at 10^6 rows an epoch is a few "
         "milliseconds and the hand-offs to the second thread are a large share."),
        ("W3 at least 5x faster at every grid point (fused loss)",
         "W3 over the grid, the fused loss: it runs within 1.1-1.5x of the time to read X at 16 and 64 features, and "
         "PyTorch streams X well at 64 features (its epoch about 6.5x the read time at 10^6 rows), so 5x there asks "
         "for an epoch within about 1.3x the read time; at 10^6 rows the hand-offs between threads, the backward "
         "pass and the update are a larger share than at 10^7."),
        ("W4 batch 4096: no slower",
         "W4 batch 4096: PyTorch's hand-made slices are views of contiguous rows, while a shuffled DataLoader draws "
         "a permutation of 10^6 rows each epoch and copies every batch, 64 MB of rows per epoch with a cache miss "
         "per row, on top of a training step that on views alone is faster than PyTorch's. The permutation's swaps "
         "are prefetched and its int array reused, and the rows are prefetched into L2 32 rows ahead and copied by "
         "two threads (docs/notes/memory.md); gathering the next batch on another thread during the step was tried "
         "and cost more in hand-offs than it saved."),
        ("W5", "W5: the ratio moves with the machine's load from run to run."),
        ("W6", "W6: on one core the packed kernel equals OpenBLAS, and on two it came out level in a quiet run "
         "(docs/notes/gemm.md); the two threads finish their last blocks of rows a few percent of the product apart, "
         "and another process taking a core costs it more."),
        ("W7 under 150 ms with the JIT",
         "W7 with the JIT: about 40 ms is the runtime's own start-up; the rest is mostly compiling, and running "
         "unoptimised first versions of, what is not precompiled. The build output precompiles nothing of the app. "
         "A framework-dependent ReadyToRun publish leaves about 370 methods to the JIT: generic code of one assembly "
         "instantiated over another's types (System.CommandLine's options over int and double, TensorPrimitives "
         "over Descent's operators, List<double>), which ReadyToRun may only precompile inside one version bubble. "
         "The self-contained composite publish (trimmed) puts the runtime's libraries and the app in one bubble and "
         "leaves about 260, mostly TensorPrimitives' SIMD code, whose form depends on the CPU it runs on (Vector512), "
         "and small runtime helpers; Native AOT removes all of it."),
        ("W8", "W8: `Linalg.Lstsq` sums AᵀA in float64 (numpy in float32 with OpenBLAS) and may take a second pass over "
         "X for a refinement step (docs/notes/lstsq.md); both passes read X from memory."),
    ]
    missed = [g for g, _, ok in goals if not ok]
    lines = [text for key, text in why if any(g.startswith(key) for g in missed)]
    if lines:
        p("## Why the missed goals are missed")
        p("")
        for text in lines:
            p("- " + text)
    p("")
    if not r7 or not r8:
        p("Not measured in this run: " + ", ".join(w for w, r in (("W7", r7), ("W8", r8)) if not r) + ".")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
