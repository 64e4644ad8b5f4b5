#!/usr/bin/python3
"""make_corpus.py - writes the hostile GPT-2 checkpoints of tests/bad_gpt2/ (each a directory
hf_*/ holding config.json and model.safetensors, or an llm.c file llmc_*.bin), their LIST of
expected messages, and the seeds of the fuzz corpora tests/fuzz/corpus/gpt2_hf/ and llmc/.

Each checkpoint is a tiny valid one (2 layers, 2 heads, width 4, vocabulary 5, context 3) with one
thing wrong. The writers here are separate from the tests' C writer (tests/gpt2_files.c), so the
readers are checked against two. Needs only the standard library; run from anywhere:
    python3 tests/bad_gpt2/make_corpus.py
"""
import json
import os
import random
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ = os.path.join(os.path.dirname(HERE), "fuzz", "corpus")

L, H, D, V, CTX = 2, 2, 4, 5, 3


def config(**changes):
    c = {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2",
        "n_ctx": CTX,
        "n_embd": D,
        "n_head": H,
        "n_inner": None,
        "n_layer": L,
        "n_positions": CTX,
        "tie_word_embeddings": True,
        "vocab_size": V,
    }
    for k, v in changes.items():
        if v is DROP:
            del c[k]
        else:
            c[k] = v
    return json.dumps(c, indent=2, sort_keys=True) + "\n"


DROP = object()


# ---- HuggingFace's tensors -----------------------------------------------------------------------
def hf_tensors(layers=L, d=D, vocab=V, ctx=CTX, prefix="", buffers=False, lm_head=False):
    """(name, shape) in state-dict order; Conv1D weights (in, out)."""
    t = [(prefix + "wte.weight", [vocab, d]), (prefix + "wpe.weight", [ctx, d])]
    for l in range(layers):
        h = "%sh.%d." % (prefix, l)
        t += [(h + "ln_1.weight", [d]), (h + "ln_1.bias", [d])]
        if buffers:
            t += [(h + "attn.bias", [1, 1, ctx, ctx]), (h + "attn.masked_bias", [])]
        t += [(h + "attn.c_attn.weight", [d, 3 * d]), (h + "attn.c_attn.bias", [3 * d]),
              (h + "attn.c_proj.weight", [d, d]), (h + "attn.c_proj.bias", [d]),
              (h + "ln_2.weight", [d]), (h + "ln_2.bias", [d]),
              (h + "mlp.c_fc.weight", [d, 4 * d]), (h + "mlp.c_fc.bias", [4 * d]),
              (h + "mlp.c_proj.weight", [4 * d, d]), (h + "mlp.c_proj.bias", [d])]
    t += [(prefix + "ln_f.weight", [d]), (prefix + "ln_f.bias", [d])]
    if lm_head:
        t.append(("lm_head.weight", [vocab, d]))
    return t


def count(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def encode(values, dtype):
    if dtype == "F32":
        return struct.pack("<%df" % len(values), *values)
    if dtype == "F16":
        return struct.pack("<%de" % len(values), *values)
    if dtype == "BF16":  # the top half of each float32 (the values are exact in it)
        return b"".join(struct.pack("<f", v)[2:] for v in values)
    if dtype == "I64":
        return struct.pack("<%dq" % len(values), *[int(v) for v in values])
    raise ValueError(dtype)


SIZES = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}


def safetensors(tensors, dtype="F32", values=None, dtypes=None, seed=1, header_len=None,
                offsets=None, cut=None):
    """The file's bytes: tensors as (name, shape); values[name] replaces a tensor's values,
    dtypes[name] its dtype, offsets[name] its data_offsets; header_len lies about the header's
    length; cut drops bytes from the end."""
    rng = random.Random(seed)
    header = {"__metadata__": {"format": "pt"}}
    data = b""
    for name, shape in tensors:
        dt = (dtypes or {}).get(name, dtype)
        n = count(shape)
        vals = (values or {}).get(name) or [rng.randrange(-64, 64) / 32.0 for _ in range(n)]
        blob = encode(vals, dt)
        span = (offsets or {}).get(name, [len(data), len(data) + len(blob)])
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": span}
        data += blob
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    out = struct.pack("<Q", len(text) if header_len is None else header_len) + text + data
    return out[:len(out) - cut] if cut else out


