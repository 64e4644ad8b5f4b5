"""gpt2_reference.py - a plain-PyTorch GPT-2 that records every activation under TransformerLens's
hook names, runs interventions, and writes what the C engine reads: HuggingFace's config.json +
model.safetensors, llm.c's model.bin, a word-level tokens.txt and .npz fixtures.

It is the reference the engine's GPT-2 is tested against, so it is written to follow GPT-2's
published architecture literally rather than to be fast:

  x = wte[tokens] + wpe[positions]                               hook_embed + hook_pos_embed
  per block L:                                                   blocks.L.hook_resid_pre
    a = LayerNorm(x) (with its weight and bias)                  blocks.L.ln1.hook_normalized
    q, k, v = split(a W_attn^T + b_attn) into heads of d/H       blocks.L.attn.hook_q/_k/_v
    pattern = softmax over keys of q k^T / sqrt(d/H), keys
              after the query masked                             blocks.L.attn.hook_pattern
    z = pattern v                                                blocks.L.attn.hook_z
    attn_out = concat_heads(z) W_O^T + b_O                       blocks.L.hook_attn_out
    x = x + attn_out                                             blocks.L.hook_resid_mid
    m = LayerNorm(x)                                             blocks.L.ln2.hook_normalized
    pre = m W_fc^T + b_fc                                        blocks.L.mlp.hook_pre
    post = gelu_tanh(pre)                                        blocks.L.mlp.hook_post
    x = x + post W_proj^T + b_proj                               blocks.L.hook_mlp_out,
                                                                 blocks.L.hook_resid_post
  ln_final(x) @ wte^T                                            ln_final.hook_normalized, logits

Unlike TransformerLens, ln1/ln2/ln_final.hook_normalized hold the layer norm's output including
its weight and bias (TransformerLens folds those into the next weights); the engine names its
sites the same way, so the names are kept.

Every value is float32 and batch-first: (B, T, d), (B, T, H, dh) for q/k/v/z, (B, H, Tq, Tk) for
the pattern. Weights are kept in nn.Linear's layout (out, in), y = x W^T + b. """
import json
import math
import os
import struct
import zipfile

import numpy as np
import torch


def set_deterministic(seed):
    """Seeds torch and asks for reproducible kernels, so a generating script writes the same bytes
    every time it runs."""
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


class Config:
    """The sizes of a GPT-2: n_layer blocks of n_head heads over a d_model-wide residual stream,
    an MLP of d_mlp, n_ctx positions, d_vocab tokens, layer norm epsilon ln_eps."""

    def __init__(self, n_layer, n_head, d_model, d_mlp, n_ctx, d_vocab, ln_eps=1e-5):
        if d_model % n_head != 0:
            raise ValueError("d_model %d is not a multiple of n_head %d" % (d_model, n_head))
        self.n_layer, self.n_head, self.d_model, self.d_mlp = n_layer, n_head, d_model, d_mlp
        self.n_ctx, self.d_vocab, self.ln_eps = n_ctx, d_vocab, ln_eps

    @property
    def d_head(self):
        return self.d_model // self.n_head


def hook_names(cfg):
    """Every hook one forward pass records, in the order it computes them."""
    names = ["hook_embed", "hook_pos_embed"]
    for L in range(cfg.n_layer):
        b = "blocks.%d." % L
        names += [b + "hook_resid_pre", b + "ln1.hook_normalized", b + "attn.hook_q",
                  b + "attn.hook_k", b + "attn.hook_v", b + "attn.hook_pattern", b + "attn.hook_z",
                  b + "hook_attn_out", b + "hook_resid_mid", b + "ln2.hook_normalized",
                  b + "mlp.hook_pre", b + "mlp.hook_post", b + "hook_mlp_out",
                  b + "hook_resid_post"]
    return names + ["ln_final.hook_normalized", "logits"]


