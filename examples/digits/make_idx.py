#!/usr/bin/env python3
"""Turns scikit-learn's 8x8 handwritten digits (digits.csv.gz) into MNIST-style gzip IDX files.

The data: 1797 images of 8x8 pixels, each pixel the count (0..16) of "on" pixels in a 4x4 block of a
32x32 bitmap, from the UCI "Optical Recognition of Handwritten Digits" test set (E. Alpaydin,
C. Kaynak, 1998), as shipped in scikit-learn's data directory; Debian's python3-sklearn package has it
as /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz. Each CSV row is 64 pixels then
the label.

Output, next to this script (or in --out): train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz
(the first 1437 rows), test-images-idx3-ubyte.gz and test-labels-idx1-ubyte.gz (the last 360), pixels
rescaled from 0..16 to 0..255 (round(v * 255 / 16)) so that they read like MNIST's. The gzip header's
time stamp is 0, so the same input gives the same bytes.

Standard library only: python3 make_idx.py [--csv PATH] [--out DIR]
"""
import argparse
import csv
import gzip
import io
import os
import struct

DEFAULT_CSV = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
TRAIN_ROWS = 1437  # 80 % of 1797, the rest is the test set
SIDE = 8
MAX_COUNT = 16


def write_gzip(path, payload):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
            out.write(payload)


def idx_images(rows):
    header = struct.pack(">IIII", 0x00000803, len(rows), SIDE, SIDE)
    return header + bytes(round(v * 255 / MAX_COUNT) for pixels, _ in rows for v in pixels)


def idx_labels(rows):
    return struct.pack(">II", 0x00000801, len(rows)) + bytes(label for _, label in rows)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--csv", default=DEFAULT_CSV, help="digits.csv.gz (default: %(default)s)")
    p.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="output directory")
    a = p.parse_args()
    rows = []
    with gzip.open(a.csv, "rt") as f:
        for n, cells in enumerate(csv.reader(io.StringIO(f.read())), start=1):
            values = [int(float(c)) for c in cells]
            if len(values) != SIDE * SIDE + 1 or not all(0 <= v <= MAX_COUNT for v in values[:-1]) or not 0 <= values[-1] <= 9:
                raise SystemExit(f"{a.csv}, line {n}: expected 64 pixels in 0..16 and a label 0..9, got {cells}")
            rows.append((values[:-1], values[-1]))
    if len(rows) != 1797:
        raise SystemExit(f"{a.csv}: expected the 1797 digits, got {len(rows)} rows")
    os.makedirs(a.out, exist_ok=True)
    for name, part in (("train", rows[:TRAIN_ROWS]), ("test", rows[TRAIN_ROWS:])):
        write_gzip(os.path.join(a.out, f"{name}-images-idx3-ubyte.gz"), idx_images(part))
        write_gzip(os.path.join(a.out, f"{name}-labels-idx1-ubyte.gz"), idx_labels(part))
        print(f"{name}: {len(part)} images of {SIDE}x{SIDE}")


if __name__ == "__main__":
    main()
