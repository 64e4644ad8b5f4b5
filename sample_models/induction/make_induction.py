#!/usr/bin/python3
"""make_induction.py - trains a 2-layer GPT-2 on "<bos> r r" (r a random run of distinct tokens)
to predict the repeat, finds its induction head (layer 1) and previous-token head (layer 0) by
their attention patterns, and writes it in HuggingFace's layout (config.json +
model.safetensors, bare names, no buffers) with tokens.txt and a README.md, plus
tests/fixtures/gpt2/induction-fixture.npz.

Run from anywhere:  /usr/bin/python3 sample_models/induction/make_induction.py
The same run writes the same bytes. """
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import gpt2_reference as ref  # noqa: E402

FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures", "gpt2")
WORDS = [chr(ord("A") + i) for i in range(26)] + [".", "!", "?", "<bos>"]
BOS = WORDS.index("<bos>")
N_PLAIN = BOS                  # r draws from ids 0 .. BOS-1
# Training varies len(r) from batch to batch and puts a gap of fresh tokens between the two
# copies in most batches. With the copies always adjacent and len(r) in a narrow range, the repeat
# is predicted without an induction head: layer-0 heads match the current token's first
# occurrence and spread attention over the few distances r's length allows, and the MLP decodes
# the mixture. A random distance between the copies leaves induction as the way to predict.
RUNS = (8, 9, 10)
GAPS = tuple(range(9))
RUN = 8                        # len(r) of the fixture's prompts and the intervene_prompt
CFG = ref.Config(n_layer=2, n_head=4, d_model=64, d_mlp=256,
                 n_ctx=1 + 2 * max(RUNS) + max(GAPS), d_vocab=len(WORDS))
BATCH, LR, STEPS = 64, 2e-3, 3000


def sequences(count, run, gap=0, generator=None):
    """count sequences <bos> r g r: r `run` distinct tokens drawn uniformly, g `gap` more tokens
    (none of them in r)."""
    order = torch.rand(count, N_PLAIN, generator=generator).argsort(dim=-1)
    runs, gaps = order[:, :run], order[:, run:run + gap]
    bos = torch.full((count, 1), BOS, dtype=torch.long)
    return torch.cat([bos, runs, gaps, runs], dim=1)


def accuracies(model, held_out):
    """Next-token accuracy, averaged over the held-out sets of each len(r), on the first run
    (chance: its tokens are new) and on the repeat after its first token (predictable by
    induction). The repeat's first token is left out: where the first run ends is not known
    before it, so it is a guess too."""
    first, induction = [], []
    for tokens in held_out:
        run = (tokens.shape[1] - 1) // 2
        with torch.no_grad():
            pred = model(tokens)[:, :-1].argmax(-1)
        right = (pred == tokens[:, 1:]).float()
        first.append(right[:, :run].mean().item())
        induction.append(right[:, run + 1:].mean().item())
    return sum(first) / len(first), sum(induction) / len(induction)