def gelu_tanh(x):
    """GPT-2's GELU ("gelu_new"): the tanh approximation, written out as the paper gives it."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


class Block(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg.d_model
        self.cfg = cfg
        self.ln_1 = torch.nn.LayerNorm(d, eps=cfg.ln_eps)
        self.c_attn = torch.nn.Linear(d, 3 * d)   # rows: W_Q, then W_K, then W_V
        self.attn_proj = torch.nn.Linear(d, d)
        self.ln_2 = torch.nn.LayerNorm(d, eps=cfg.ln_eps)
        self.c_fc = torch.nn.Linear(d, cfg.d_mlp)
        self.mlp_proj = torch.nn.Linear(cfg.d_mlp, d)

    def forward(self, x, hook, prefix):
        cfg = self.cfg
        B, T, d = x.shape
        H, dh = cfg.n_head, cfg.d_head
        x = hook(prefix + "hook_resid_pre", x)
        a = hook(prefix + "ln1.hook_normalized", self.ln_1(x))
        q, k, v = self.c_attn(a).split(d, dim=-1)
        q = hook(prefix + "attn.hook_q", q.reshape(B, T, H, dh))
        k = hook(prefix + "attn.hook_k", k.reshape(B, T, H, dh))
        v = hook(prefix + "attn.hook_v", v.reshape(B, T, H, dh))
        scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / math.sqrt(dh)
        later_key = torch.ones(T, T, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(later_key, float("-inf"))
        pattern = hook(prefix + "attn.hook_pattern", torch.softmax(scores, dim=-1))
        z = hook(prefix + "attn.hook_z", torch.einsum("bhqk,bkhe->bqhe", pattern, v))
        attn_out = hook(prefix + "hook_attn_out", self.attn_proj(z.reshape(B, T, d)))
        x = hook(prefix + "hook_resid_mid", x + attn_out)
        m = hook(prefix + "ln2.hook_normalized", self.ln_2(x))
        pre = hook(prefix + "mlp.hook_pre", self.c_fc(m))
        post = hook(prefix + "mlp.hook_post", gelu_tanh(pre))
        mlp_out = hook(prefix + "hook_mlp_out", self.mlp_proj(post))
        return hook(prefix + "hook_resid_post", x + mlp_out)


class GPT2(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.wte = torch.nn.Parameter(torch.randn(cfg.d_vocab, cfg.d_model) * 0.02)
        self.wpe = torch.nn.Parameter(torch.randn(cfg.n_ctx, cfg.d_model) * 0.01)
        self.blocks = torch.nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = torch.nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)

    def forward(self, tokens, interventions=None, cache=None):
        """Logits (B, T, V) for tokens (B, T). interventions maps a hook name to a function of
        the value there that returns its replacement; cache, a dict, receives every hook's value
        as the rest of the pass sees it (after any intervention)."""
        interventions = interventions or {}

        def hook(name, value):
            if name in interventions:
                value = interventions[name](value)
            if cache is not None:
                cache[name] = value
            return value

        T = tokens.shape[1]
        if T > self.cfg.n_ctx:
            raise ValueError("%d tokens, more than n_ctx %d" % (T, self.cfg.n_ctx))
        embed = hook("hook_embed", self.wte[tokens])
        pos_embed = hook("hook_pos_embed", self.wpe[:T].unsqueeze(0).expand_as(embed))
        x = embed + pos_embed
        for L, block in enumerate(self.blocks):
            x = block(x, hook, "blocks.%d." % L)
        x = hook("ln_final.hook_normalized", self.ln_f(x))
        return hook("logits", x @ self.wte.T)

    @torch.no_grad()
    def run_with_cache(self, tokens, interventions=None):
        cache = {}
        self.forward(tokens, interventions, cache)
        return cache


# ---- interventions: each returns a function of a hook's value that gives its replacement ----

def replace_flat(indices, values):
    """Sets the given flat indices of each prompt's value (its own C-order flattening, e.g.
    (T, H, dh) for hook_z) to values (one number, or one per index)."""
    idx = torch.as_tensor(indices, dtype=torch.long)

    def f(x):
        y = x.clone().reshape(x.shape[0], -1)
        y[:, idx] = torch.as_tensor(values, dtype=x.dtype)
        return y.reshape(x.shape)
    return f


def zero_head(head):
    """hook_z of one head zeroed at every position."""
    def f(z):
        z = z.clone()
        z[:, :, head, :] = 0.0
        return z
    return f


def mean_head(head):
    """hook_z of one head replaced, at each position, by its mean over the batch's prompts."""
    def f(z):
        z = z.clone()
        z[:, :, head, :] = z[:, :, head, :].mean(dim=0, keepdim=True)
        return z
    return f


