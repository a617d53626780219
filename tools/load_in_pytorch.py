"""Loads a model saved by `descent train` or `descent solve` into PyTorch's nn.Linear and prints its predictions.

The safetensors file is parsed by hand (8-byte little-endian header length, JSON header, raw little-endian data),
so only torch is needed. Usage: python3 tools/load_in_pytorch.py model.safetensors data.csv
"""
import csv
import json
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64}


def load_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[start:end]), dtype=DTYPES[info["dtype"]])
        tensors[name] = t.reshape(info["shape"])
    return tensors, metadata


state, metadata = load_safetensors(sys.argv[1])
features = json.loads(metadata["features"])
targets = json.loads(metadata["targets"])
model = torch.nn.Linear(len(features), len(targets))
model.load_state_dict(state)
with open(sys.argv[2]) as f:
    rows = list(csv.DictReader(f))
x = torch.tensor([[float(r[c]) for c in features] for r in rows], dtype=torch.float32)
with torch.no_grad():
    y = model(x)
print(",".join(targets))
for row in y.tolist():
    print(",".join(repr(v) for v in row))
