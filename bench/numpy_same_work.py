#!/usr/bin/env python3
"""numpy_same_work.py - what `effect` does, done in plain numpy, to compare intervene against.

The same work as bench_scale's model and data (same shapes, not the same numbers): a 784-512-512-10
MLP with ReLU on the hidden layers (layer0, layer1, layer2; weights and biases uniform in
+-1/sqrt(n_in)), and 10,000 inputs uniform in [0, 1) as an (n, 784) float32 .npy file. The work,
timed in a fresh process as a user would run it:

    load X.npy; the clean pass; the intervened pass with layer0[0] zeroed after its ReLU; the
    per-row change (Euclidean norm of intervened - clean output), its mean and maximum, and the
    loss gap (mean squared error of the intervened output to the clean one)

which is what `intervene MODEL -c 'data load X.npy; ablate layer0[0] zero; effect'` reports (the
engine also computes the dataset's per-neuron statistics when it loads the data, which this
script does not: it is the least a numpy user would write).

How to run the comparison (numpy is Debian's python3-numpy; if another python3 comes first on
PATH, e.g. pyenv's, run /usr/bin/python3):

    cd build && make
    /usr/bin/python3 ../bench/numpy_same_work.py --intervene ./intervene

This writes the model (DIR/mlp.safetensors, its architecture in the metadata) and the inputs
(DIR/x.npy) to a temporary directory, runs the numpy work and then intervene on the same files,
each in its own process, and prints NAME VALUE UNIT lines: each one's wall time (spawn to exit)
and peak RSS (getrusage of that process), numpy's time without the interpreter's start-up and
numpy's import, and intervene's time and peak RSS as ratios to numpy's. Without --intervene only
the numpy lines are printed. --write DIR keeps the files in DIR (and prints the intervene command
to time by hand, e.g. with /usr/bin/time -v); --rows N uses N rows instead of 10,000.

Run with --work DIR, the script is the timed child: it does the work on DIR's files and prints
its own lines.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

WIDTHS = (784, 512, 512, 10)
LAYERS = ("layer0", "layer1", "layer2")
COMMAND = "data load {x}; ablate layer0[0] zero; effect"


def work(directory):
    """The timed work, in this process: returns after printing its lines."""
    import numpy as np

    t0 = time.monotonic()
    with np.load(os.path.join(directory, "params.npz")) as p:
        params = [(p[name + ".weight"], p[name + ".bias"]) for name in LAYERS]
    x = np.load(os.path.join(directory, "x.npy"))

    def forward(ablate):
        a = x
        for i, (w, b) in enumerate(params):
            a = a @ w.T + b
            if i + 1 < len(params):
                np.maximum(a, 0, out=a)
            if i == 0 and ablate:
                a[:, 0] = 0  # layer0[0] zero, after the activation
        return a

    clean = forward(False)
    intervened = forward(True)
    diff = intervened - clean
    change = np.sqrt(np.einsum("ij,ij->i", diff, diff, dtype=np.float64))  # per row
    mean_change, max_change = float(change.mean()), float(change.max())
    loss_gap = float(np.mean(np.sum(np.square(diff, dtype=np.float64), axis=1)))
    seconds = time.monotonic() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    print("numpy_effect_work_s %.3f s" % seconds)
    print("numpy_effect_self_peak_rss_mb %.1f MB" % rss)
    print("numpy_effect_mean_change %.6g value" % mean_change, file=sys.stderr)
    print("numpy_effect_max_change %.6g value" % max_change, file=sys.stderr)
    print("numpy_effect_loss_gap %.6g value" % loss_gap, file=sys.stderr)


def write_files(directory, rows, seed):
    """The model as safetensors (for intervene) and .npz (for the numpy child), and the inputs."""
    import numpy as np

    rng = np.random.default_rng(seed)
    tensors = []
    for name, n_in, n_out in zip(LAYERS, WIDTHS[:-1], WIDTHS[1:]):
        s = 1.0 / np.sqrt(n_in)
        tensors.append((name + ".weight", rng.uniform(-s, s, (n_out, n_in)).astype("<f4")))
        tensors.append((name + ".bias", rng.uniform(-s, s, (n_out,)).astype("<f4")))
    np.savez(os.path.join(directory, "params.npz"), **dict(tensors))

    arch = "inputs=%s; layers=%s" % (
        ",".join("p%d" % i for i in range(WIDTHS[0])),
        ",".join("%s:%s" % (n, "relu" if i + 1 < len(LAYERS) else "identity")
                 for i, n in enumerate(LAYERS)))
    header, offset = {"__metadata__": {"intervene.architecture": arch}}, 0
    for name, t in tensors:
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(directory, "mlp.safetensors"), "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for _, t in tensors:
            f.write(t.tobytes())

    x = rng.random((rows, WIDTHS[0]), dtype=np.float32)
    np.save(os.path.join(directory, "x.npy"), x.astype("<f4"))


def timed(argv):
    """Runs argv as a child; returns (wall seconds, peak RSS in MB, its stdout, exit status)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    seconds = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return seconds, ru.ru_maxrss / 1024.0, out.decode(errors="replace"), p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--intervene", metavar="PATH", help="also time this intervene program")
    ap.add_argument("--write", metavar="DIR", help="keep the model and the inputs in DIR")
    ap.add_argument("--rows", type=int, default=10000, help="inputs (default 10000)")
    ap.add_argument("--seed", type=int, default=20240607)
    ap.add_argument("--work", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.work:
        work(args.work)
        return 0

    directory = args.write or tempfile.mkdtemp(prefix="numpy_same_work.")
    try:
        os.makedirs(directory, exist_ok=True)
        write_files(directory, args.rows, args.seed)
        x = os.path.join(directory, "x.npy")
        model = os.path.join(directory, "mlp.safetensors")
        command = COMMAND.format(x='"%s"' % x)
        if args.write:
            print("# intervene %s -c '%s'" % (model, command), file=sys.stderr)

        print("numpy_rows %d count" % args.rows)
        me = os.path.abspath(__file__)
        n_s, n_rss, out, rc = timed([sys.executable, me, "--work", directory])
        sys.stdout.write(out)
        if rc != 0:
            print("numpy_effect_s failed s")
            return 1
        print("numpy_effect_s %.3f s" % n_s)
        print("numpy_effect_peak_rss_mb %.1f MB" % n_rss)
        if args.intervene:
            i_s, i_rss, _, rc = timed([args.intervene, model, "-c", command])
            if rc != 0:
                print("intervene_effect_s failed s")
                return 1
            print("intervene_effect_s %.3f s" % i_s)
            print("intervene_effect_peak_rss_mb %.1f MB" % i_rss)
            print("intervene_per_numpy_time %.2f ratio" % (i_s / n_s))
            print("intervene_per_numpy_peak_rss %.2f ratio" % (i_rss / n_rss))
    finally:
        if not args.write:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