def patch_position(source_value, pos):
    """The value at one position replaced by source_value's (row i from source row i): a hook's
    value from a clean run on other prompts."""
    def f(x):
        x = x.clone()
        x[:, pos] = source_value[:, pos]
        return x
    return f


# ---- the HuggingFace layout ----

def hf_tensors(model):
    """The weights under HuggingFace GPT-2's names, Conv1D weights as HF stores them: (in, out)."""
    t = {"wte.weight": model.wte, "wpe.weight": model.wpe}
    for L, b in enumerate(model.blocks):
        p = "h.%d." % L
        t[p + "ln_1.weight"], t[p + "ln_1.bias"] = b.ln_1.weight, b.ln_1.bias
        t[p + "attn.c_attn.weight"], t[p + "attn.c_attn.bias"] = b.c_attn.weight.T, b.c_attn.bias
        t[p + "attn.c_proj.weight"] = b.attn_proj.weight.T
        t[p + "attn.c_proj.bias"] = b.attn_proj.bias
        t[p + "ln_2.weight"], t[p + "ln_2.bias"] = b.ln_2.weight, b.ln_2.bias
        t[p + "mlp.c_fc.weight"], t[p + "mlp.c_fc.bias"] = b.c_fc.weight.T, b.c_fc.bias
        t[p + "mlp.c_proj.weight"], t[p + "mlp.c_proj.bias"] = b.mlp_proj.weight.T, b.mlp_proj.bias
    t["ln_f.weight"], t["ln_f.bias"] = model.ln_f.weight, model.ln_f.bias
    return {k: v.detach().to(torch.float32).contiguous() for k, v in t.items()}


def write_safetensors(tensors, path):
    """The safetensors format by hand: 8-byte little-endian header length, a JSON header padded
    with spaces to a multiple of 8, then each tensor's little-endian bytes in header order."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        data = tensors[name].numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """The tensors of a float32 safetensors file, its header parsed here (not by a library)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode())
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError("%s: tensor '%s' is %s, not F32" % (path, name, info["dtype"]))
        b, e = info["data_offsets"]
        arr = np.frombuffer(raw[8 + n + b:8 + n + e], dtype="<f4").reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def write_hf(model, directory, legacy, intervene_prompt, bos_token_id, eos_token_id,
             intervene_dataset=None):
    """config.json and model.safetensors. legacy: every name under "transformer." with the
    attention buffers older checkpoints carry (h.L.attn.bias, the causal mask as float ones on and
    below the diagonal, and h.L.attn.masked_bias = -1e4); else bare names without buffers. The
    unembedding is tied to wte, so there is no lm_head.weight. intervene_dataset, when given, is
    the reference dataset the engine opens the model with (a `data` spec)."""
    cfg = model.cfg
    config = {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.0,
        "bos_token_id": bos_token_id,
        "embd_pdrop": 0.0,
        "eos_token_id": eos_token_id,
        "initializer_range": 0.02,
        "intervene_prompt": intervene_prompt,
        "layer_norm_epsilon": cfg.ln_eps,
        "model_type": "gpt2",
        "n_ctx": cfg.n_ctx,
        "n_embd": cfg.d_model,
        "n_head": cfg.n_head,
        "n_inner": None if cfg.d_mlp == 4 * cfg.d_model else cfg.d_mlp,
        "n_layer": cfg.n_layer,
        "n_positions": cfg.n_ctx,
        "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.0,
        "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": cfg.d_vocab,
    }
    if intervene_dataset is not None:
        config["intervene_dataset"] = intervene_dataset
    with open(os.path.join(directory, "config.json"), "w") as f:
        f.write(json.dumps(config, indent=2, sort_keys=True) + "\n")
    tensors = hf_tensors(model)
    if legacy:
        tensors = {"transformer." + k: v for k, v in tensors.items()}
        mask = torch.tril(torch.ones(cfg.n_ctx, cfg.n_ctx)).reshape(1, 1, cfg.n_ctx, cfg.n_ctx)
        for L in range(cfg.n_layer):
            tensors["transformer.h.%d.attn.bias" % L] = mask
            tensors["transformer.h.%d.attn.masked_bias" % L] = torch.tensor(-1e4)
    write_safetensors(tensors, os.path.join(directory, "model.safetensors"))


