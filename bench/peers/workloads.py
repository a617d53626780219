"""PyTorch peer of `dotnet run -c Release --project bench/Descent.Bench -- workloads ...`.

Runs one workload per process with the same timing scheme and prints one JSON line with the same keys.
Usage: /usr/bin/python3 workloads.py W1 | W2 | W3 N D K | W4 N D batch [loader|slice] | W5 N batch | W6 n | W8 N D
"""
import json
import resource
import sys
import time

import numpy as np
import torch

torch.set_num_threads(2)

INPUTS = np.array([[73, 67, 43], [91, 88, 64], [87, 134, 58], [102, 43, 37], [69, 96, 70]], dtype="float32")
TARGETS = np.array([[56, 70], [81, 101], [119, 133], [22, 37], [103, 119]], dtype="float32")


def median(xs):
    return float(np.median(np.array(xs)))


WARMUP_SECONDS = 3.0


def per_call(body, block_seconds=0.2, blocks=7):
    """Median seconds per call over blocks of calls sized to about block_seconds, after WARMUP_SECONDS of warm-up."""
    warm = time.perf_counter()
    calls = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(calls):
            body()
        last = time.perf_counter() - t0
        if time.perf_counter() - warm >= WARMUP_SECONDS and last >= block_seconds / 4:
            break
        if last < block_seconds / 4:
            calls *= 2
    calls = max(1, int(calls * block_seconds / max(last, 1e-9)))
    times = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(calls):
            body()
        times.append((time.perf_counter() - t0) / calls)
    return median(times)


def each(body, min_reps=3, min_seconds=1.0, warmup=True, warmup_seconds=WARMUP_SECONDS, warmup_calls=1):
    """Warm-up calls for warmup_seconds and at least warmup_calls (at least one), then at least min_reps and about
    min_seconds of timed calls; the median."""
    if warmup:
        warm = time.perf_counter()
        body()
        calls = 1
        while time.perf_counter() - warm < warmup_seconds or calls < warmup_calls:
            body()
            calls += 1
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < min_seconds and len(times) < 50):
        t0 = time.perf_counter()
        body()
        times.append(time.perf_counter() - t0)
    return median(times)


def w1():
    x = torch.from_numpy(INPUTS)
    y = torch.from_numpy(TARGETS)
    g = torch.Generator().manual_seed(0)
    w = torch.randn(2, 3, generator=g, requires_grad=True)
    b = torch.randn(2, generator=g, requires_grad=True)

    def epoch():
        preds = x @ w.t() + b
        diff = preds - y
        loss = torch.sum(diff * diff) / diff.numel()
        loss.backward()
        with torch.no_grad():
            w.sub_(w.grad * 1e-5)
            b.sub_(b.grad * 1e-5)
            w.grad.zero_()
            b.grad.zero_()
        return loss.item()

    return {"workload": "W1", "params": "5x3", "seconds": per_call(epoch)}


def w3(n, d, k):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, d, generator=g)
    true_w = torch.randn(k, d, generator=g)
    with torch.no_grad():
        y = x @ true_w.t() + 0.5
    w = torch.zeros(k, d, requires_grad=True)
    b = torch.zeros(k, requires_grad=True)
    last = [0.0]

    def epoch():
        preds = x @ w.t() + b
        diff = preds - y
        loss = torch.sum(diff * diff) / diff.numel()
        loss.backward()
        with torch.no_grad():
            w.sub_(w.grad * 0.01)
            b.sub_(b.grad * 0.01)
            w.grad.zero_()
            b.grad.zero_()
        last[0] = loss.item()

    # Five epochs of warm-up at least, as on the Descent side (its LinearRegression.WarmupEpochs).
    t = each(epoch, min_reps=3, min_seconds=1.0, warmup_seconds=1.0, warmup_calls=5)
    return {"workload": "W3", "params": f"N={n} D={d} K={k}", "seconds": t,
            "data_bytes": (n * d + n * k) * 4, "loss": last[0]}


def w6(n):
    g = torch.Generator().manual_seed(0)
    a = torch.rand(n, n, generator=g)
    b = torch.rand(n, n, generator=g)
    t = each(lambda: torch.mm(a, b), min_reps=5, min_seconds=1.0)
    return {"workload": "W6", "params": f"n={n}", "seconds": t, "gflops": 2.0 * n ** 3 / t / 1e9}


