#!/usr/bin/env python3
"""Proves that PyTorch loads gradscale's safetensors weights and computes the same outputs.

Reads core/src/test/resources/checkpoint/mlp.safetensors by the format's specification
(https://github.com/huggingface/safetensors: 8-byte little-endian header length N, N bytes of JSON
header, then the byte buffer; offsets relative to the buffer) with struct, json and
torch.frombuffer -- not with the safetensors package, so that the file format itself is what is
tested. Loads the tensors into nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)) with
load_state_dict(strict=True), runs the inputs of mlp_io.json through it in float32, and compares
with the outputs gradscale computed. Prints the largest absolute difference; exits 1 above 1e-6.

Run: /usr/bin/python3 core/src/test/python/check_safetensors.py
Regenerate the fixture (Java side):
  ./mvnw -q -o -pl core test -Dtest=MlpInteropTest -Dgradscale.regenerateInterop=true
"""
import json
import pathlib
import struct
import sys

import torch
from torch import nn

TOLERANCE = 1e-6
FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "resources" / "checkpoint"
DTYPES = {"F32": (torch.float32, 4)}


def read_safetensors(path):
    data = path.read_bytes()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes, fewer than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} goes beyond the file ({len(data)} bytes)")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    buffer = data[8 + n:]
    tensors = {}
    expected = 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, end = info["data_offsets"]
        if begin != expected:
            raise ValueError(f"{path}: tensor {name!r} starts at {begin}, expected {expected}")
        dtype, size = DTYPES[info["dtype"]]
        count = 1
        for d in info["shape"]:
            count *= d
        if count * size != end - begin:
            raise ValueError(f"{path}: tensor {name!r} shape {info['shape']} does not match {end - begin} bytes")
        t = torch.frombuffer(bytearray(buffer[begin:end]), dtype=dtype) if count else torch.empty(0, dtype=dtype)
        if sys.byteorder != "little":
            t = t.byteswap()
        tensors[name] = t.reshape(info["shape"])
        expected = end
    if expected != len(buffer):
        raise ValueError(f"{path}: tensors cover {expected} of {len(buffer)} buffer bytes")
    return tensors, metadata


def main():
    tensors, metadata = read_safetensors(FIXTURES / "mlp.safetensors")
    io = json.loads((FIXTURES / "mlp_io.json").read_text())
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    model.load_state_dict(tensors, strict=True)
    inputs = torch.tensor(io["inputs"], dtype=torch.float32)
    java = torch.tensor(io["outputs"], dtype=torch.float32)
    with torch.no_grad():
        torch_out = model(inputs)
    err = (torch_out - java).abs().max().item()
    print(f"torch {torch.__version__}; metadata {metadata}; tensors "
          + ", ".join(f"{k} {list(v.shape)}" for k, v in tensors.items()))
    print(f"max abs error between PyTorch and gradscale outputs: {err:.3e} (tolerance {TOLERANCE:g})")
    if not err <= TOLERANCE:
        print("FAIL", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