def hf_case(name, config_text, weights):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(config_text)
    if weights is not None:
        with open(os.path.join(d, "model.safetensors"), "wb") as f:
            f.write(weights)


# ---- llm.c --------------------------------------------------------------------------------------
def llmc(version=3, maxT=CTX, vocab=V, layers=L, heads=H, width=D, vp=8, magic=20240326,
         data=None, extra=b"", cut=0, nan_at=None, seed=2):
    """An llm.c checkpoint: header, then float32 (bfloat16 for version 5) weights in llm.c's
    order; data overrides the weights' byte count, nan_at=(element) puts a NaN there."""
    header = [magic, version, maxT, vocab, layers, heads, width, vp] + [0] * 248
    hb = struct.pack("<256i", *header)
    C = width
    n = (vp * C + maxT * C + layers * (C + C + 3 * C * C + 3 * C + C * C + C + C + C +
                                         4 * C * C + 4 * C + 4 * C * C + C) + 2 * C)
    rng = random.Random(seed)
    vals = [rng.randrange(-64, 64) / 32.0 for _ in range(n if data is None else data)]
    if nan_at is not None:
        vals[nan_at] = float("nan")
    body = encode(vals, "BF16" if version == 5 and data is None else "F32")
    out = hb + body + extra
    return out[:len(out) - cut] if cut else out


def llmc_offset(block, layer, element, C=D, layers=L, vp=8, maxT=CTX):
    """The element index of llm.c's block (by its number 0..15) at a layer."""
    per = [vp * C, maxT * C, C, C, 3 * C * C, 3 * C, C * C, C, C, C, 4 * C * C, 4 * C,
           4 * C * C, C, C, C]
    whole = {0, 1, 14, 15}
    start = 0
    for b in range(block):
        start += per[b] if b in whole else per[b] * layers
    return start + (0 if block in whole else layer * per[block]) + element


