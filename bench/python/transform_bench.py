"""PyTorch side of TransformBench: clip_grad_norm_ and an Adam step over 10M floats in 10 and 1000 tensors.

One thread. Run with Debian's python (which has torch): /usr/bin/python3 bench/python/transform_bench.py
Prints the median and the minimum over repeated runs, in milliseconds. Gradients are refilled before
each clip, outside the timing, so that every call clips (as in the Java benchmark).
"""
import statistics
import time

import torch

TOTAL = 10_000_000


def bench(fn, before=None, warmup=5, runs=20):
    times = []
    for i in range(warmup + runs):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        if i >= warmup:
            times.append((t1 - t0) * 1e3)
    return statistics.median(times), min(times)


def main():
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    for n in (10, 1000):
        g = torch.Generator().manual_seed(42)
        per = TOTAL // n
        params = [torch.nn.Parameter(torch.randn(per, generator=g)) for _ in range(n)]
        pristine = [torch.randn(per, generator=g) for _ in range(n)]
        for p, q in zip(params, pristine):
            p.grad = q.clone()

        def refill():
            for p, q in zip(params, pristine):
                p.grad.copy_(q)

        med, best = bench(lambda: torch.nn.utils.clip_grad_norm_(params, 1.0), before=refill)
        print(f"clip_grad_norm_  tensors={n:5d}  median {med:7.2f} ms  min {best:7.2f} ms")
        opt = torch.optim.Adam(params, lr=1e-3)
        med, best = bench(opt.step)
        print(f"Adam.step        tensors={n:5d}  median {med:7.2f} ms  min {best:7.2f} ms")


if __name__ == "__main__":
    main()
