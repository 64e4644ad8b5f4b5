#!/usr/bin/env python3
"""Writes the datasets of the hierarchical equality task (as in the pyvene DAS tutorial).

Each example has four entities w, x, y, z, each a vector of DIM numbers drawn uniformly from
[-1, 1] and rounded to 2 decimals, and three labels:
    WX = (w == x),  YZ = (y == z),  O = (WX == YZ)
Rows are drawn evenly from the four patterns ABCD, AABB, AACD and ABCC (a repeated letter is the
same entity; different letters are different entities), so that each of WX and YZ is true on half
of the rows and O on half, then shuffled.

The output is an .npz (a zip of .npy arrays) that `data load` reads: one float32 array per input,
named as the model's inputs w0 .. w{DIM-1}, x0 .., y0 .., z0 .., and the labels WX, YZ and O as
0/1 arrays. The same seed gives the same file, byte for byte (the zip's dates are fixed).

    make_hierarchical_equality_data.py                     # both files committed beside it:
        hierarchical-equality.npz       dim 2, 1,000 rows  (the hand-built network's)
        hierarchical-equality-dim4.npz  dim 4, 20,000 rows (for a trained network)
    make_hierarchical_equality_data.py --dim 4 --rows 20000 --seed 7 --out eq4.npz

Needs python3 and numpy (e.g. Debian's python3-numpy); the tests read the files, not this.
"""
import argparse
import io
import os
import zipfile

import numpy as np

PATTERNS = ("ABCD", "AABB", "AACD", "ABCC")


def entity(rng, dim):
    return np.round(rng.uniform(-1.0, 1.0, dim), 2)


def distinct_entities(rng, dim, count):
    """count entities, no two equal."""
    out = []
    while len(out) < count:
        e = entity(rng, dim)
        if all(not np.array_equal(e, o) for o in out):
            out.append(e)
    return out


def example(rng, dim, pattern):
    letters = sorted(set(pattern))
    ents = dict(zip(letters, distinct_entities(rng, dim, len(letters))))
    return [ents[c] for c in pattern]


def make(dim, rows, seed):
    rng = np.random.default_rng(seed)
    patterns = [PATTERNS[i % len(PATTERNS)] for i in range(rows)]
    rng.shuffle(patterns)
    ents = np.zeros((rows, 4, dim))
    for r, pattern in enumerate(patterns):
        ents[r] = example(rng, dim, pattern)
    arrays = {}
    for k, name in enumerate("wxyz"):
        for i in range(dim):
            arrays["%s%d" % (name, i)] = ents[:, k, i].astype(np.float32)
    wx = np.all(ents[:, 0] == ents[:, 1], axis=1)
    yz = np.all(ents[:, 2] == ents[:, 3], axis=1)
    arrays["WX"] = wx.astype(np.float64)
    arrays["YZ"] = yz.astype(np.float64)
    arrays["O"] = (wx == yz).astype(np.float64)
    return arrays


def write_npz(path, arrays):
    """np.savez, but with fixed dates so that the bytes depend only on the arrays."""
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
        for name, a in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(a), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, buf.getvalue())
    os.replace(tmp, path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dim", type=int, help="entries of each entity vector")
    ap.add_argument("--rows", type=int, help="examples (a multiple of 4 keeps the patterns even)")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--out", help="the .npz to write")
    args = ap.parse_args()
    if args.dim is None:
        jobs = [(2, 1000, os.path.join(here, "hierarchical-equality.npz")),
                (4, 20000, os.path.join(here, "hierarchical-equality-dim4.npz"))]
    else:
        rows = args.rows or (1000 if args.dim == 2 else 20000)
        out = args.out or os.path.join(here, "hierarchical-equality-dim%d.npz" % args.dim)
        jobs = [(args.dim, rows, out)]
    for dim, rows, out in jobs:
        write_npz(out, make(dim, rows, args.seed))
        print("wrote %s (dim %d, %d rows)" % (out, dim, rows))


if __name__ == "__main__":
    main()