def load_hf(directory):
    """A GPT2 rebuilt from config.json + model.safetensors (either layout)."""
    with open(os.path.join(directory, "config.json")) as f:
        c = json.load(f)
    cfg = Config(c["n_layer"], c["n_head"], c["n_embd"], c["n_inner"] or 4 * c["n_embd"],
                 c["n_positions"], c["vocab_size"], c["layer_norm_epsilon"])
    t = read_safetensors(os.path.join(directory, "model.safetensors"))
    t = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in t.items()}
    model = GPT2(cfg)
    with torch.no_grad():
        model.wte.copy_(t["wte.weight"])
        model.wpe.copy_(t["wpe.weight"])
        for L, b in enumerate(model.blocks):
            p = "h.%d." % L
            b.ln_1.weight.copy_(t[p + "ln_1.weight"])
            b.ln_1.bias.copy_(t[p + "ln_1.bias"])
            b.c_attn.weight.copy_(t[p + "attn.c_attn.weight"].T)
            b.c_attn.bias.copy_(t[p + "attn.c_attn.bias"])
            b.attn_proj.weight.copy_(t[p + "attn.c_proj.weight"].T)
            b.attn_proj.bias.copy_(t[p + "attn.c_proj.bias"])
            b.ln_2.weight.copy_(t[p + "ln_2.weight"])
            b.ln_2.bias.copy_(t[p + "ln_2.bias"])
            b.c_fc.weight.copy_(t[p + "mlp.c_fc.weight"].T)
            b.c_fc.bias.copy_(t[p + "mlp.c_fc.bias"])
            b.mlp_proj.weight.copy_(t[p + "mlp.c_proj.weight"].T)
            b.mlp_proj.bias.copy_(t[p + "mlp.c_proj.bias"])
        model.ln_f.weight.copy_(t["ln_f.weight"])
        model.ln_f.bias.copy_(t["ln_f.bias"])
    return model


# ---- llm.c's checkpoint ----
# train_gpt2.c's gpt2_build_from_checkpoint reads 256 int32: magic 20240326, version 3 (float32,
# padded vocabulary), maxT, V, L, NH, C, Vp; then the 16 parameter tensors of its
# ParameterTensors struct, in that order, float32, each layer's tensors stacked over L, weights in
# nn.Linear's (out, in) layout. wte has Vp rows (V rounded up to a multiple of 128), the padding
# rows zero. The MLP is 4C wide, the activation GELU tanh and every layer norm's eps 1e-5.

LLMC_MAGIC, LLMC_VERSION_F32, LLMC_VOCAB_MULTIPLE = 20240326, 3, 128


def _llmc_order(model):
    blocks = model.blocks
    per_layer = [lambda b: b.ln_1.weight, lambda b: b.ln_1.bias, lambda b: b.c_attn.weight,
                 lambda b: b.c_attn.bias, lambda b: b.attn_proj.weight, lambda b: b.attn_proj.bias,
                 lambda b: b.ln_2.weight, lambda b: b.ln_2.bias, lambda b: b.c_fc.weight,
                 lambda b: b.c_fc.bias, lambda b: b.mlp_proj.weight, lambda b: b.mlp_proj.bias]
    return blocks, per_layer


