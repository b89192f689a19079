#!/usr/bin/python3
"""Turns the foundation benchmark results into the tables of docs/PERFORMANCE.md.

Usage: foundation_table.py DIR
DIR holds gemm.json and reduction.json (JMH sample mode, -rf json) and openblas-<threads>-<run>.tsv from
gemm_openblas.py. OpenBLAS was measured before and after the JMH run; the table uses the faster of
the two (the stricter comparison) and shows both so the noise is visible.
Our figures use JMH's median call time (the OpenBLAS script reports medians too); "p90 +x%" says how
much longer the 90th-percentile call took, a measure of how noisy the machine was.
Prints Markdown.
"""
import glob
import json
import os
import sys


def flops(shape):
    dims = shape.partition(":")[0]
    m, n, k = (int(x) for x in dims.split("x"))
    return 2.0 * m * n * k


def seconds(result):
    """Median call time and the 90th percentile's excess over it, in seconds, from a SampleTime result."""
    metric = result["primaryMetric"]
    unit = metric["scoreUnit"]
    scale = {"s/op": 1.0, "ms/op": 1e-3, "us/op": 1e-6, "ns/op": 1e-9}[unit]
    pct = metric["scorePercentiles"]
    return pct["50.0"] * scale, (pct["90.0"] - pct["50.0"]) * scale


def load_openblas(directory):
    runs = {}
    for path in sorted(glob.glob(os.path.join(directory, "openblas-*.tsv"))):
        with open(path) as f:
            for line in f:
                shape, threads, _, gflops = line.rstrip("\n").split("\t")
                runs.setdefault((shape, int(threads)), []).append(float(gflops))
    return runs


def gemm_table(directory):
    with open(os.path.join(directory, "gemm.json")) as f:
        results = json.load(f)
    ours = {}
    order = []
    for r in results:
        shape = r["params"]["shape"]
        threads = int(r["params"]["threads"])
        t, err = seconds(r)
        ours[(shape, threads)] = (flops(shape) / t / 1e9, err / t)
        if shape not in order:
            order.append(shape)
    blas = load_openblas(directory)
    print("| shape (MxNxK:op) | ours 1T | OpenBLAS 1T | ratio 1T | ours 2T | OpenBLAS 2T | ratio 2T | ours 2T/1T |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for shape in order:
        row = [shape]
        g = {}
        for threads in (1, 2):
            mine, rel = ours.get((shape, threads), (float("nan"), 0.0))
            ob = blas.get((shape, threads), [])
            best = max(ob) if ob else float("nan")
            g[threads] = mine
            row.append("%.1f (p90 +%.0f%%)" % (mine, 100 * rel))
            row.append("%.1f (%s)" % (best, ", ".join("%.1f" % v for v in ob)) if ob else "n/a")
            row.append("%.2f" % (mine / best) if ob else "n/a")
        row.append("%.2f" % (g[2] / g[1]))
        print("| " + " | ".join(row) + " |")


def reduction_table(directory):
    with open(os.path.join(directory, "reduction.json")) as f:
        results = json.load(f)
    nbytes = {"sumSquares": 4 * 10_000_000, "readBandwidth": 4 * 100_000_000}
    rates = {}
    for r in results:
        name = r["benchmark"].rsplit(".", 1)[1]
        threads = int(r["params"]["threads"])
        t, err = seconds(r)
        rates[(name, threads)] = (nbytes[name] / t / 1e9, err / t)
    print("| threads | sumSquares, 10M floats (GB/s) | read bandwidth, 400 MB (GB/s) | fraction of bandwidth |")
    print("|---:|---:|---:|---:|")
    for threads in (1, 2):
        s, se = rates[("sumSquares", threads)]
        b, be = rates[("readBandwidth", threads)]
        print("| %d | %.1f (p90 +%.0f%%) | %.1f (p90 +%.0f%%) | %.2f |" % (threads, s, 100 * se, b, 100 * be, s / b))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: foundation_table.py DIR")
    directory = sys.argv[1]
    print("### GEMM (GFLOPS; OpenBLAS: best of the runs in parentheses)\n")
    gemm_table(directory)
    # run-foundation.sh --gemm-only leaves no reduction results.
    if os.path.exists(os.path.join(directory, "reduction.json")):
        print("\n### Reductions\n")
        reduction_table(directory)


if __name__ == "__main__":
    main()
