#!/usr/bin/python3
"""make_tiny_max.py - trains a 2-layer GPT-2 to say max(X, Y) after "X Y =" and writes it in
HuggingFace's layout (config.json + model.safetensors, "transformer."-prefixed names with the
legacy attention buffers), as llm.c's model.bin, with its vocabulary tokens.txt and a README.md,
plus tests/fixtures/gpt2/tiny-max-fixture.npz.

Run from anywhere:  /usr/bin/python3 sample_models/tiny-max/make_tiny_max.py
The same run writes the same bytes. """
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import gpt2_reference as ref  # noqa: E402

FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures", "gpt2")
WORDS = [str(i) for i in range(10)] + ["="]
EQUALS = 10
CFG = ref.Config(n_layer=2, n_head=4, d_model=32, d_mlp=128, n_ctx=4, d_vocab=len(WORDS))
FIXTURE_PAIRS = [(3, 5), (7, 2), (0, 9), (8, 4)]   # the first is the intervene_prompt
MAX_STEPS, TARGET_LOSS = 5000, 0.01


def prompts(pairs):
    return torch.tensor([[x, y, EQUALS] for x, y in pairs])


def train():
    pairs = [(x, y) for x in range(10) for y in range(10)]
    tokens = prompts(pairs)
    answer = torch.tensor([max(p) for p in pairs])
    model = ref.GPT2(CFG)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    # Every prompt right is the goal; training on to a small loss leaves a margin, so the
    # engine's float32 sums (in another order) cannot flip an answer.
    for step in range(1, MAX_STEPS + 1):
        logits = model(tokens)[:, -1]
        loss = F.cross_entropy(logits, answer)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            with torch.no_grad():
                last = model(tokens)[:, -1]
                acc = (last.argmax(-1) == answer).float().mean().item()
                loss_now = F.cross_entropy(last, answer).item()
            if acc == 1.0 and loss_now < TARGET_LOSS:
                break
    with torch.no_grad():
        last = model(tokens)[:, -1]
        acc = (last.argmax(-1) == answer).float().mean().item()
        loss_now = F.cross_entropy(last, answer).item()
    print("tiny-max: %d steps, accuracy %.2f on all 100 prompts, loss %.5f" % (step, acc, loss_now))
    if acc != 1.0:
        raise SystemExit("tiny-max: training did not get every prompt right")
    return model, step, acc, loss_now


def write_readme(steps, acc, loss):
    text = """# tiny-max

A 2-layer GPT-2 (d_model {d}, {h} heads, d_mlp {m}, n_ctx {c}, vocabulary of {v} words: "0".."9"
and "=") trained to complete "X Y =" with max(X, Y), the lecture's max task written as tokens.
Trained with Adam on all 100 prompts, cross-entropy at the last position only: {steps} steps,
accuracy {acc:.2f}, loss {loss:.5f}.

Files: config.json + model.safetensors (HuggingFace GPT-2 layout, "transformer." names with the
legacy attention buffers), model.bin (the same weights as an llm.c checkpoint), tokens.txt (line k
is token k). bos_token_id and eos_token_id name "=", as the task has no special token.

Regenerate (same bytes every run):  /usr/bin/python3 sample_models/tiny-max/make_tiny_max.py
""".format(d=CFG.d_model, h=CFG.n_head, m=CFG.d_mlp, c=CFG.n_ctx, v=CFG.d_vocab, steps=steps,
           acc=acc, loss=loss)
    with open(os.path.join(HERE, "README.md"), "w") as f:
        f.write(text)


def main():
    ref.set_deterministic(0)
    model, steps, acc, loss = train()
    model.eval()
    # The reference dataset the engine opens it with: all 100 prompts "X Y =" (token 10 is "=").
    ref.write_hf(model, HERE, legacy=True, intervene_prompt="3 5 =", bos_token_id=EQUALS,
                 eos_token_id=EQUALS, intervene_dataset="grid t0=0:9:1 t1=0:9:1 t2=10:10:1")
    ref.write_llmc(model, os.path.join(HERE, "model.bin"))
    ref.write_tokens(WORDS, os.path.join(HERE, "tokens.txt"))
    write_readme(steps, acc, loss)

    tokens = prompts(FIXTURE_PAIRS)
    source = prompts([(y, x) for x, y in FIXTURE_PAIRS])
    last = CFG.n_layer - 1
    zero, mean, patch = (last, 0), (last, 0), (1, 0, source)
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, "tiny-max-fixture.npz")
    with torch.no_grad():
        ref.save_npz(path, ref.fixture_arrays(model, tokens, zero, mean, patch))
        print("tiny-max: float32 forward vs float64 naive: max relative difference %.2e"
              % ref.check_against_naive(model, tokens))
        for what, rebuilt in (("model.safetensors", ref.load_hf(HERE)),
                              ("model.bin", ref.load_llmc(os.path.join(HERE, "model.bin")))):
            n = ref.check_fixture(rebuilt, path, zero, mean, patch)
            print("tiny-max: rebuilt from %s: all %d fixture arrays equal exactly" % (what, n))


if __name__ == "__main__":
    main()
