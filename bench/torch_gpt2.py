#!/usr/bin/env python3
"""torch_gpt2.py - the same work as bench_gpt2 in PyTorch: a GPT-2-small-sized model (12 layers,
12 heads, width 768, context 1024, vocabulary 50257, tied embeddings) with random weights, its
forward pass over 16 prompts of 32 tokens and over one prompt of 32, each the best of five runs,
on as many threads as the machine has cores (as OpenBLAS uses), or $OMP_NUM_THREADS. Prints NAME VALUE UNIT
lines, which bench_gpt2 prints beside its own."""
import math
import os
import sys
import time

import torch

L, H, D, CTX, V = 12, 12, 768, 1024, 50257


def gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def make():
    g = torch.Generator().manual_seed(42)
    def w(*shape):
        return (torch.rand(*shape, generator=g) * 2 - 1) * 0.0346
    blocks = [dict(qkv=w(3 * D, D), qkv_b=w(3 * D), proj=w(D, D), proj_b=w(D),
                   fc=w(4 * D, D), fc_b=w(4 * D), out=w(D, 4 * D), out_b=w(D)) for _ in range(L)]
    return w(V, D), w(CTX, D), blocks


def forward(wte, wpe, blocks, tokens):
    B, T = tokens.shape
    x = wte[tokens] + wpe[:T]
    mask = torch.full((T, T), float("-inf")).triu(1)
    ones, zeros = torch.ones(D), torch.zeros(D)
    for b in blocks:
        h = torch.nn.functional.layer_norm(x, (D,), ones, zeros, 1e-5)
        q, k, v = torch.nn.functional.linear(h, b["qkv"], b["qkv_b"]).split(D, dim=2)
        q, k, v = (t.view(B, T, H, D // H).transpose(1, 2) for t in (q, k, v))
        pattern = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(D // H) + mask, dim=-1)
        z = (pattern @ v).transpose(1, 2).reshape(B, T, D)
        x = x + torch.nn.functional.linear(z, b["proj"], b["proj_b"])
        h = torch.nn.functional.layer_norm(x, (D,), ones, zeros, 1e-5)
        x = x + torch.nn.functional.linear(gelu_tanh(torch.nn.functional.linear(h, b["fc"], b["fc_b"])),
                                           b["out"], b["out_b"])
    x = torch.nn.functional.layer_norm(x, (D,), ones, zeros, 1e-5)
    return x @ wte.T


def best(f, runs=5):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    wte, wpe, blocks = make()
    with torch.no_grad():
        for prompts in (16, 1):
            tokens = (torch.arange(prompts * 32) * 7919 % V).view(prompts, 32)
            t = best(lambda: forward(wte, wpe, blocks, tokens))
            print(f"torch_gpt2_small_forward_{prompts}x32 {t * 1e3:.1f} ms")
    print(f"torch_threads {torch.get_num_threads()} count")


if __name__ == "__main__":
    sys.exit(main())