def main():
    for e in os.listdir(HERE):
        p = os.path.join(HERE, e)
        if os.path.isdir(p) and e.startswith("hf_"):
            shutil.rmtree(p)
        elif e.startswith("llmc_") and e.endswith(".bin"):
            os.remove(p)
    good = safetensors(hf_tensors())
    lines = []

    def expect(reader, path, file, *parts):
        lines.append(" | ".join(["%s %s" % (reader, path), file] + list(parts)))

    # config.json
    hf_case("hf_not_json", '{"model_type": "gpt2", "n_layer": 2,\n', good)
    expect("hf", "hf_not_json", "hf_not_json/config.json", "not valid JSON")
    hf_case("hf_llama", config(model_type="llama"), good)
    expect("hf", "hf_llama", "hf_llama/config.json", '"model_type" is "llama"', 'only "gpt2"')
    hf_case("hf_n_head_0", config(n_head=0), good)
    expect("hf", "hf_n_head_0", "hf_n_head_0/config.json", '"n_head" is 0; it must be from 1')
    hf_case("hf_n_embd_indivisible", config(n_head=3), good)
    expect("hf", "hf_n_embd_indivisible", "hf_n_embd_indivisible/config.json",
           '"n_embd" 4 is not a multiple of "n_head" 3')
    hf_case("hf_huge_vocab", config(vocab_size=2000000000), good)
    expect("hf", "hf_huge_vocab", "hf_huge_vocab/config.json",
           '"vocab_size" is 2000000000; it must be from 1 to 1000000')
    hf_case("hf_missing_key", config(n_embd=DROP), good)
    expect("hf", "hf_missing_key", "hf_missing_key/config.json", 'missing key "n_embd"')
    hf_case("hf_activation_relu", config(activation_function="relu"), good)
    expect("hf", "hf_activation_relu", "hf_activation_relu/config.json",
           '"activation_function" "relu" is not one this tool runs')
    hf_case("hf_cross_attention", config(add_cross_attention=True), good)
    expect("hf", "hf_cross_attention", "hf_cross_attention/config.json",
           '"add_cross_attention": true is not supported')
    hf_case("hf_no_safetensors", config(), None)
    expect("hf", "hf_no_safetensors", "hf_no_safetensors/model.safetensors", "cannot open")

    # model.safetensors
    t = [x for x in hf_tensors() if x[0] != "h.1.mlp.c_fc.weight"]
    hf_case("hf_missing_tensor", config(), safetensors(t))
    expect("hf", "hf_missing_tensor", "hf_missing_tensor/model.safetensors",
           "missing tensor 'h.1.mlp.c_fc.weight'")
    t = [(n, [4, 10] if n == "h.0.attn.c_attn.weight" else s) for n, s in hf_tensors()]
    hf_case("hf_wrong_shape", config(), safetensors(t))
    expect("hf", "hf_wrong_shape", "hf_wrong_shape/model.safetensors",
           "tensor 'h.0.attn.c_attn.weight' has shape [4, 10], expected [4, 12]")
    t = [(n[len("transformer."):] if n == "transformer.h.1.ln_2.bias" else n, s)
         for n, s in hf_tensors(prefix="transformer.")]
    hf_case("hf_prefix_mixture", config(), safetensors(t))
    expect("hf", "hf_prefix_mixture", "hf_prefix_mixture/model.safetensors",
           "tensor names mix 'transformer.wte.weight' and 'h.1.ln_2.bias'")
    nan = [0.5, 0.25, 1.0, float("nan")]
    hf_case("hf_nan_weight", config(), safetensors(hf_tensors(), values={"h.0.ln_2.weight": nan}))
    expect("hf", "hf_nan_weight", "hf_nan_weight/model.safetensors",
           "tensor 'h.0.ln_2.weight': element 3 is nan")
    inf = [float("inf")] + [0.5] * (V * D - 1)
    hf_case("hf_inf_f16", config(), safetensors(hf_tensors(), dtype="F16",
                                                 values={"wte.weight": inf}))
    expect("hf", "hf_inf_f16", "hf_inf_f16/model.safetensors",
           "tensor 'wte.weight': element 0 is inf")
    hf_case("hf_truncated", config(), good[:len(good) - 10])
    expect("hf", "hf_truncated", "hf_truncated/model.safetensors", "tensor 'ln_f.bias'",
           "run past the data buffer")
    hf_case("hf_header_past_end", config(), safetensors(hf_tensors(), header_len=1000000))
    expect("hf", "hf_header_past_end", "hf_header_past_end/model.safetensors",
           "header length 1000000 runs past the end of the file")
    hf_case("hf_unknown_tensor", config(),
            safetensors(hf_tensors() + [("h.0.mlp.c_gate.weight", [4, 4])]))
    expect("hf", "hf_unknown_tensor", "hf_unknown_tensor/model.safetensors",
           "tensor 'h.0.mlp.c_gate.weight' is not part of GPT-2")
    t = hf_tensors(buffers=True) + [("h.2.attn.bias", [1, 1, CTX, CTX])]
    hf_case("hf_buffer_past_layers", config(), safetensors(t))
    expect("hf", "hf_buffer_past_layers", "hf_buffer_past_layers/model.safetensors",
           "tensor 'h.2.attn.bias' is not part of GPT-2")
    hf_case("hf_untied_no_lm_head", config(tie_word_embeddings=False), good)
    expect("hf", "hf_untied_no_lm_head", "hf_untied_no_lm_head/model.safetensors",
           "missing tensor 'lm_head.weight'")
    hf_case("hf_integer_dtype", config(), safetensors(hf_tensors(), dtypes={"wpe.weight": "I64"}))
    expect("hf", "hf_integer_dtype", "hf_integer_dtype/model.safetensors",
           "tensor 'wpe.weight' has dtype I64; expected F32, F16, BF16 or F64")
    hf_case("hf_overlap", config(), safetensors(hf_tensors(), offsets={"wpe.weight": [0, 48]}))
    expect("hf", "hf_overlap", "hf_overlap/model.safetensors", "overlap tensor")

    # llm.c
    files = {
        "llmc_empty.bin": (b"", "file is 0 bytes, shorter than the 1024-byte header"),
        "llmc_short_header.bin": (llmc()[:100], "file is 100 bytes, shorter than the 1024-byte "
                                  "header"),
        "llmc_bad_magic.bin": (llmc(magic=12345), "magic number 12345 is not llm.c's 20240326"),
        "llmc_tokenizer_magic.bin": (llmc(magic=20240328), "llm.c's tokenizer file, not a model"),
        "llmc_version2.bin": (llmc(version=2), "version 2 (bfloat16 with float32 layer norms"),
        "llmc_version7.bin": (llmc(version=7), "version 7 is not an llm.c checkpoint version"),
        "llmc_version5_float32_data.bin": (llmc(version=5, data=llmc_offset(15, 0, D)),
                                           "bfloat16) calls for"),
        "llmc_truncated.bin": (llmc(cut=4), "calls for"),
        "llmc_trailing.bin": (llmc(extra=b"\0" * 4), "trailing bytes after the weights"),
        "llmc_L0.bin": (llmc(layers=0), "header field 4 (L, the layers) is 0; it must be from 1"),
        "llmc_C_negative.bin": (llmc(width=-1), "header field 6 (C, the width) is -1"),
        "llmc_huge_maxT.bin": (llmc(maxT=1000000000, data=0),
                               "header field 2 (maxT, the context length) is 1000000000"),
        "llmc_vp_below_v.bin": (llmc(vp=4), "header field 7 (Vp, the padded vocabulary) is 4; "
                                "it must be from 5"),
        "llmc_C_not_multiple.bin": (llmc(width=5), "the width C 5 is not a multiple of the "
                                    "heads NH 2"),
        "llmc_huge_model.bin": (llmc(layers=48, width=16384, heads=1024, data=0),
                                "parameters, more than the"),
        "llmc_many_heads.bin": (llmc(heads=2000, width=4000, data=0), "n_head is 2000"),
        "llmc_nan.bin": (llmc(nan_at=llmc_offset(10, 1, 2)),
                         "tensor 'h.1.mlp.c_fc.weight' (llm.c's fcw, layer 1): element 2 is nan"),
    }
    for name, (data, part) in sorted(files.items()):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        expect("llmc", name, name, part)

    with open(os.path.join(HERE, "LIST"), "w") as f:
        f.write("# Written by make_corpus.py. READER PATH | the file the message starts with | "
                "what it says\n")
        f.write("\n".join(lines) + "\n")
    seeds()


