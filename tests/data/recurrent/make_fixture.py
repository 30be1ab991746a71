#!/usr/bin/python3
"""Writes fixture.json: PyTorch's nn.RNN, nn.LSTM and nn.GRU (batch_first, input 3, hidden 4) on small inputs.

For each cell: a unidirectional layer over full sequences, and a bidirectional layer over a packed batch with lengths
(pack_padded_sequence, enforce_sorted=False; outputs padded with zeros). Each case holds the layer's state_dict, the
input, the lengths, the output, a random weight w and the gradients of L = sum(w * output) with respect to every
parameter and the input. The tests in tests/NetDsl.Tests/Kernels/RecurrentTorchTests.cs read only the JSON, so CI
needs no PyTorch; rerun this (Debian's python3-torch is enough) only to change the cases:

    /usr/bin/python3 tests/data/recurrent/make_fixture.py
"""
import json
import os

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

INPUT, HIDDEN = 3, 4


def values(tensor):
    return [float(f"{v:.9g}") for v in tensor.detach().reshape(-1).tolist()]


def case(name, module, x, lengths, bidirectional):
    x = x.clone().requires_grad_(True)
    if lengths is None:
        out, _ = module(x)
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out, _ = module(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    w = torch.randn(out.shape, dtype=torch.float64).float()
    (w * out).sum().backward()
    params = dict(module.named_parameters())
    return {
        "name": name,
        "cell": {torch.nn.RNN: "SimpleRnn", torch.nn.LSTM: "Lstm", torch.nn.GRU: "Gru"}[type(module)],
        "batch": x.shape[0], "steps": x.shape[1], "input": INPUT, "hidden": HIDDEN,
        "bidirectional": bidirectional,
        "lengths": lengths if lengths is not None else [],
        "x": values(x), "output": values(out), "w": values(w), "dx": values(x.grad),
        "parameters": {k: values(v) for k, v in params.items()},
        "gradients": {k: values(v.grad) for k, v in params.items()},
    }


def main():
    torch.manual_seed(20240611)
    cases = []
    for kind in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        name = kind.__name__.lower()
        uni = kind(INPUT, HIDDEN, batch_first=True)
        cases.append(case(f"{name}", uni, torch.randn(2, 5, INPUT), None, False))
        bi = kind(INPUT, HIDDEN, batch_first=True, bidirectional=True)
        cases.append(case(f"{name}_bidirectional_packed", bi, torch.randn(3, 5, INPUT), [5, 2, 3], True))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixture.json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