def write_llmc(model, path):
    cfg = model.cfg
    if cfg.d_mlp != 4 * cfg.d_model or cfg.ln_eps != 1e-5:
        raise ValueError("llm.c's checkpoint fixes d_mlp = 4 d_model and eps 1e-5")
    V, C = cfg.d_vocab, cfg.d_model
    Vp = (V + LLMC_VOCAB_MULTIPLE - 1) // LLMC_VOCAB_MULTIPLE * LLMC_VOCAB_MULTIPLE
    header = np.zeros(256, dtype="<i4")
    header[:8] = [LLMC_MAGIC, LLMC_VERSION_F32, cfg.n_ctx, V, cfg.n_layer, cfg.n_head, C, Vp]
    wte = torch.zeros(Vp, C)
    wte[:V] = model.wte.detach()
    parts = [wte, model.wpe.detach()]
    blocks, per_layer = _llmc_order(model)
    parts += [torch.stack([get(b).detach() for b in blocks]) for get in per_layer]
    parts += [model.ln_f.weight.detach(), model.ln_f.bias.detach()]
    with open(path, "wb") as f:
        f.write(header.tobytes())
        for p in parts:
            f.write(p.to(torch.float32).contiguous().numpy().astype("<f4").tobytes())


def load_llmc(path):
    """A GPT2 rebuilt from an llm.c float32 checkpoint."""
    raw = np.fromfile(path, dtype="<u1")
    header = raw[:1024].view("<i4")
    if header[0] != LLMC_MAGIC or header[1] != LLMC_VERSION_F32:
        raise ValueError("%s: not an llm.c float32 checkpoint" % path)
    maxT, V, L, NH, C, Vp = (int(v) for v in header[2:8])
    data = raw[1024:].view("<f4")
    cfg = Config(L, NH, C, 4 * C, maxT, V)
    model = GPT2(cfg)
    blocks, per_layer = _llmc_order(model)
    at = 0

    def take(shape):
        nonlocal at
        n = int(np.prod(shape))
        chunk = torch.from_numpy(data[at:at + n].copy()).reshape(shape)
        at += n
        return chunk

    with torch.no_grad():
        model.wte.copy_(take((Vp, C))[:V])
        model.wpe.copy_(take((maxT, C)))
        for get in per_layer:
            stacked = take((L,) + tuple(get(blocks[0]).shape))
            for i, b in enumerate(blocks):
                get(b).copy_(stacked[i])
        model.ln_f.weight.copy_(take((C,)))
        model.ln_f.bias.copy_(take((C,)))
    if at != data.size:
        raise ValueError("%s: %d floats after the tensors" % (path, data.size - at))
    return model


def write_tokens(words, path):
    """A word-level vocabulary: line k is token k's text."""
    with open(path, "w") as f:
        f.write("".join(w + "\n" for w in words))


# ---- fixtures ----

def as_rows(value):
    """An array as the engine reads one: each prompt's values in a row, in the engine's flat
    layout (the trailing axes position-major, as the fixtures' (B, T, ...) shapes already are),
    and a scalar as one element."""
    value = np.asanyarray(value)
    if value.ndim == 0:
        return value.reshape(1)
    return value.reshape(value.shape[0], -1) if value.ndim > 2 else value


