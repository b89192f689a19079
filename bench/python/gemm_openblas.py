#!/usr/bin/python3
"""SGEMM throughput of OpenBLAS through numpy, at the shapes of GemmBench.

Run with Debian's python (/usr/bin/python3, numpy from python3-numpy) and OpenBLAS installed
(`apt-get install libopenblas0-pthread`). Debian's numpy calls whatever libblas.so.3 the loader finds;
this script re-executes itself with the OpenBLAS directory first on LD_LIBRARY_PATH and the thread
count in OPENBLAS_NUM_THREADS (both are read only when the library loads), then checks that the
process really mapped libopenblas.

Usage: gemm_openblas.py --threads N [--seconds S] [--shapes 512x512x512 ...]
Prints one tab-separated line per shape: shape, threads, median seconds, GFLOPS (2mnk / median).
"""
import argparse
import os
import statistics
import sys
import time

OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-pthread"

# Same list as GemmBench's @Param: m x n x k, then the transposes of A and B (N or T).
SHAPES = [
    "128x128x128:NN", "256x256x256:NN", "512x512x512:NN", "1024x1024x1024:NN",
    "128x512x784:NN", "128x256x512:NN", "128x10x256:NN",
    "128x784x512:NT", "128x512x256:NT", "128x256x10:NT",
    "784x512x128:TN", "512x256x128:TN", "256x10x128:TN",
]


def parse(shape):
    dims, _, trans = shape.partition(":")
    m, n, k = (int(x) for x in dims.split("x"))
    trans = trans or "NN"
    return m, n, k, trans[0] == "T", trans[1] == "T"


def ensure_env(threads):
    want = {
        "OPENBLAS_NUM_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "LD_LIBRARY_PATH": OPENBLAS_DIR,
    }
    if all(os.environ.get(k) == v for k, v in want.items()):
        return
    if not os.path.exists(os.path.join(OPENBLAS_DIR, "libblas.so.3")):
        sys.exit("OpenBLAS not found in %s: apt-get install libopenblas0-pthread" % OPENBLAS_DIR)
    env = dict(os.environ, **want)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def check_openblas():
    with open("/proc/self/maps") as f:
        maps = f.read()
    if "libopenblas" not in maps:
        sys.exit("numpy did not load OpenBLAS (libopenblas is not mapped); refusing to report netlib BLAS figures")


def measure(np, shape, seconds, rng):
    m, n, k, ta, tb = parse(shape)
    # Stored shapes; .T gives a transposed view, which numpy passes to sgemm as a transpose flag.
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    opa = a.T if ta else a
    opb = b.T if tb else b
    out = np.empty((m, n), dtype=np.float32)
    for _ in range(3):
        np.matmul(opa, opb, out=out)
    times = []
    deadline = time.perf_counter() + seconds
    while len(times) < 10 or time.perf_counter() < deadline:
        t0 = time.perf_counter()
        np.matmul(opa, opb, out=out)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return med, 2.0 * m * n * k / med / 1e9


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--seconds", type=float, default=2.0, help="time spent per shape (default 2)")
    p.add_argument("--shapes", nargs="*", default=SHAPES)
    args = p.parse_args()
    ensure_env(args.threads)
    import numpy as np
    check_openblas()
    rng = np.random.default_rng(1)
    for shape in args.shapes:
        med, gflops = measure(np, shape, args.seconds, rng)
        print("%s\t%d\t%.6e\t%.2f" % (shape, args.threads, med, gflops), flush=True)


if __name__ == "__main__":
    main()
