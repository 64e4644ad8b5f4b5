#!/usr/bin/env python3
"""numpy_inlp.py - INLP as a numpy user writes it, the reference bench_erasure runs beside its own.

Reads the rows X (n, d) float32 and classes y (n) int32 that bench_erasure wrote as .npy files;
the first TRAIN rows train, the rest are held out. Each of ITERATIONS steps refits a probe on the
training rows projected by P, as the INLP reference does (it refits a classifier on X P every
time), scores it on the held-out rows projected the same way, then removes the probe's direction:
P = I - B^T B, B an orthonormal basis of every direction so far (from an SVD). The probe is ridge
regression on the centred rows, the intercept unpenalised, lambda 1: the same probe
bench_erasure's INLP fits from its statistics, so the accuracies must agree. With --svc (and
scikit-learn importable) the probe is scikit-learn's LinearSVC instead, as in the INLP paper.

Prints NAME VALUE UNIT lines: each step's held-out accuracy, and the seconds the loop took
(without reading the files or importing numpy).

    /usr/bin/python3 numpy_inlp.py X.npy y.npy TRAIN ITERATIONS [--svc]
"""
import sys
import time

import numpy as np


def ridge(x, t, lam):
    mu, tm = x.mean(axis=0), t.mean()
    xc = x - mu
    w = np.linalg.solve(xc.T @ xc + lam * np.eye(x.shape[1]), xc.T @ (t - tm))
    return w, tm - mu @ w


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    svc = "--svc" in sys.argv
    x = np.load(args[0]).astype(np.float64)
    y = np.load(args[1]).astype(np.float64)
    train, iterations = int(args[2]), int(args[3])
    xt, yt, xh, yh = x[:train], y[:train], x[train:], y[train:]
    d = x.shape[1]
    if svc:
        from sklearn.svm import LinearSVC
    t0 = time.perf_counter()
    p = np.eye(d)
    directions = []
    for step in range(iterations):
        if svc:
            clf = LinearSVC(fit_intercept=True, dual=False).fit(xt @ p, yt)  # primal: n > d
            w, b, cut = clf.coef_[0], clf.intercept_[0], 0.0
        else:
            w, b = ridge(xt @ p, yt, 1.0)
            cut = 0.5
        acc = np.mean(((xh @ p) @ w + b > cut) == (yh > 0.5))
        print("numpy_inlp_step%02d_heldout %.4f fraction" % (step + 1, acc))
        directions.append(w / np.linalg.norm(w))
        _, s, vt = np.linalg.svd(np.array(directions), full_matrices=False)
        basis = vt[s > max(len(directions), d) * s[0] * np.finfo(float).eps]
        p = np.eye(d) - basis.T @ basis
    print("numpy_inlp_seconds %.4f s" % (time.perf_counter() - t0))
    print("numpy_inlp_probe %s name" % ("LinearSVC" if svc else "ridge"))


if __name__ == "__main__":
    main()
