#!/usr/bin/python3
"""Writes stacked_lstm.json: a two-layer nn.LSTM(3, 4, num_layers=2, batch_first=True) with seed 2024, its
state_dict (names weight_ih_l0 ... bias_hh_l1), a fixed input [2, 5, 3] and torch's output [2, 5, 4]. The test
tests/NetDsl.Tests/EndToEnd/TorchInteropTests.cs loads these into two [Lstm] attributes with Level 0 and 1.
Run with Debian's python3-torch; CI only reads the JSON."""
import json
import torch

torch.manual_seed(2024)
lstm = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True)
x = torch.randn(2, 5, 3)
with torch.no_grad():
    output, _ = lstm(x)
fixture = {
    "torch": torch.__version__,
    "parameters": {name: [float(v) for v in tensor.flatten().tolist()] for name, tensor in lstm.state_dict().items()},
    "x": [float(v) for v in x.flatten().tolist()],
    "output": [float(v) for v in output.flatten().tolist()],
}
with open(__file__.replace("make_stacked_fixture.py", "stacked_lstm.json"), "w") as f:
    json.dump(fixture, f)
