#!/usr/bin/python3
"""make_seeds.py - writes the hand-made seeds of the fuzz corpora (tests/fuzz/corpus/NAME/hand_*)
and copies in the project's own sample files (models, fixtures, scripts) as further seeds. The
reproducers of fixed findings (fixed_*) and a few inputs that long runs found to reach new code
(merged_*, picked with libFuzzer's -merge=1) are kept in the corpora by hand.

Needs only the standard library. The sessions are the ones `save` writes; they are kept here as
text so that the corpus does not depend on a build. Run from anywhere:
    python3 tests/fuzz/make_seeds.py
"""
import glob
import json
import os
import shutil
import struct
import warnings
import zipfile

# hand_twice.npz repeats a member on purpose.
warnings.filterwarnings("ignore", "Duplicate name")

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def copy(target, pattern, prefix):
    for path in sorted(glob.glob(os.path.join(TOP, pattern))):
        with open(path, "rb") as f:
            put(target, prefix + os.path.basename(path), f.read())


# ---- the text model format ----------------------------------------------------------------------
def models():
    copy("onnx", "tests/fixtures/*.onnx", "")
    copy("model", "sample_models/*.nn", "")
    copy("model", "tests/bad_models/*.nn", "bad_")
    put("model", "hand_classifier.nn", """model "three way"
inputs a b c
target a > b
data sample 50 a=0:1 b=-1:1 seed=3
layer h1 leaky_relu 0.2
  labels "a plus" "" "c\\"q"
  bias 0.5 -1 +.25
  weights
    1 0 -1
    0x1.8p1 2E1 1e-3
    -0 0 1
layer h2 tanh
  weights
    1 1 1
    -1 -1 -1
layer h3 gelu
  weights
    1 -1
layer h4 sigmoid
  bias
    0.5
  weights
    2
layer out softmax
  weights
    1
    -1
""")
    put("model", "hand_crlf_bom.nn",
        "\ufeffinputs x\r\n# comment\r\nlayer h1 leaky_relu alpha=0.5\r\n  weights\r\n"
        "    1e-45\r\n    -3.4e38\r\nlayer out identity\r\n  weights\r\n    1 1\r\n")
    put("model", "hand_one_input.nn", "model one\ninputs x\ntarget x * x - 1\n"
        "data grid x=-5:5:0.5\nlayer out relu\n  weights\n    1\n  bias -1\n")
    wide = " ".join(str(i) for i in range(20))
    put("model", "hand_wide_bias.nn", "inputs x y\nlayer h1 identity\n  weights\n"
        + "    1 0\n" * 20 + "  bias " + wide + "\nlayer out identity\n  weights\n    "
        + " ".join("1" for _ in range(20)) + "\n")


# ---- scripts of commands, sessions and lectures -------------------------------------------------
SESSION_A = """# intervene session: replay with 'load FILE' or 'intervene -s FILE'
model "builtin:max"
seed 1
metric target
data sample 20 x=0:5 y=0:5 seed=3
input 3 5
source 5 3
ablate h1[1] zero
ablate h1[0] noise k=3 std=neuron samples=3 seed=4
ablate h2[0] patch
# end of session: 9 commands
"""
SESSION_B = """# intervene session: replay with 'load FILE' or 'intervene -s FILE'
model "builtin:max"
seed 9
data grid x=0:10:1 y=0:10:1
input 0 0
ablate h1[0] mean
toggle 1
ablate h2 set 2.5
# end of session: 7 commands
"""
SESSION_C = """# intervene session: replay with 'load FILE' or 'intervene -s FILE'
model "builtin:max"
seed 2
data grid x=0:3:1 y=0:3:1
input x=1 y=2
ablate h1["x-y"] resample samples=4 seed=5
ablate h1[2:4] set 0.5
ablate h2.pre[1] set -1
ablate input[y] noise sigma=0.5 std=site samples=2
# end of session: 8 commands
"""
EVERY_COMMAND = """info
help
help ablate
input 3 5; source 5 3; swap; swap
source none
seed 7
metric target; metric clean; metric
data sample 10 x=0:1 y=0:1 seed=2
data grid x=0:2 y=1
data none
effect
data grid x=0:3:1 y=0:3:1
stats; stats h1.pre
ablate h1[0, 2:4] zero
ablate h1["y-x"] mean
set h2[1] 0.5
patch h1
source 1 2
patch h1[0:2]
ablate h1 noise k=2 samples=3 seed=1
ablate h1[3] resample samples=2
list; toggle 2; drop 1; list
show; show out; show h1.pre
effect
compare h1[0:2]
sweep input[x] 0 3 4
sweep h1[1] -1 1
regions h1
activations h2
say done # a comment
clear
model builtin:max
"""


