#!/usr/bin/env python3
"""Golden values for the nn layers and losses, from PyTorch 1.13 in float32.

Writes core/src/test/resources/golden/nn.json. Each case holds the inputs, the parameters (generated here
with torch's seeded generator and loaded into the Java layer by name), the forward outputs, a fixed random
upstream gradient ("seed") for each output, and the gradients of L = sum(output * seed) with respect to the
input, the initial states and every parameter. Loss cases hold the scalar loss and d loss / d input.
The "init" section holds torch.nn.init's gains and fans.

Run from the repository root with Debian's python: /usr/bin/python3 core/src/test/python/gen_nn_golden.py
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20240601)
torch.set_default_dtype(torch.float32)

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "golden", "nn.json")


def enc(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def randomize(module, scale=0.5):
    """Every parameter drawn afresh (so biases and BatchNorm affine terms are not trivially 0/1)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape) * scale)


def layer_case(name, layer, config, module, x, train=True, h0=None, c0=None, run=None):
    module.train(train)
    module.zero_grad(set_to_none=True)  # a module may be reused from an earlier case
    x = x.clone().requires_grad_(True)
    params = {k: enc(v) for k, v in module.named_parameters()}
    buffers = {k: enc(v) for k, v in module.named_buffers() if k != "num_batches_tracked"}
    extra = {}
    if h0 is not None:
        h0 = h0.clone().requires_grad_(True)
        extra["h0"] = h0
    if c0 is not None:
        c0 = c0.clone().requires_grad_(True)
        extra["c0"] = c0
    outs = run(module, x, h0, c0) if run else {"output": module(x)}
    seeds = {k: torch.randn(v.shape) for k, v in outs.items()}
    loss = sum((v * seeds[k]).sum() for k, v in outs.items())
    loss.backward()
    grads = {"input": enc(x.grad)}
    for k, v in extra.items():
        grads[k] = enc(v.grad)
    for k, p in module.named_parameters():
        grads[k] = enc(p.grad if p.grad is not None else torch.zeros_like(p))
    case = {
        "name": name, "layer": layer, "config": config, "train": train,
        "input": enc(x), "params": params, "buffers": buffers,
        "outputs": {k: enc(v) for k, v in outs.items()},
        "seeds": {k: enc(v) for k, v in seeds.items()},
        "grads": grads,
        "buffers_after": {k: enc(v) for k, v in module.named_buffers() if k != "num_batches_tracked"},
    }
    for k, v in extra.items():
        case[k] = enc(v)
    return case


def recurrent_run(truncate=0):
    def run(module, x, h0, c0):
        lstm = isinstance(module, nn.LSTM)
        if h0 is None:
            h0 = torch.zeros(module.num_layers, x.shape[0], module.hidden_size)
        if lstm and c0 is None:
            c0 = torch.zeros(module.num_layers, x.shape[0], module.hidden_size)
        state = (h0, c0) if lstm else h0
        seq = x.shape[1]
        k = truncate if truncate > 0 else seq
        outs = []
        for start in range(0, seq, k):
            if start > 0:
                state = tuple(s.detach() for s in state) if lstm else state.detach()
            o, state = module(x[:, start:start + k], state)
            outs.append(o)
        res = {"output": torch.cat(outs, dim=1)}
        if lstm:
            res["hidden"], res["cell"] = state
        else:
            res["hidden"] = state
        return res
    return run


