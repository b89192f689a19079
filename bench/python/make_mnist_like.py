#!/usr/bin/python3
"""Writes MNIST-shaped IDX files for the end-to-end bench: 60 000 training and 10 000 test images of 28x28, 10 classes.

    /usr/bin/python3 bench/python/make_mnist_like.py OUT_DIR [--seed SEED]

The images are the repository's 8x8 handwritten digits (examples/digits: scikit-learn's 1797 images of the UCI
"Optical Recognition of Handwritten Digits" set as gzip IDX files, 1437 training and 360 test images, pixels 0..255)
upsampled to MNIST's geometry: each 8x8 image is enlarged 3x by bilinear interpolation to 24x24 and placed on a 28x28 canvas at
a random shift of -2..2 pixels in each direction, its ink scaled by a random factor in [0.75, 1.25] and perturbed by
Gaussian noise (sd 12) where there is ink; the background stays exactly 0, as in MNIST (about 60 % of the pixels).
Training images come from the 1437 training digits, test images from the 360 test digits, so the test set measures
generalisation to unseen writers' digits, not to new jitter of seen ones.

Output (uncompressed, as MNIST's files once decompressed): train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte. Same seed, same bytes (numpy's PCG64 generator).
"""
import argparse
import gzip
import os
import struct

import numpy as np

DIGITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "digits")
TRAIN_IMAGES = 60_000
TEST_IMAGES = 10_000
SIDE = 28
UP = 3  # 8 x 3 = 24 pixels, 2 pixels of margin on each side of 28
MAX_SHIFT = 2
NOISE_SD = 12.0
INK_SCALE = (0.75, 1.25)
DEFAULT_SEED = 2026


def read_digits(directory, prefix):
    """The 8x8 images of {prefix}-images-idx3-ubyte.gz as floats [n, 8, 8] and their labels."""
    with gzip.open(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"), "rb") as f:
        data = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x803 or (rows, cols) != (8, 8):
        raise SystemExit(f"{directory}/{prefix}-images-idx3-ubyte.gz: expected IDX images of 8x8, got magic {magic:#x}, "
                         f"{rows}x{cols}")
    images = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, 8, 8).astype(np.float32)
    with gzip.open(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"), "rb") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    if len(labels) != n:
        raise SystemExit(f"{directory}/{prefix}-labels-idx1-ubyte.gz: {len(labels)} labels for {n} images")
    return images, labels


def upsample(images):
    """Bilinear 3x enlargement of [n, 8, 8] to [n, 24, 24], sample centres aligned as in image resizing."""
    src = (np.arange(8 * UP) + 0.5) / UP - 0.5
    lo = np.clip(np.floor(src).astype(int), 0, 7)
    hi = np.clip(lo + 1, 0, 7)
    w = np.clip(src - lo, 0.0, 1.0)
    rows = images[:, lo, :] * (1 - w)[None, :, None] + images[:, hi, :] * w[None, :, None]
    return rows[:, :, lo] * (1 - w)[None, None, :] + rows[:, :, hi] * w[None, None, :]


def make(big, labels, count, rng):
    pick = rng.integers(0, len(big), count)
    dy = rng.integers(-MAX_SHIFT, MAX_SHIFT + 1, count)
    dx = rng.integers(-MAX_SHIFT, MAX_SHIFT + 1, count)
    ink = rng.uniform(*INK_SCALE, count).astype(np.float32)
    out = np.zeros((count, SIDE, SIDE), dtype=np.float32)
    size = 8 * UP
    for sy in range(-MAX_SHIFT, MAX_SHIFT + 1):
        for sx in range(-MAX_SHIFT, MAX_SHIFT + 1):
            sel = np.nonzero((dy == sy) & (dx == sx))[0]
            y0, x0 = MAX_SHIFT + sy, MAX_SHIFT + sx
            out[sel, y0:y0 + size, x0:x0 + size] = big[pick[sel]]
    noise = rng.normal(0.0, NOISE_SD, out.shape).astype(np.float32)
    out = np.where(out > 0.5, out * ink[:, None, None] + noise, 0.0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), labels[pick]


def write_idx(path, array):
    header = (struct.pack(">IIII", 0x803, *array.shape) if array.ndim == 3
              else struct.pack(">II", 0x801, array.shape[0]))
    with open(path, "wb") as f:
        f.write(header)
        f.write(np.ascontiguousarray(array).tobytes())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", help="output directory")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--digits", default=DIGITS, help="directory of the 8x8 digits' IDX files (default: %(default)s)")
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    train = make(upsample(*read_digits(a.digits, "train")[:1]), read_digits(a.digits, "train")[1], TRAIN_IMAGES, rng)
    test = make(upsample(*read_digits(a.digits, "test")[:1]), read_digits(a.digits, "test")[1], TEST_IMAGES, rng)
    os.makedirs(a.out, exist_ok=True)
    for prefix, (x, y) in (("train", train), ("t10k", test)):
        write_idx(os.path.join(a.out, f"{prefix}-images-idx3-ubyte"), x)
        write_idx(os.path.join(a.out, f"{prefix}-labels-idx1-ubyte"), y)


if __name__ == "__main__":
    main()
