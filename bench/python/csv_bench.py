"""CSV reading speed of numpy's loadtxt and pandas' read_csv, the twins of bench CsvHarness.

    csv_bench.py FILE [REPEATS]

Per repeat: the raw bytes (open().read()), numpy.loadtxt (float32, header skipped), pandas.read_csv (float32
features). Times are this process's CPU time (time.process_time), so that other processes on a shared machine
do not count, as in CsvHarness; one RESULT line per library with the median and MB/s (10^6 bytes per second).
A library that is not installed is reported as such.
"""
import os
import statistics
import sys
import time


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    mb = os.path.getsize(path) / 1e6
    name = os.path.basename(path)

    def raw():
        with open(path, "rb") as f:
            f.read()

    results = [("python-raw", timed(raw, repeats))]
    try:
        import numpy as np
        results.append(("numpy-loadtxt", timed(lambda: np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32), repeats)))
    except ImportError:
        print("# numpy is not installed for", sys.executable)
    try:
        import pandas as pd
        results.append(("pandas-read_csv", timed(lambda: pd.read_csv(path, dtype="float32"), repeats)))
    except ImportError:
        print("# pandas is not installed for", sys.executable)
    for impl, s in results:
        print(f"RESULT impl={impl} file={name} mb={mb:.1f} s={s:.4f} mbps={mb / s:.0f} repeats={repeats}")


if __name__ == "__main__":
    main()