def cases():
    c = []
    x = torch.randn(3, 5)
    c.append(layer_case("Linear", "Linear", {"in": 5, "out": 4, "bias": True}, nn.Linear(5, 4), x))
    c.append(layer_case("Linear without bias", "Linear", {"in": 5, "out": 4, "bias": False}, nn.Linear(5, 4, bias=False), x))
    c.append(layer_case("Linear on rank-3 input", "Linear", {"in": 5, "out": 2, "bias": True}, nn.Linear(5, 2),
                        torch.randn(2, 3, 5)))
    a = torch.randn(4, 6) * 3
    acts = [
        ("Sigmoid", {}, nn.Sigmoid()), ("Tanh", {}, nn.Tanh()), ("ReLU", {}, nn.ReLU()),
        ("LeakyReLU", {"slope": 0.1}, nn.LeakyReLU(0.1)), ("ELU", {"alpha": 1.0}, nn.ELU(1.0)),
        ("ELU", {"alpha": 0.5}, nn.ELU(0.5)), ("GELU", {}, nn.GELU()), ("Softplus", {"beta": 1.0}, nn.Softplus(1.0)),
        ("Softplus", {"beta": 2.0}, nn.Softplus(2.0)), ("Identity", {}, nn.Identity()),
    ]
    for n, cfg, m in acts:
        c.append(layer_case(n + json.dumps(cfg, sort_keys=True) if cfg else n, n, cfg, m, a))
    big = torch.cat([a, torch.tensor([[15.0, 25.0, -30.0, 9.0, 11.0, -12.0]])])
    c.append(layer_case("Softplus beyond the threshold", "Softplus", {"beta": 1.0}, nn.Softplus(1.0), big))
    p = nn.PReLU()
    randomize(p)
    c.append(layer_case("PReLU shared", "PReLU", {"channels": 1}, p, a))
    p = nn.PReLU(6)
    randomize(p)
    c.append(layer_case("PReLU per channel [N, C]", "PReLU", {"channels": 6}, p, a))
    p = nn.PReLU(3)
    randomize(p)
    c.append(layer_case("PReLU per channel [N, C, L]", "PReLU", {"channels": 3}, p, torch.randn(2, 3, 4)))

    for shape, label in (((8, 4), "[N, C]"), ((5, 4, 3), "[N, C, L]")):
        bn = nn.BatchNorm1d(4, momentum=0.2)
        randomize(bn)
        with torch.no_grad():
            bn.running_mean.copy_(torch.randn(4) * 0.3)
            bn.running_var.copy_(torch.rand(4) + 0.5)
        xb = torch.randn(*shape) * 2 + 1
        cfg = {"channels": 4, "eps": 1e-5, "momentum": 0.2, "affine": True}
        c.append(layer_case("BatchNorm1d train " + label, "BatchNorm1d", cfg, bn, xb, train=True))
        c.append(layer_case("BatchNorm1d eval " + label, "BatchNorm1d", cfg, bn, xb, train=False))
    bn = nn.BatchNorm1d(4, affine=False)
    c.append(layer_case("BatchNorm1d train, not affine", "BatchNorm1d",
                        {"channels": 4, "eps": 1e-5, "momentum": 0.1, "affine": False}, bn, torch.randn(6, 4)))

    ln = nn.LayerNorm(6)
    randomize(ln)
    c.append(layer_case("LayerNorm [6]", "LayerNorm", {"shape": [6]}, ln, a))
    ln = nn.LayerNorm([3, 4])
    randomize(ln)
    c.append(layer_case("LayerNorm [3, 4]", "LayerNorm", {"shape": [3, 4]}, ln, torch.randn(2, 3, 4) * 2))

    seq = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    c.append(layer_case("Sequential MLP", "MLP", {}, seq, x))

    class Residual(nn.Module):
        def __init__(self, body, projection=None):
            super().__init__()
            self.body = body
            if projection is not None:
                self.projection = projection

        def forward(self, v):
            return self.body(v) + (self.projection(v) if hasattr(self, "projection") else v)

    c.append(layer_case("Residual identity", "Residual", {}, Residual(nn.Sequential(nn.Linear(5, 5), nn.Tanh())), x))
    c.append(layer_case("Residual projection", "ResidualProjection", {},
                        Residual(nn.Sequential(nn.Linear(5, 3), nn.Tanh()), nn.Linear(5, 3, bias=False)), x))

    xs = torch.randn(3, 5, 4)
    rnn_cfgs = [
        ("RNN tanh, 2 layers", nn.RNN(4, 6, 2, batch_first=True), {"cell": "RNN", "layers": 2, "nonlinearity": "tanh", "bias": True}, 0, False),
        ("RNN relu, no bias", nn.RNN(4, 6, 1, nonlinearity="relu", bias=False, batch_first=True),
         {"cell": "RNN", "layers": 1, "nonlinearity": "relu", "bias": False}, 0, False),
        ("RNN tanh, h0", nn.RNN(4, 6, 2, batch_first=True), {"cell": "RNN", "layers": 2, "nonlinearity": "tanh", "bias": True}, 0, True),
        ("LSTM, 2 layers", nn.LSTM(4, 6, 2, batch_first=True), {"cell": "LSTM", "layers": 2, "bias": True}, 0, False),
        ("LSTM, h0 and c0", nn.LSTM(4, 6, 2, batch_first=True), {"cell": "LSTM", "layers": 2, "bias": True}, 0, True),
        ("LSTM, truncated BPTT k=2", nn.LSTM(4, 6, 2, batch_first=True), {"cell": "LSTM", "layers": 2, "bias": True}, 2, True),
        ("GRU, 2 layers", nn.GRU(4, 6, 2, batch_first=True), {"cell": "GRU", "layers": 2, "bias": True}, 0, False),
        ("GRU, h0", nn.GRU(4, 6, 1, batch_first=True), {"cell": "GRU", "layers": 1, "bias": True}, 0, True),
        ("GRU, truncated BPTT k=2", nn.GRU(4, 6, 2, batch_first=True), {"cell": "GRU", "layers": 2, "bias": True}, 2, False),
    ]
    for n, m, cfg, k, init_state in rnn_cfgs:
        cfg = dict(cfg, input=4, hidden=6, truncate=k)
        h0 = torch.randn(cfg["layers"], 3, 6) * 0.5 if init_state else None
        c0 = torch.randn(cfg["layers"], 3, 6) * 0.5 if init_state and cfg["cell"] == "LSTM" else None
        c.append(layer_case(n, "Recurrent", cfg, m, xs, h0=h0, c0=c0, run=recurrent_run(k)))
    return c


