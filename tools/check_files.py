"""Checks that numpy and PyTorch read the files Descent writes (tools/write_files.cs), value for value.

Usage:
    dotnet run tools/write_files.cs -- OUT
    python3 tools/check_files.py OUT

The .safetensors files are read by a minimal parser that follows the format's specification and checks it strictly
(the Python safetensors package is not required): header length, JSON header padded with spaces to a multiple of 8,
known dtypes, offsets tiling the data buffer with each tensor aligned to its element size. The linear layer's file is
then loaded with torch.nn.Linear(3, 2).load_state_dict. The .npy and .npz files are read with np.load.
"""
import json
import math
import os
import struct
import sys
import zipfile

import numpy as np
import torch

ST_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "BOOL": np.dtype("bool")}

WEIGHT = np.array([[0.5, -1.25, 2.0], [0.125, 3.5, -0.75]], dtype=np.float32)
BIAS = np.array([0.25, -0.5], dtype=np.float32)
F32_MAX = np.finfo(np.float32).max
F32_TINY = np.float32(1.401298464324817e-45)  # float.Epsilon in .NET: the smallest subnormal
ARRAYS = {
    "f32": np.array([[1.5, -2.0, 0.1], [F32_MAX, F32_TINY, -0.0]], dtype=np.float32),
    "f64": np.array([math.nan, math.inf, -math.inf, -0.0, 1e-300, math.pi]),
    "i64": np.array([-2**63, 2**63 - 1, 0, -1, 42], dtype=np.int64),
    "mask": np.array([[True, False], [False, True]]),
    "scalar": np.array(2.5, dtype=np.float32),
    "empty": np.zeros((0, 3), dtype=np.float32),
    "cube": np.arange(24, dtype=np.float32).reshape(2, 3, 4),
    "transposed": np.arange(6, dtype=np.float64).reshape(2, 3).T.copy(),
}


def load_safetensors(path):
    data = open(path, "rb").read()
    assert len(data) >= 8, "shorter than the header length"
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, f"header length {n} is not a multiple of 8"
    assert 8 + n <= len(data), "header runs past the end"
    raw = data[8:8 + n]
    text = raw.decode("utf-8")
    assert text.startswith("{")
    body = text.rstrip(" ")
    assert len(text) - len(body) < 8, "more padding than needed"
    header = json.loads(body)
    metadata = header.pop("__metadata__", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    buffer = data[8 + n:]
    tensors, at = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        assert set(info) == {"dtype", "shape", "data_offsets"}, info
        dtype = ST_DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        assert begin == at, f"{name}: gap or overlap at {begin} (expected {at})"
        assert (8 + n + begin) % dtype.itemsize == 0, f"{name}: not aligned to {dtype.itemsize} bytes"
        count = int(np.prod(info["shape"], dtype=np.int64))
        assert end - begin == count * dtype.itemsize, f"{name}: {end - begin} bytes for shape {info['shape']}"
        tensors[name] = np.frombuffer(buffer[begin:end], dtype=dtype).reshape(info["shape"])
        at = end
    assert at == len(buffer), f"{len(buffer) - at} bytes at the end belong to no tensor"
    return tensors, metadata


def same(expected, actual, what):
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    if expected.dtype.kind == "f":
        # Bit for bit, except that any NaN matches any NaN.
        e, a = expected.reshape(-1), actual.reshape(-1)
        nan = np.isnan(e)
        assert np.array_equal(np.isnan(a), nan), f"{what}: NaNs differ"
        assert np.array_equal(e[~nan].view(f"u{e.itemsize}"), a[~nan].view(f"u{a.itemsize}")), f"{what}: {a} != {e}"
    else:
        assert np.array_equal(expected, actual), f"{what}: {actual} != {expected}"


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "descent-files"
    checks = 0

    tensors, metadata = load_safetensors(os.path.join(folder, "linear.safetensors"))
    assert metadata == {"format": "pt"}, metadata
    linear = torch.nn.Linear(3, 2)
    linear.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()})
    same(WEIGHT, linear.weight.detach().numpy(), "linear.weight")
    same(BIAS, linear.bias.detach().numpy(), "linear.bias")
    x = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])
    expected = x.numpy() @ WEIGHT.T + BIAS
    assert np.array_equal(linear(x).detach().numpy(), expected), "linear forward"
    checks += 3

    tensors, metadata = load_safetensors(os.path.join(folder, "arrays.safetensors"))
    assert metadata == {} and sorted(tensors) == sorted(ARRAYS), sorted(tensors)
    for name, a in ARRAYS.items():
        same(a, tensors[name], f"arrays.safetensors:{name}")
        checks += 1

    for name, a in ARRAYS.items():
        path = os.path.join(folder, name + ".npy")
        same(a, np.load(path), f"{name}.npy")
        with open(path, "rb") as f:
            assert f.read(8) == b"\x93NUMPY\x01\x00", f"{name}.npy: not format version 1.0"
        checks += 1

    for file, method in [("arrays.npz", zipfile.ZIP_STORED), ("arrays_compressed.npz", zipfile.ZIP_DEFLATED)]:
        path = os.path.join(folder, file)
        with zipfile.ZipFile(path) as z:
            assert all(i.compress_type == method for i in z.infolist()), [(i.filename, i.compress_type) for i in z.infolist()]
        with np.load(path) as z:
            assert sorted(z.files) == sorted(ARRAYS), z.files
            for name, a in ARRAYS.items():
                same(a, z[name], f"{file}:{name}")
                checks += 1

    print(f"OK: {checks} checks passed (numpy {np.__version__}, torch {torch.__version__})")


if __name__ == "__main__":
    main()
