"""PyTorch peer of W7: what `descent train --data FILE --target apples,oranges --epochs 100 --quiet` does, as a whole
process: read the CSV, standardize features and targets, fit Linear(3, 2) by full-batch Adam (lr 0.1) on the mean
squared error, print each epoch's loss in raw units.
Usage: /usr/bin/python3 w7_train.py FILE EPOCHS
"""
import sys

import numpy as np
import torch

torch.set_num_threads(2)
data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, dtype="float32")
epochs = int(sys.argv[2])
x, y = torch.from_numpy(data[:, :3]), torch.from_numpy(data[:, 3:])
mx, sx, my, sy = x.mean(0), x.std(0), y.mean(0), y.std(0)
xs, ys = (x - mx) / sx, (y - my) / sy
torch.manual_seed(0)
model = torch.nn.Linear(3, 2)
opt = torch.optim.Adam(model.parameters(), lr=0.1)
for epoch in range(epochs):
    loss = torch.nn.functional.mse_loss(model(xs), ys)
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        raw = torch.nn.functional.mse_loss(model(xs) * sy + my, y)
    print(f"epoch {epoch + 1}/{epochs} loss {raw.item():.6g}")
