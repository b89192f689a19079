#!/usr/bin/python3
"""PyTorch twin of bench/e2e/mnist-like-mlp.yaml: the same training run on the same IDX files, phase by phase.

    /usr/bin/python3 bench/python/e2e_torch.py DATA_DIR [THREADS]

Reads train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte from
DATA_DIR (checking their IDX headers), pixels / 255. Holds out a random 20 % of the training images for
validation (gradscale's default share), trains an MLP 784-256-128-10 with ReLU (He-normal weights with fan-in,
zero biases, as gradscale's init: he) by Adam (lr 1e-3) after global-norm clipping at 1.0
(clip_grad_norm_), mini-batches of 64 reshuffled each epoch, 5 epochs, the validation loss and accuracy after
each epoch, then the test set once with the last weights.

Prints one RESULT line: load_s (reading and converting the files), train_s (the epoch loop, validation
included), eval_s (the test set) and total_s (the process from the interpreter's start, import torch included,
to the end of the evaluation), with the test accuracy.
"""
import os
import struct
import sys
import time

import numpy as np
import torch

VALIDATION = 0.2
BATCH = 64
EPOCHS = 5
LR = 1e-3
CLIP = 1.0
SEED = 42


def process_seconds():
    """Seconds since this process started (its /proc start time), so that the interpreter's start counts."""
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def read_idx(path, magic):
    with open(path, "rb") as f:
        data = f.read()
    found, n = struct.unpack(">II", data[:8])
    if found != magic:
        raise SystemExit(f"{path}: expected IDX magic {magic:#x}, got {found:#x}")
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        pixels = np.frombuffer(data, dtype=np.uint8, offset=16)
        if pixels.size != n * rows * cols:
            raise SystemExit(f"{path}: expected {n} images of {rows}x{cols}, got {pixels.size} bytes")
        return torch.from_numpy(pixels.reshape(n, rows * cols).astype(np.float32) / 255.0)
    labels = np.frombuffer(data, dtype=np.uint8, offset=8)
    if labels.size != n:
        raise SystemExit(f"{path}: expected {n} labels, got {labels.size}")
    return torch.from_numpy(labels.astype(np.int64))


def evaluate(model, loss_fn, x, y):
    model.eval()
    with torch.no_grad():
        out = model(x)
        return loss_fn(out, y).item(), (out.argmax(1) == y).float().mean().item()


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: e2e_torch.py DATA_DIR [THREADS]")
    data = argv[1]
    torch.set_num_threads(int(argv[2]) if len(argv) > 2 else 1)
    t0 = time.perf_counter()
    x = read_idx(os.path.join(data, "train-images-idx3-ubyte"), 0x803)
    y = read_idx(os.path.join(data, "train-labels-idx1-ubyte"), 0x801)
    xt = read_idx(os.path.join(data, "t10k-images-idx3-ubyte"), 0x803)
    yt = read_idx(os.path.join(data, "t10k-labels-idx1-ubyte"), 0x801)
    if len(x) != len(y) or len(xt) != len(yt):
        raise SystemExit(f"{data}: images and labels differ in number")
    g = torch.Generator().manual_seed(SEED)
    torch.manual_seed(SEED)
    order = torch.randperm(len(x), generator=g)
    n_val = round(VALIDATION * len(x))
    xv, yv = x[order[:n_val]], y[order[:n_val]]
    xtr, ytr = x[order[n_val:]], y[order[n_val:]]
    t1 = time.perf_counter()

    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    for m in model:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            torch.nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    params = list(model.parameters())
    steps = 0
    for _ in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(perm), BATCH):
            b = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(xtr[b]), ytr[b])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, CLIP)
            opt.step()
            steps += 1
        val_loss, val_acc = evaluate(model, loss_fn, xv, yv)
    t2 = time.perf_counter()
    test_loss, test_acc = evaluate(model, loss_fn, xt, yt)
    t3 = time.perf_counter()
    total = process_seconds()
    print(f"RESULT impl=torch threads={torch.get_num_threads()} load_s={t1 - t0:.3f} train_s={t2 - t1:.3f} "
          f"eval_s={t3 - t2:.3f} total_s={total:.3f} steps={steps} val_loss={val_loss:.5g} val_acc={val_acc:.4f} "
          f"test_loss={test_loss:.5g} test_acc={test_acc:.4f} version={torch.__version__}")


if __name__ == "__main__":
    main(sys.argv)