def scripts():
    copy("command", "tests/golden/*.iv", "golden_")
    copy("command", "tests/bad_scripts/*.iv", "bad_")
    copy("command", "sample_models/lectures/*.iv", "")
    put("command", "hand_every_command.iv", EVERY_COMMAND)
    put("command", "hand_quotes.iv", 'say "a ; b" c\nablate h1["x-y"] set 1; show h1["x-y"]\n'
        'ablate h1[ zero\nsay "unterminated\ninput x=1e39\ninput 1 2 3\n')
    for name, text in (("a", SESSION_A), ("b", SESSION_B), ("c", SESSION_C)):
        put("session", "hand_%s.iv" % name, text)
        # The same without its last line: the form saved before sessions said where they end.
        put("session", "hand_%s_no_end.iv" % name, text[:text.rindex("# end of session")])
    put("session", "hand_bad_count.iv", SESSION_B.replace(": 7 commands", ": 6 commands"))
    put("session", "hand_failing.iv", SESSION_A.replace("ablate h2[0] patch", "ablate h9 zero"))
    put("session", "hand_truncated.iv", SESSION_C[:200])
    copy("session", "tests/golden/worked_values.iv", "golden_")
    copy("demo", "sample_models/lectures/*.demo", "")
    put("demo", "hand_steps.demo", "# a comment\nsay one\n\nsay two\nsay\ninput 3 5\n\r\n"
        "  \tsay three\nview diff\ncursor h1[1]\nablate h1[1] zero\n\n\n")
    put("demo", "hand_unknown.demo", "say fine\nfrobnicate\n")
    put("demo", "hand_empty.demo", "\n\n# only comments\n\n")


# ---- NumPy files --------------------------------------------------------------------------------
def npy(descr, shape, body, fortran=False, version=(1, 0)):
    """A .npy image: magic, version, header length, the header dict padded to 64 bytes, data."""
    shape_text = "(%d,)" % shape[0] if len(shape) == 1 else "(%s)" % ", ".join(map(str, shape))
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", shape_text)
    size_len = 2 if version[0] == 1 else 4
    header += " " * (-(6 + 2 + size_len + len(header) + 1) % 64) + "\n"
    length = struct.pack("<H" if size_len == 2 else "<I", len(header))
    return b"\x93NUMPY" + bytes(version) + length + header.encode() + body


def npys():
    copy("npy", "tests/fixtures/*.npy", "")
    put("npy", "hand_bool_1d.npy", npy("|b1", (4,), bytes([1, 0, 1, 1])))
    put("npy", "hand_u2_big.npy", npy(">u2", (3, 2), struct.pack(">6H", 1, 2, 3, 4, 5, 6)))
    put("npy", "hand_f4_3cols.npy", npy("<f4", (2, 3), struct.pack("<6f", 0, 1, 2, 3, 4, 5)))
    put("npy", "hand_i1_fortran.npy", npy("|i1", (2, 3), fortran=True,
                                          body=struct.pack("<6b", -1, 2, -3, 4, -5, 6)))
    put("npy", "hand_v3.npy", npy("<f8", (2, 2), version=(3, 0),
                                  body=struct.pack("<4d", 1.5, -2.5, 3.5, 4.5)))
    put("npy", "hand_empty_rows.npy", npy("<f8", (0, 2), b""))
    put("npy", "hand_u8_nan.npy", npy("<f8", (1, 2), struct.pack("<2d", float("nan"), 1)))


def npz_bytes(members, compress):
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def npzs():
    copy("npz", "tests/fixtures/*.npz", "")
    x = npy("<f8", (3,), struct.pack("<3d", 0, 1, 2))
    y = npy("<i4", (3,), struct.pack("<3i", 5, 6, 7))
    c = npy("|b1", (3,), bytes([0, 1, 0]))
    X = npy("<f4", (3, 2), struct.pack("<6f", 0, 1, 2, 3, 4, 5))
    put("npz", "hand_named_label.npz", npz_bytes([("x.npy", x), ("y.npy", y), ("c.npy", c)], False))
    put("npz", "hand_X_only.npz", npz_bytes([("X.npy", X)], True))
    put("npz", "hand_not_npy.npz", npz_bytes([("x.npy", x), ("notes.txt", b"hello")], False))
    put("npz", "hand_twice.npz", npz_bytes([("x.npy", x), ("y.npy", y), ("x.npy", y)], True))