def seeds():
    """The fuzz seeds: small valid checkpoints (one layer, so each stays under the 4096 bytes the
    fuzzers try). A gpt2_hf input is config.json, a NUL byte, then model.safetensors."""
    hf = os.path.join(FUZZ, "gpt2_hf")
    lc = os.path.join(FUZZ, "llmc")
    for d in (hf, lc):
        os.makedirs(d, exist_ok=True)
        for e in os.listdir(d):
            if e.startswith("seed_"):
                os.remove(os.path.join(d, e))
    small = dict(n_layer=1)
    cases = {
        "seed_bare_f32": (config(**small), safetensors(hf_tensors(layers=1))),
        "seed_prefix_buffers_f16": (config(**small), safetensors(
            hf_tensors(layers=1, prefix="transformer.", buffers=True), dtype="F16")),
        "seed_untied_bf16": (config(tie_word_embeddings=False, **small), safetensors(
            hf_tensors(layers=1, lm_head=True), dtype="BF16")),
        "seed_minimal_config": (json.dumps({"model_type": "gpt2", "n_layer": 1, "n_head": 2,
                                            "n_embd": 4, "n_ctx": 3, "vocab_size": 5,
                                            "n_inner": 2}),
                                safetensors([(n, [4, 2] if n.endswith("c_fc.weight") else
                                              [2] if n.endswith("c_fc.bias") else
                                              [2, 4] if n.endswith("mlp.c_proj.weight") else s)
                                             for n, s in hf_tensors(layers=1)])),
    }
    for name, (c, st) in cases.items():
        data = c.encode() + b"\0" + st
        assert len(data) < 4096, (name, len(data))
        with open(os.path.join(hf, name), "wb") as f:
            f.write(data)
    for name, data in {
        "seed_v3.bin": llmc(layers=1),
        "seed_v5.bin": llmc(layers=1, version=5),
        "seed_v1.bin": llmc(layers=1, version=1, vp=V),
    }.items():
        assert len(data) < 4096, (name, len(data))
        with open(os.path.join(lc, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