def save_npz(path, arrays):
    """numpy.savez's format (an uncompressed zip of .npy members, zip64 forced as numpy does)
    with each member's timestamp fixed, so the same arrays give the same bytes. Every array is
    written as rows (as_rows): the engine reads .npy arrays of one or two dimensions."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for key, value in ((k, as_rows(v)) for k, v in arrays.items()):
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o600 << 16
            with z.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asanyarray(value), allow_pickle=False)


def fixture_arrays(model, tokens, zero, mean, patch):
    """The fixture's arrays (see tests/fixtures/gpt2/README.md). zero and mean are
    (layer, head); patch is (layer, pos, source tokens)."""
    cfg = model.cfg
    out = {"tokens": tokens.numpy().astype(np.int32)}
    for name, value in model.run_with_cache(tokens).items():
        out[name] = value.numpy().astype(np.float32)

    def record(prefix, cache):
        out[prefix + ".logits"] = cache["logits"].numpy().astype(np.float32)
        for L in range(cfg.n_layer):
            key = "blocks.%d.hook_resid_post" % L
            out[prefix + "." + key] = cache[key].numpy().astype(np.float32)

    layer, head = zero
    out["zero.layer"], out["zero.head"] = np.int32(layer), np.int32(head)
    record("zero", model.run_with_cache(
        tokens, {"blocks.%d.attn.hook_z" % layer: zero_head(head)}))

    layer, head = mean
    out["mean.layer"], out["mean.head"] = np.int32(layer), np.int32(head)
    mean_run = model.run_with_cache(tokens, {"blocks.%d.attn.hook_z" % layer: mean_head(head)})
    out["mean.logits"] = mean_run["logits"].numpy().astype(np.float32)

    layer, pos, source = patch
    site = "blocks.%d.hook_resid_pre" % layer
    source_value = model.run_with_cache(source)[site]
    out["patch.source"] = source.numpy().astype(np.int32)
    out["patch.layer"], out["patch.pos"] = np.int32(layer), np.int32(pos)
    record("patch", model.run_with_cache(
        tokens, {site: patch_position(source_value, pos)}))
    return out


def check_fixture(model, path, zero, mean, patch):
    """Recomputes every array of the fixture at path with model (one rebuilt from the written
    files) and returns how many arrays there are; raises if any differs in a single bit."""
    with np.load(path) as z:
        stored = {k: z[k] for k in z.files}
    fresh = fixture_arrays(model, torch.from_numpy(stored["tokens"].astype(np.int64)), zero, mean,
                           (patch[0], patch[1],
                            torch.from_numpy(stored["patch.source"].astype(np.int64))))
    fresh = {k: as_rows(v) for k, v in fresh.items()}
    if sorted(fresh) != sorted(stored):
        raise AssertionError("%s: keys differ" % path)
    for k in stored:
        if stored[k].dtype != fresh[k].dtype or not np.array_equal(stored[k], fresh[k]):
            raise AssertionError("%s: '%s' differs" % (path, k))
    return len(stored)


# ---- an independent check of the forward pass ----

def naive_logits(model, tokens):
    """The logits of one prompt computed again in float64 numpy, one position and head at a time,
    from the weights alone: a check that the batched float32 code above does what the docstring
    says (masking, head split, scaling, layer norm placement, tying)."""
    cfg = model.cfg
    p = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}

    def ln(x, w, b):
        mu = x.mean()
        var = ((x - mu) ** 2).mean()
        return (x - mu) / math.sqrt(var + cfg.ln_eps) * w + b

    T, H, dh = len(tokens), cfg.n_head, cfg.d_head
    resid = [p["wte"][tok] + p["wpe"][t] for t, tok in enumerate(tokens)]
    for L in range(cfg.n_layer):
        g = lambda name: p["blocks.%d.%s" % (L, name)]
        qkv = [g("c_attn.weight") @ ln(x, g("ln_1.weight"), g("ln_1.bias")) + g("c_attn.bias")
               for x in resid]
        d = cfg.d_model
        new = []
        for t in range(T):
            z = np.zeros(d)
            for h in range(H):
                s = slice(h * dh, (h + 1) * dh)
                q = qkv[t][:d][s]
                scores = np.array([q @ qkv[u][d:2 * d][s] / math.sqrt(dh) for u in range(t + 1)])
                w = np.exp(scores - scores.max())
                w /= w.sum()
                z[s] = sum(w[u] * qkv[u][2 * d:][s] for u in range(t + 1))
            new.append(resid[t] + g("attn_proj.weight") @ z + g("attn_proj.bias"))
        resid = []
        for x in new:
            pre = g("c_fc.weight") @ ln(x, g("ln_2.weight"), g("ln_2.bias")) + g("c_fc.bias")
            post = 0.5 * pre * (1 + np.tanh(math.sqrt(2 / math.pi) * (pre + 0.044715 * pre ** 3)))
            resid.append(x + g("mlp_proj.weight") @ post + g("mlp_proj.bias"))
    return np.array([p["wte"] @ ln(x, p["ln_f.weight"], p["ln_f.bias"]) for x in resid])


def check_against_naive(model, tokens, tol=1e-4):
    """Largest difference between the model's logits and naive_logits over a batch; raises past
    tol (relative to the logits' scale)."""
    with torch.no_grad():
        fast = model(tokens).double().numpy()
    worst = 0.0
    for i in range(tokens.shape[0]):
        slow = naive_logits(model, tokens[i].tolist())
        worst = max(worst, float(np.abs(fast[i] - slow).max() / max(1.0, np.abs(slow).max())))
    if worst > tol:
        raise AssertionError("float32 forward differs from the float64 naive one by %g" % worst)
    return worst