ROWS = np.array([
    [73, 67, 43, 56, 70], [91, 88, 64, 81, 101], [87, 134, 58, 119, 133], [102, 43, 37, 22, 37],
    [69, 96, 70, 103, 119], [74, 66, 43, 57, 69], [91, 87, 65, 80, 102], [88, 134, 59, 118, 132],
    [101, 44, 37, 21, 38], [68, 96, 71, 104, 118], [73, 66, 44, 57, 69], [92, 87, 64, 82, 100],
    [87, 135, 57, 118, 134], [103, 43, 36, 20, 38], [68, 97, 70, 102, 120]], dtype="float32")


def epoch(batches, model, loss_fn, opt):
    last = 0.0
    for xb, yb in batches:
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
        last = loss.item()
    return last


def w2():
    data = torch.from_numpy(ROWS)
    x, y = data[:, :3].contiguous(), data[:, 3:].contiguous()
    g = torch.Generator().manual_seed(0)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=5, shuffle=True, generator=g)
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1e-5)
    loss_fn = torch.nn.MSELoss()
    return {"workload": "W2", "params": "15 rows, batch 5", "seconds": per_call(lambda: epoch(loader, model, loss_fn, opt))}


def w4(n, d, batch, mode):
    """Mini-batch linear regression; mode 'loader' (shuffled DataLoader) or 'slice' (contiguous batches by hand)."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, d, generator=g)
    with torch.no_grad():
        y = x @ torch.randn(1, d, generator=g).t() + 0.5
    torch.manual_seed(0)
    model = torch.nn.Linear(d, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.MSELoss()
    if mode == "loader":
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch, shuffle=True, generator=g)
        body = lambda: epoch(loader, model, loss_fn, opt)
        # A DataLoader epoch over a million rows takes many seconds: no warm-up epoch, two timed ones.
        t = each(body, min_reps=2, min_seconds=0.0, warmup=False)
    else:
        body = lambda: epoch(((x[i:i + batch], y[i:i + batch]) for i in range(0, n, batch)), model, loss_fn, opt)
        t = each(body, min_reps=3, min_seconds=2.0)
    return {"workload": "W4", "params": f"N={n} D={d} batch={batch}" + ("" if mode == "loader" else " sliced"),
            "seconds": t, "rows_per_s": n / t}


def w5(n, batch):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 784, generator=g)
    labels = torch.randint(0, 10, (n,), generator=g)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, labels), batch_size=batch, shuffle=True, generator=g)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    t = each(lambda: epoch(loader, model, loss_fn, opt), min_reps=3, min_seconds=2.0)
    return {"workload": "W5", "params": f"N={n} 784-256-10 batch={batch}", "seconds": t}


def w8(n, d):
    """numpy's normal-equation solve on float32 data (the goal's reference), with numpy's lstsq and sklearn for context."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, d, generator=g)
    y = x @ torch.randn(d, 1, generator=g) + 0.1 * torch.randn(n, 1, generator=g)
    xn, yn = x.numpy(), y.numpy()
    t = each(lambda: np.linalg.solve(xn.T @ xn, xn.T @ yn), min_reps=3, min_seconds=2.0)
    lstsq = each(lambda: np.linalg.lstsq(xn, yn, rcond=None), min_reps=3, min_seconds=0.0)
    from sklearn.linear_model import LinearRegression
    sk = each(lambda: LinearRegression().fit(xn, yn), min_reps=3, min_seconds=0.0)
    return {"workload": "W8", "params": f"N={n} D={d}", "seconds": t, "numpy_lstsq_seconds": lstsq, "sklearn_seconds": sk}


def main(argv):
    kind = argv[0].upper()
    if kind == "W1":
        r = w1()
    elif kind == "W3":
        r = w3(int(float(argv[1])), int(argv[2]), int(argv[3]))
    elif kind == "W6":
        r = w6(int(argv[1]))
    elif kind == "W2":
        r = w2()
    elif kind == "W4":
        r = w4(int(float(argv[1])), int(argv[2]), int(argv[3]), argv[4] if len(argv) > 4 else "loader")
    elif kind == "W8":
        r = w8(int(float(argv[1])), int(argv[2]))
    elif kind == "W5":
        r = w5(int(float(argv[1])), int(argv[2]))
    else:
        raise SystemExit(f"unknown workload {argv[0]}")
    r["impl"] = "pytorch"
    r["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    r["runtime"] = f"torch {torch.__version__}, numpy {np.__version__}, threads {torch.get_num_threads()}"
    print(json.dumps(r))


if __name__ == "__main__":
    main(sys.argv[1:])
