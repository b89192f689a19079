"""PyTorch twin of bench/src/main/java/io/gradscale/bench/StepWorkloads.java (same workloads, same shapes).

    /usr/bin/python3 bench/python/step_bench.py WORKLOAD THREADS [WARMUP STEPS]

Prints one RESULT line in the format of StepHarness: median and quartiles of the step times in ms.
A training step is: zero_grad, forward, loss, backward, clip_grad_norm_ (where the workload clips),
optimizer.step(). The BLAS is whatever the process loads (bench/run-steps.sh preloads OpenBLAS by
default, see there). PyTorch's thread count is set explicitly with torch.set_num_threads (it defaults to
one on this machine). Optimizers use PyTorch 1.13's defaults on CPU (the single-tensor loops).
"""
import os
import statistics
import sys
import time

import torch

OPTIMIZER_FLOATS = 10_000_000
CLIP = 1.0
SGD_LR = 0.01
SGD_MOMENTUM = 0.9
ADAM_LR = 1e-3


def quantile(sorted_values, q):
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(len(sorted_values) - 1, lo + 1)
    return sorted_values[lo] + (pos - lo) * (sorted_values[hi] - sorted_values[lo])


def training(model, opt, x, target, loss_fn, clip):
    params = [p for p in model.parameters()]

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        return loss.item()

    return None, step


def mlp(adam):
    g = torch.Generator().manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 256),
                                torch.nn.ReLU(), torch.nn.Linear(256, 10))
    x = torch.randn(128, 784, generator=g)
    y = torch.randint(0, 10, (128,), generator=g)
    opt = (torch.optim.Adam(model.parameters(), lr=ADAM_LR) if adam
           else torch.optim.SGD(model.parameters(), lr=SGD_LR, momentum=SGD_MOMENTUM))
    return training(model, opt, x, y, torch.nn.CrossEntropyLoss(), True)


def deep_mlp():
    g = torch.Generator().manual_seed(2)
    layers = []
    for i in range(20):
        if i > 0:
            layers.append(torch.nn.Tanh())
        layers.append(torch.nn.Linear(256, 256))
    model = torch.nn.Sequential(*layers)
    x = torch.randn(64, 256, generator=g)
    t = torch.randn(64, 256, generator=g)
    opt = torch.optim.SGD(model.parameters(), lr=SGD_LR)
    return training(model, opt, x, t, torch.nn.MSELoss(), False)


class SequenceRegressor(torch.nn.Module):
    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn
        self.head = torch.nn.Linear(128, 1)

    def forward(self, x):
        out = self.rnn(x)[1]
        h = out[0] if isinstance(out, tuple) else out
        return self.head(h[-1])


def recurrent(kind, seq):
    g = torch.Generator().manual_seed({"lstm": 3, "rnn": 4, "gru": 5}[kind])
    cell = {"lstm": lambda: torch.nn.LSTM(32, 128, 1, batch_first=True),
            "rnn": lambda: torch.nn.RNN(32, 128, 1, nonlinearity="tanh", batch_first=True),
            "gru": lambda: torch.nn.GRU(32, 128, 1, batch_first=True)}[kind]()
    model = SequenceRegressor(cell)
    x = torch.randn(32, seq, 32, generator=g)
    t = torch.randn(32, 1, generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=ADAM_LR)
    return training(model, opt, x, t, torch.nn.MSELoss(), True)


def big_parameters(n):
    g = torch.Generator().manual_seed(42)
    per = OPTIMIZER_FLOATS // n
    params = [torch.nn.Parameter(torch.randn(per, generator=g)) for _ in range(n)]
    for p in params:
        p.grad = torch.randn(per, generator=g)
    return params


def clip(n):
    params = big_parameters(n)
    pristine = [p.grad.clone() for p in params]

    def prepare():
        for p, q in zip(params, pristine):
            p.grad.copy_(q)

    def step():
        return float(torch.nn.utils.clip_grad_norm_(params, CLIP))

    return prepare, step


def adam(n):
    params = big_parameters(n)
    opt = torch.optim.Adam(params, lr=ADAM_LR)

    def step():
        opt.step()
        return float("nan")

    return None, step


WORKLOADS = {
    "mlp-sgd": lambda: mlp(False),
    "mlp-adam": lambda: mlp(True),
    "deep-mlp": deep_mlp,
    "lstm": lambda: recurrent("lstm", 50),
    "rnn": lambda: recurrent("rnn", 100),
    "gru": lambda: recurrent("gru", 50),
    "clip-10": lambda: clip(10),
    "clip-1000": lambda: clip(1000),
    "adam-10": lambda: adam(10),
    "adam-1000": lambda: adam(1000),
}


def main(argv):
    if len(argv) < 3 or argv[1] not in WORKLOADS:
        sys.exit("usage: step_bench.py WORKLOAD THREADS [WARMUP STEPS]; workloads: " + ", ".join(WORKLOADS))
    name, threads = argv[1], int(argv[2])
    warmup = int(argv[3]) if len(argv) > 3 else 30
    steps = int(argv[4]) if len(argv) > 4 else 40
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    prepare, step = WORKLOADS[name]()
    last = float("nan")
    for _ in range(warmup):
        if prepare:
            prepare()
        last = step()
    ms = []
    for _ in range(steps):
        if prepare:
            prepare()
        t0 = time.perf_counter()
        last = step()
        ms.append((time.perf_counter() - t0) * 1e3)
    ms.sort()
    print(f"RESULT impl=torch workload={name} threads={torch.get_num_threads()} median_ms={statistics.median(ms):.3f} "
          f"q1_ms={quantile(ms, 0.25):.3f} q3_ms={quantile(ms, 0.75):.3f} steps={steps} loss={last:.6g} "
          f"version={torch.__version__} blas={os.environ.get('GRADSCALE_TORCH_BLAS', 'system')}")


if __name__ == "__main__":
    main(sys.argv)
