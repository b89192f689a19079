#!/usr/bin/python3
"""The digits example's model in PyTorch, as a reference for gradscale's result in the README.

Same data (the committed IDX files, pixels / 255), same model (MLP 64-128-64-10, ReLU, He-normal weights with
fan-in, zero biases), same training (Adam lr 1e-3, global-norm clipping at 1.0, mini-batches of 32 reshuffled each
epoch, 30 epochs, 20 % of the training file held out at random for validation) and the same test rule (the weights
of the epoch with the lowest validation loss, evaluated once on the 360 test images). The random draws differ from
gradscale's, so compare the spread over seeds, not one run.

Run: /usr/bin/python3 examples/digits/torch_reference.py [SEEDS...]   (needs Debian's python3-torch)
"""
import copy
import gzip
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def idx(name):
    with gzip.open(os.path.join(HERE, name), "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return torch.tensor(list(data[16:]), dtype=torch.float32).reshape(n, rows * cols) / 255.0
    return torch.tensor(list(data[8:]), dtype=torch.long)


def run(seed, x, y, xt, yt):
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    order = torch.randperm(len(x), generator=g)
    n_val = round(0.2 * len(x))
    val, tr = order[:n_val], order[n_val:]
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 10))
    for m in model:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            torch.nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    best, best_state = float("inf"), None
    for _ in range(30):
        model.train()
        perm = tr[torch.randperm(len(tr), generator=g)]
        for i in range(0, len(perm), 32):
            b = perm[i:i + 32]
            opt.zero_grad()
            loss_fn(model(x[b]), y[b]).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        model.eval()
        with torch.no_grad():
            v = loss_fn(model(x[val]), y[val]).item()
        if v < best:
            best, best_state = v, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    with torch.no_grad():
        out = model(xt)
        return best, loss_fn(out, yt).item(), (out.argmax(1) == yt).float().mean().item()


def main():
    seeds = [int(s) for s in sys.argv[1:]] or [42, 1, 2, 3, 4]
    x, y = idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz")
    xt, yt = idx("test-images-idx3-ubyte.gz"), idx("test-labels-idx1-ubyte.gz")
    torch.set_num_threads(1)
    print(f"PyTorch {torch.__version__}, MLP 64-128-64-10, 30 epochs, best weights by validation loss")
    accs = []
    for s in seeds:
        val, test_loss, acc = run(s, x, y, xt, yt)
        accs.append(acc)
        print(f"seed {s}: best validation loss {val:.4f}, test loss {test_loss:.4f}, test accuracy {100 * acc:.2f} %")
    print(f"test accuracy over {len(accs)} seeds: mean {100 * sum(accs) / len(accs):.2f} %, "
          f"min {100 * min(accs):.2f} %, max {100 * max(accs):.2f} %")


if __name__ == "__main__":
    main()
