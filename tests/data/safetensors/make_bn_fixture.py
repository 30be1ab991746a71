#!/usr/bin/env python3
"""Builds the PyTorch BatchNorm fixture for NetDsl's safetensors reader and batch normalization kernel.

Run from the repository root with a Python that has torch (Debian: `apt-get install python3-torch`,
then `/usr/bin/python3 tests/data/safetensors/make_bn_fixture.py`). Tests only read the committed outputs:

  torch_bn.safetensors  state_dict of Sequential(Conv2d(1, 2, 3), BatchNorm2d(2)), seed 4321, after three
                        training-mode forwards (so running_mean, running_var and num_batches_tracked = 3 are
                        not their initial values); BatchNorm's weight and bias are set to non-trivial values
  torch_bn.json         every tensor's dtype, shape and values; a fixed input [2, 1, 5, 5], the conv output for it
                        ([2, 2, 3, 3], the BatchNorm's input), the eval-mode output of the BatchNorm alone, and
                        what one more training-mode step of (a copy of) the BatchNorm on that conv output gives:
                        its output and the running statistics it leaves

The .safetensors file is written with `safetensors.torch.save_file` when the `safetensors` package is
importable, otherwise by `write_safetensors` below, which follows the reference writer (safetensors 0.4,
Rust `serialize`): tensors sorted by dtype (descending in the Rust `Dtype` enum order, so I64 before F32)
then by name, compact JSON header with `__metadata__` first, keys dtype/shape/data_offsets, header padded
with spaces to a multiple of 8, little-endian raw data. The JSON records which writer was used.
"""
import copy
import json
import os
import struct

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))

# The Rust safetensors Dtype enum order (derive(Ord)); the reference writer sorts by it, descending.
DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def write_safetensors(tensors, path, metadata=None):
    """A minimal re-implementation of the reference safetensors writer, for F32 and I64 tensors."""
    def key(name):
        return (-DTYPE_ORDER.index(DTYPES[tensors[name].dtype][0]), name)

    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    blobs = []
    for name in sorted(tensors, key=key):
        t = tensors[name].detach().contiguous()
        dtype, numpy_type = DTYPES[t.dtype]
        data = t.numpy().astype(numpy_type).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
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
    torch.manual_seed(4321)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([1.5, -0.75]))
        model[1].bias.copy_(torch.tensor([0.25, -0.5]))

    model.train()
    with torch.no_grad():
        for step in range(3):
            model(torch.randn(4, 1, 5, 5) * (1 + step) + 0.5 * step)

    model.eval()
    state = model.state_dict()
    assert int(state["1.num_batches_tracked"]) == 3

    st_path = os.path.join(HERE, "torch_bn.safetensors")
    try:
        from safetensors.torch import save_file
        save_file(state, st_path, metadata={"format": "pt"})
        writer = "safetensors.torch.save_file"
    except ImportError:
        write_safetensors(state, st_path, metadata={"format": "pt"})
        writer = "make_bn_fixture.write_safetensors (safetensors package not installed)"

    x = torch.linspace(-2.0, 2.5, 50, dtype=torch.float32).reshape(2, 1, 5, 5)
    x = x * torch.tensor([1.0, -1.0]).repeat(25)[:25].reshape(1, 1, 5, 5)  # break the linear ramp
    with torch.no_grad():
        conv = model[0](x)
        y = model[1](conv)
        # One more training-mode step of a copy of the BatchNorm on the same conv output: the batch-statistics
        # output and the running statistics it leaves (checks the training kernel against PyTorch itself).
        bn = copy.deepcopy(model[1]).train()
        y_train = bn(conv)

    def values(t):
        # float32 and int64 -> JSON exactly (float repr round-trips; integers are integers)
        return [v for v in t.detach().reshape(-1).tolist()]

    out = {
        "torch_version": torch.__version__,
        "writer": writer,
        "seed": 4321,
        "tensors": {name: {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "values": values(t)} for name, t in state.items()},
        "input": {"shape": list(x.shape), "values": values(x)},
        "conv_output": {"shape": list(conv.shape), "values": values(conv)},
        "bn_eval_output": {"shape": list(y.shape), "values": values(y)},
        "bn_eps": model[1].eps,
        "bn_train_step": {
            "output": {"shape": list(y_train.shape), "values": values(y_train)},
            "running_mean": values(bn.running_mean),
            "running_var": values(bn.running_var),
            "num_batches_tracked": int(bn.num_batches_tracked),
        },
    }
    with open(os.path.join(HERE, "torch_bn.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
