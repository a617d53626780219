"""Measures how close `descent train`'s default recipe gets to the least-squares optimum, to choose the defaults.

The recipe is the one `descent train` runs: features and targets standardized (population std), nn.Linear from
torch.manual_seed(seed), full-batch steps, the epoch's loss taken before its update, in raw units. For each
candidate (optimizer, lr, epochs, batch size) it prints the worst ratio of the last epoch's loss to the
least-squares MSE over the shared data sets, data sets like them and, when scikit-learn is installed, its small
bundled regression-like sets, each with several seeds. A ratio of 1.05 is the contract's limit.
Run with: python3 tools/cli_defaults.py
"""
import csv
import os

import numpy as np
import torch

torch.set_num_threads(1)
here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, "..", "tests", "Descent.Tests", "Fixtures")


def load(name, targets):
    with open(os.path.join(fixtures, name)) as f:
        rows = list(csv.reader(f))
    header, d = rows[0], np.array(rows[1:], dtype=np.float64)
    t = [header.index(c) for c in targets]
    return d[:, [i for i in range(len(header)) if i not in t]], d[:, t]


def like_shared(seed):
    """Small yields-like tables: 8-40 rows, 1-4 integer features in the tens, 1-3 targets, R² 0.85-0.999."""
    r = np.random.default_rng(seed)
    n, f, t = int(r.integers(8, 40)), int(r.integers(1, 5)), int(r.integers(1, 4))
    x = np.round(r.uniform(20, 150, size=(n, f)))
    s = x @ r.normal(size=(f, t))
    r2 = r.uniform(0.85, 0.999, t)
    y = np.round(s + r.uniform(-50, 100, t) + r.normal(size=(n, t)) * s.std(0) * np.sqrt((1 - r2) / r2))
    return f"like-shared-{seed}", x, y


def tabular(seed):
    """Larger tables: 10-2000 rows, up to 13 correlated features, R² 0.2-0.98."""
    r = np.random.default_rng(seed)
    n, f, t, c = int(r.integers(10, 2000)), int(r.integers(1, 14)), int(r.integers(1, 4)), float(r.uniform(0, 0.9))
    cov = np.full((f, f), c) + np.eye(f) * (1 - c)
    x = np.round(r.normal(size=(n, f)) @ np.linalg.cholesky(cov).T * r.uniform(1, 100, f) + r.uniform(-50, 200, f))
    s = x @ r.normal(size=(f, t))
    r2 = r.uniform(0.2, 0.98, t)
    y = s + r.uniform(-100, 300, t) + r.normal(size=(n, t)) * s.std(0) * np.sqrt((1 - r2) / r2)
    return f"tabular-{seed}", x, y


def optimum(x, y):
    a = np.hstack([x, np.ones((len(x), 1))])
    return np.mean((a @ np.linalg.lstsq(a, y, rcond=None)[0] - y) ** 2)


def train(x, y, optimizer, lr, epochs, batch, seed):
    sx, sy = x.std(0), y.std(0)
    sx[sx == 0] = 1
    sy[sy == 0] = 1
    xs = torch.tensor((x - x.mean(0)) / sx, dtype=torch.float32)
    ys = torch.tensor((y - y.mean(0)) / sy, dtype=torch.float32)
    scale = torch.tensor(sy, dtype=torch.float32)
    torch.manual_seed(seed)
    model = torch.nn.Linear(x.shape[1], y.shape[1])
    opt = optimizer(model.parameters(), lr)
    g = torch.Generator().manual_seed(seed)
    n = len(xs)
    batch = batch or n
    for _ in range(epochs):
        order = torch.randperm(n, generator=g) if batch < n else torch.arange(n)
        total = 0.0
        for i in range(0, n, batch):
            b = order[i:i + batch]
            p = model(xs[b])
            loss = torch.nn.functional.mse_loss(p, ys[b])
            total += (((p.detach() - ys[b]) * scale) ** 2).mean().item() * len(b)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return total / n


sets = [("apples_oranges",) + load("apples_oranges.csv", ["apples", "oranges"]),
        ("linnerud",) + load("linnerud.csv", ["weight", "waist", "pulse"])]
try:
    from sklearn import datasets
    d = datasets.load_diabetes()
    sets.append(("diabetes", d.data * 100, d.target[:, None]))
    d = datasets.load_iris()
    sets.append(("iris", d.data[:, :3], d.data[:, 3:]))
except ImportError:
    pass
sets += [like_shared(9000 + s) for s in range(40)] + [tabular(7000 + s) for s in range(20)]
adam = lambda p, lr: torch.optim.Adam(p, lr=lr)
sgd = lambda p, lr: torch.optim.SGD(p, lr=lr)
candidates = [("adam", adam, 0.1, e, None) for e in (100, 200)] + [("adam", adam, 0.05, 200, None), ("adam", adam, 0.1, 200, 32),
                                                                   ("sgd", sgd, 0.1, 200, None), ("sgd", sgd, 0.3, 200, None)]
print(f"{len(sets)} data sets x 4 seeds")
for name, opt, lr, epochs, batch in candidates:
    worst, where, failed = 0.0, "", 0
    for label, x, y in sets:
        best = optimum(x, y)
        for seed in range(4):
            ratio = train(x, y, opt, lr, epochs, batch, seed) / best
            ratio = ratio if np.isfinite(ratio) else float("inf")
            failed += ratio > 1.05
            if ratio > worst:
                worst, where = ratio, f"{label} seed {seed}"
    print(f"{name} lr {lr} epochs {epochs} batch {batch or 'all'}: worst loss/optimum {worst:.4f} ({where}), runs over 1.05: {failed}")
