#!/usr/bin/env python3
"""Writes pronoun.npz, the dataset of the pronoun sample: occupation words whose embedding carries
a gender signal that decides the pronoun a small network predicts.

Each row is one occupation word seen in one context (a minimal pair: "the nurse said that he" /
"... she"), as a DIM-number embedding (inputs e0 .. e{DIM-1}):

    e = o_k + GENDER * g * u + noise

o_k the occupation's own vector (12 occupations, seeded Gaussian vectors made orthogonal to u),
u a fixed unit direction, g = +1 for "she" and -1 for "he", noise N(0, NOISE^2) in every entry. The
gender follows the occupation's stereotype three times in four (a she-stereotyped occupation is
"she" on 75% of its rows), so the occupation alone says something about the pronoun, as in word
embeddings trained on text. Labels:
    gender      0 he, 1 she (what the network is trained to predict: its outputs are he, she)
    occupation  0 .. 11 (see OCCUPATIONS)
    stereotype  the occupation's stereotyped gender, 0 he, 1 she

The .npz is what `data load` reads: one float32 array per input, the labels as float64. The same
seed gives the same file byte for byte (the zip's dates are fixed). Needs python3 and numpy; the
tests read the file, not this.

    make_pronoun_data.py                 # writes pronoun.npz beside it (6,000 rows)
"""
import argparse
import io
import os
import zipfile

import numpy as np

OCCUPATIONS = ("nurse", "engineer", "teacher", "mechanic", "librarian", "pilot",
               "secretary", "carpenter", "dancer", "plumber", "receptionist", "surgeon")
STEREOTYPE = (1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0)  # 1: "she"
DIM, GENDER, NOISE, FOLLOWS = 24, 1.0, 0.3, 0.75


def make(rows, seed):
    rng = np.random.default_rng(seed)
    u = rng.normal(size=DIM)
    u /= np.linalg.norm(u)
    occ = rng.normal(size=(len(OCCUPATIONS), DIM))
    occ -= np.outer(occ @ u, u)  # the gender signal is u's alone
    k = rng.integers(0, len(OCCUPATIONS), size=rows)
    stereo = np.array(STEREOTYPE)[k]
    follows = rng.uniform(size=rows) < FOLLOWS
    gender = np.where(follows, stereo, 1 - stereo)
    g = 2.0 * gender - 1.0
    e = occ[k] + GENDER * g[:, None] * u[None, :] + NOISE * rng.normal(size=(rows, DIM))
    arrays = {"e%d" % i: e[:, i].astype(np.float32) for i in range(DIM)}
    arrays["gender"] = gender.astype(np.float64)
    arrays["occupation"] = k.astype(np.float64)
    arrays["stereotype"] = stereo.astype(np.float64)
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
    ap.add_argument("--rows", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(here, "pronoun.npz"))
    args = ap.parse_args()
    write_npz(args.out, make(args.rows, args.seed))
    print("wrote %s (%d rows)" % (args.out, args.rows))


if __name__ == "__main__":
    main()
