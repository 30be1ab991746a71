#!/usr/bin/env python3
"""Builds the PyTorch interoperability fixture for NetDsl's safetensors reader.

Run from the repository root with a Python that has torch (Debian: `apt-get install python3-torch`,
then `/usr/bin/python3 tests/data/safetensors/make_fixture.py`). Tests only read the committed outputs:

  torch_mlp.safetensors  state_dict of Sequential(Linear(4,3), ReLU(), Linear(3,2)), seed 1234
  torch_mlp.json         every tensor's shape and values, a fixed input and torch's output for it

The .safetensors file is written with `safetensors.torch.save_file` when the `safetensors` package is
importable. Otherwise (Debian 12 does not package it) it is written by `write_safetensors` below, which
follows the reference writer (safetensors 0.4, Rust `serialize`) step by step: tensors sorted by dtype
then name, compact JSON header with `__metadata__` first, keys dtype/shape/data_offsets, header padded
with spaces to a multiple of 8, little-endian raw data. The JSON records which writer was used.
"""
import json
import os
import struct

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def write_safetensors(tensors, path, metadata=None):
    """A minimal re-implementation of the reference safetensors writer, for F32 tensors."""
    names = sorted(tensors)  # all F32: the reference sorts by dtype (descending) and then by name
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    blobs = []
    for name in names:
        t = tensors[name].detach().contiguous()
        assert t.dtype == torch.float32
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    torch.manual_seed(1234)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    state = model.state_dict()
    st_path = os.path.join(HERE, "torch_mlp.safetensors")
    try:
        from safetensors.torch import save_file
        save_file(state, st_path, metadata={"format": "pt"})
        writer = "safetensors.torch.save_file"
    except ImportError:
        write_safetensors(state, st_path, metadata={"format": "pt"})
        writer = "make_fixture.write_safetensors (safetensors package not installed)"

    x = torch.tensor([[0.5, -1.25, 2.0, 0.125], [-0.75, 0.3, -1.5, 1.0]], dtype=torch.float32)
    with torch.no_grad():
        y = model(x)

    def values(t):
        # float -> repr round-trips exactly through JSON (shortest repr of the float32 widened to double)
        return [float(v) for v in t.detach().reshape(-1).tolist()]

    out = {
        "torch_version": torch.__version__,
        "writer": writer,
        "seed": 1234,
        "tensors": {name: {"shape": list(t.shape), "values": values(t)} for name, t in state.items()},
        "input": {"shape": list(x.shape), "values": values(x)},
        "output": {"shape": list(y.shape), "values": values(y)},
    }
    with open(os.path.join(HERE, "torch_mlp.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