def loss_cases():
    out = []
    x = torch.randn(6, 5) * 2
    t = torch.randn(6, 5) * 2
    cls = torch.tensor([0, 4, 2, 2, 1, 3])
    soft = torch.rand(6, 5)
    for red in ("mean", "sum"):
        for name, fn, target, cfg in (
            ("MSELoss", lambda v, tt: F.mse_loss(v, tt, reduction=red), t, {}),
            ("CrossEntropyLoss", lambda v, tt: F.cross_entropy(v, tt, reduction=red), cls, {}),
            ("BCEWithLogitsLoss", lambda v, tt: F.binary_cross_entropy_with_logits(v, tt, reduction=red), soft, {}),
            ("HuberLoss", lambda v, tt: F.huber_loss(v, tt, reduction=red, delta=1.0), t, {"delta": 1.0}),
            ("HuberLoss", lambda v, tt: F.huber_loss(v, tt, reduction=red, delta=0.5), t, {"delta": 0.5}),
        ):
            xi = x.clone().requires_grad_(True)
            loss = fn(xi, target)
            loss.backward()
            out.append({
                "name": name + " " + red + (" delta=" + str(cfg["delta"]) if cfg else ""), "loss": name,
                "reduction": red, "config": cfg, "input": enc(xi),
                "target": [int(v) for v in target.tolist()] if target.dtype == torch.int64 else enc(target),
                "value": float(loss.item()), "grad": enc(xi.grad),
            })
    return out


def init_section():
    gains = {
        "LINEAR": nn.init.calculate_gain("linear"), "SIGMOID": nn.init.calculate_gain("sigmoid"),
        "TANH": nn.init.calculate_gain("tanh"), "RELU": nn.init.calculate_gain("relu"),
        "LEAKY_RELU": nn.init.calculate_gain("leaky_relu"), "SELU": nn.init.calculate_gain("selu"),
        "LEAKY_RELU slope 0.2": nn.init.calculate_gain("leaky_relu", 0.2),
        "LEAKY_RELU slope sqrt(5)": nn.init.calculate_gain("leaky_relu", math.sqrt(5)),
    }
    fans = []
    for shape in ([3, 4], [5, 2, 3, 3], [7, 1]):
        fi, fo = nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        fans.append({"shape": shape, "fan_in": fi, "fan_out": fo})
    return {"gains": gains, "fans": fans}


def main():
    doc = {
        "generator": "core/src/test/python/gen_nn_golden.py",
        "torch": torch.__version__,
        "layers": cases(),
        "losses": loss_cases(),
        "init": init_section(),
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.normpath(OUT), len(doc["layers"]), "layer cases,", len(doc["losses"]), "loss cases")


if __name__ == "__main__":
    main()