def train(held_out):
    model = ref.GPT2(CFG)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    for step in range(1, STEPS + 1):
        gap = GAPS[int(torch.randint(len(GAPS), ()))]
        tokens = sequences(BATCH, RUNS[step % len(RUNS)], gap)
        logits = model(tokens)[:, :-1]
        loss = F.cross_entropy(logits.reshape(-1, CFG.d_vocab), tokens[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 500 == 0:
            first, induction = accuracies(model, held_out)
            print("induction: step %d, loss %.4f, accuracy on the repeat %.3f"
                  % (step, loss.item(), induction))
    return model, STEPS


def diagonal_score(pattern, offset, queries):
    """Mean attention weight from each query position in queries to key position query - offset,
    over the batch: pattern is (B, Tq, Tk) for one head."""
    q = torch.tensor(queries)
    return pattern[:, q, q - offset].mean().item()


def head_scores(model, held_out):
    """Per head, averaged over the held-out sets: the induction score (from each position of the
    repeat to the token after that token's first occurrence, key = query - len(r) + 1) and the
    previous-token score (key = query - 1)."""
    sums = {}
    for tokens in held_out:
        T = tokens.shape[1]
        run = (T - 1) // 2
        cache = model.run_with_cache(tokens)
        for L in range(CFG.n_layer):
            pattern = cache["blocks.%d.attn.hook_pattern" % L]
            for h in range(CFG.n_head):
                ind = diagonal_score(pattern[:, h], run - 1, list(range(run + 1, T)))
                prev = diagonal_score(pattern[:, h], 1, list(range(1, T)))
                a, b = sums.get((L, h), (0.0, 0.0))
                sums[(L, h)] = (a + ind / len(held_out), b + prev / len(held_out))
    return [(L, h) + sums[(L, h)] for L, h in sorted(sums)]


def chance():
    """The first run's accuracy for a guess among the tokens not seen yet, over RUNS."""
    per_run = [sum(1.0 / (N_PLAIN - k) for k in range(n)) / n for n in RUNS]
    return sum(per_run) / len(per_run)


def write_readme(steps, acc, scores, induction_head, prev_head):
    first, induction = acc
    also = ["%d" % h for L, h, ind, _ in scores if L == 1 and h != induction_head and ind > 0.5]
    others = ("\nIts score is the highest; layer 1's heads %s attend the same way, a little less."
              % ", ".join(also)) if also else ""
    rows = "\n".join("  L%d H%d   %.3f      %.3f" % s for s in scores)
    text = """# induction

A 2-layer GPT-2 (d_model {d}, {h} heads, d_mlp {m}, n_ctx {c}, a vocabulary of {v} words: "A".."Z",
".", "!", "?" and "<bos>") trained on "<bos> r r", r a run of {lo}..{hi} distinct random tokens
(one length per batch), with the next-token loss at every position: {steps} steps of Adam on fresh
batches of {batch}. Training batches put 0..{gmax} fresh tokens between the two copies, so that only
induction predicts the repeat (with the copies always adjacent, layer-0 heads learn to predict it
from the few distances len(r) allows, and no induction head forms). On 1024 held-out "<bos> r r"
of each length the repeat is predicted from its second token on with accuracy {ind:.3f}; the
first run is at chance, {first:.3f} (a guess among the tokens not seen yet gets {chance:.3f}).

Layer 1 head {ih} is the induction head: from each position of the repeat it attends to the
token after that token's first occurrence (position - len(r) + 1).{others}
Layer 0 head {ph} is the previous-token head (position - 1), whose output the induction heads'
keys read; it is not one for every token (for some it attends to the current position), hence
its score of {pscore:.2f}. Mean attention on those diagonals, over the held-out sequences:

  head    induction  previous-token
{rows}

Files: config.json + model.safetensors (HuggingFace GPT-2 layout, bare names, no buffers),
tokens.txt (line k is token k). intervene_prompt is one such sequence (len(r) = {run}) written out.

Regenerate (same bytes every run):  /usr/bin/python3 sample_models/induction/make_induction.py
""".format(d=CFG.d_model, h=CFG.n_head, m=CFG.d_mlp, c=CFG.n_ctx, v=CFG.d_vocab, lo=min(RUNS),
           hi=max(RUNS), gmax=max(GAPS), steps=steps, batch=BATCH, ind=induction, first=first,
           chance=chance(), ih=induction_head, others=others, ph=prev_head, pscore=[sc[3] for sc in scores if sc[:2] == (0, prev_head)][0],
           rows=rows, run=RUN)
    with open(os.path.join(HERE, "README.md"), "w") as f:
        f.write(text)


def main():
    ref.set_deterministic(0)
    held_out = [sequences(1024, n, generator=torch.Generator().manual_seed(n)) for n in RUNS]
    fixture_tokens = sequences(4, RUN, generator=torch.Generator().manual_seed(100))
    model, steps = train(held_out)
    model.eval()
    acc = accuracies(model, held_out)
    print("induction: %d steps; accuracy on the first run %.3f (chance %.3f), on the repeat "
          "after its first token %.3f" % (steps, acc[0], chance(), acc[1]))
    if acc[1] <= 0.95:
        raise SystemExit("induction: the repeat is not predicted well enough")

    scores = head_scores(model, held_out)
    for L, h, ind, prev in scores:
        print("induction: L%d H%d  induction score %.3f  previous-token score %.3f"
              % (L, h, ind, prev))
    induction_head = max((s for s in scores if s[0] == 1), key=lambda s: s[2])[1]
    prev_head = max((s for s in scores if s[0] == 0), key=lambda s: s[3])[1]
    print("induction: induction head L1 H%d, previous-token head L0 H%d"
          % (induction_head, prev_head))

    prompt = " ".join(WORDS[t] for t in fixture_tokens[0].tolist())
    ref.write_hf(model, HERE, legacy=False, intervene_prompt=prompt, bos_token_id=BOS,
                 eos_token_id=BOS)
    ref.write_tokens(WORDS, os.path.join(HERE, "tokens.txt"))
    write_readme(steps, acc, scores, induction_head, prev_head)

    # The source breaks the repeat at its first token: a token r does not hold.
    source = fixture_tokens.clone()
    for row in source:
        row[RUN + 1] = min(set(range(N_PLAIN)) - set(row[1:RUN + 1].tolist()))
    zero = mean = (1, induction_head)
    patch = (0, RUN + 1, source)
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, "induction-fixture.npz")
    with torch.no_grad():
        ref.save_npz(path, ref.fixture_arrays(model, fixture_tokens, zero, mean, patch))
        print("induction: float32 forward vs float64 naive: max relative difference %.2e"
              % ref.check_against_naive(model, fixture_tokens))
        n = ref.check_fixture(ref.load_hf(HERE), path, zero, mean, patch)
        print("induction: rebuilt from model.safetensors: all %d fixture arrays equal exactly" % n)


if __name__ == "__main__":
    main()