# ---- CSV ----------------------------------------------------------------------------------------
def csvs():
    copy("csv", "tests/golden/*.csv", "")
    put("csv", "hand_label.csv", "# points\ny, x, \"class\"\n1,2,0\n\n3, 4 ,1\r\n-0.5,1e3,2\n")
    put("csv", "hand_bom_crlf.csv", "\ufeffx,y\r\n1,2\r\n3,4\r\n")
    put("csv", "hand_bad.csv", "x,y,x\n1,2\n3,nan,4\n,\n")
    put("csv", "hand_only_header.csv", "x,y\n")


# ---- safetensors --------------------------------------------------------------------------------
def safetensors(tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def f32(*v):
    return struct.pack("<%df" % len(v), *v)


def safetensor_files():
    copy("safetensors", "tests/fixtures/*.safetensors", "")
    arch = ("model=max;inputs=x,y;layers=h1:relu,h2:relu,out:identity;target=max(x, y);"
            "data=grid x=0:10:1 y=0:10:1;labels.h1=x-y,y-x,x,y")
    put("safetensors", "hand_max_arch.safetensors", safetensors([
        ("h1.weight", "F32", [4, 2], f32(1, -1, -1, 1, 1, 0, 0, 1)),
        ("h2.weight", "F32", [2, 4], f32(-100, 0, 0, 1, 0, -100, 1, 0)),
        ("out.weight", "F32", [1, 2], f32(1, 1))], {"intervene.architecture": arch}))
    put("safetensors", "hand_half_prefix.safetensors", safetensors([
        ("net.0.weight", "F16", [3, 2], struct.pack("<6H", 0x3c00, 0xbc00, 0x0001, 0x7bff, 0, 0x8000)),
        ("net.0.bias", "BF16", [3], struct.pack("<3H", 0x3f80, 0xbf80, 0x0001)),
        ("net.2.weight", "F64", [1, 3], struct.pack("<3d", 0.5, -0.25, 1e-3))], {"format": "pt"}))
    put("safetensors", "hand_escapes.safetensors", safetensors([
        ("a.weight", "F32", [2, 1], f32(1, 2)), ("b.weight", "F32", [3, 2], f32(1, 0, 0, 1, 1, 1))],
        {"intervene.architecture": "# comment\ninputs = in\\_put ; layers=a:leaky_relu:0.3, "
         "b:softmax\nlabels.b=\\;one,,\\ two"}))
    put("safetensors", "hand_bad_dtype.safetensors", safetensors([
        ("0.weight", "I64", [1, 1], struct.pack("<q", 1))]))


def key_sequences():
    """The explorer's keys on a small transformer (fuzz_keys.c): the first byte the prompt's
    length, then key-table entries by index, 0xFF R C a resize, 0xFE Y X a click."""
    put("keys", "hand_walk", bytes([4]) + bytes(range(0, 60)))
    put("keys", "hand_one_position", bytes([0]) + bytes(range(0, 64, 3)))
    put("keys", "hand_resize", bytes([7, 0xFF, 0, 0]) + bytes(range(59, 0, -2)) +
        bytes([0xFF, 40, 140]) + bytes(range(1, 40, 2)))
    put("keys", "hand_clicks", bytes([2, 0xFE, 5, 16, 0xFE, 7, 30, 0xFE, 3, 12]) +
        bytes(range(10, 40)) + bytes([0xFE, 12, 20]))


def shard_sets():
    """Checkpoints in shards (fuzz_shards.c): the index, a NUL, shard a, a NUL, shard b."""
    a = safetensors([("wte.weight", "F32", [2, 2], f32(1, 2, 3, 4)), ("ln_f.bias", "F32", [2], f32(0, 1))])
    b = safetensors([("wpe.weight", "BF16", [1, 2], struct.pack("<2H", 0x3f80, 0xbf80))])
    index = json.dumps({"metadata": {"total_size": 0}, "weight_map": {
        "wte.weight": "a.safetensors", "ln_f.bias": "a.safetensors", "wpe.weight": "b.safetensors"}})
    put("shards", "hand_two", index.encode() + b"\0" + a + b"\0" + b)
    put("shards", "hand_one", json.dumps({"weight_map": {"wte.weight": "a.safetensors",
        "ln_f.bias": "a.safetensors"}}).encode() + b"\0" + a + b"\0")
    put("shards", "hand_wrong_shard", index.replace('"wpe.weight": "b', '"wpe.weight": "a').encode() +
        b"\0" + a + b"\0" + b)
    put("shards", "hand_outside", index.replace('"b.safetensors"', '"../b.safetensors"').encode() +
        b"\0" + a + b"\0" + b)


if __name__ == "__main__":
    key_sequences()
    shard_sets()
    models()
    scripts()
    npys()
    npzs()
    csvs()
    safetensor_files()
