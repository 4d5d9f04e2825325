"""verigrad against PyTorch (CPU) on a character-level LSTM language model, in one process.

Both train Embedding(V, 64) → LSTM(64, 256) → Dense(256, V) → softmax cross-entropy per
character on the tiny Shakespeare text (sequences of 100 characters, batch 64, Adam 2e-3,
float32, the same initial weights, the same batches in the same order, the same thread
count). The steps are interleaved: each step runs verigrad, PyTorch and the GEMM floor
(the same matrix products as one verigrad step, nothing else) in turn, alternating who goes
first, so machine noise hits all alike. Reported: seconds per 100 steps of each (median
step × 100), the ratio verigrad/PyTorch, verigrad's step as a multiple of the floor, the
validation loss per character of both after the same steps (they should agree within 0.02
nats), the process's peak RSS and the peak of verigrad's own allocations in one step.

    python benchmarks/char_lstm.py [--steps 30] [--threads 1] [--data FILE]

The last line printed is one JSON object with the figures.
"""
import argparse
import functools
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EMBED, HIDDEN, SEQ_LEN, BATCH, LR = 64, 256, 100, 64, 2e-3


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=30, help="training steps of each contender")
    p.add_argument("--threads", type=int, default=1, help="BLAS / PyTorch threads")
    p.add_argument("--val-batches", type=int, default=4,
                   help="validation batches of 64 sequences for the final loss")
    p.add_argument("--data", type=Path, default=None, help="the text (default: tiny Shakespeare)")
    return p.parse_args()


ARGS = parse()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(REPO))
import verigrad as vg  # noqa: E402
from verigrad.data.chars import CharVocabulary, load_text, next_char_windows  # noqa: E402


def verigrad_model(V):
    return vg.Sequential([vg.Embedding(V, EMBED), vg.LSTM(EMBED, HIDDEN), vg.Dense(HIDDEN, V)],
                         loss=vg.SequenceSoftmaxCrossEntropy(), dtype="float32", seed=0)


class TorchModel(torch.nn.Module):
    def __init__(self, V):
        super().__init__()
        self.embed = torch.nn.Embedding(V, EMBED)
        self.lstm = torch.nn.LSTM(EMBED, HIDDEN)
        self.out = torch.nn.Linear(HIDDEN, V)

    def forward(self, ids):  # (T, m) -> (T, m, V)
        return self.out(self.lstm(self.embed(ids))[0])


def copy_weights(model, net):
    """PyTorch's packed LSTM weights from the course's blocks: rows i, f, g, o; columns of
    weight_hh act on a⟨t−1⟩, of weight_ih on x⟨t⟩; the bias goes in bias_ih."""
    p = {k: torch.from_numpy(np.array(v)) for k, v in model.params.items()}
    blocks = [p[f"W{g}2"] for g in "ifco"]
    with torch.no_grad():
        net.embed.weight.copy_(p["W1"].T)
        net.lstm.weight_hh_l0.copy_(torch.cat([W[:, :HIDDEN] for W in blocks]))
        net.lstm.weight_ih_l0.copy_(torch.cat([W[:, HIDDEN:] for W in blocks]))
        net.lstm.bias_ih_l0.copy_(torch.cat([p[f"b{g}2"][:, 0] for g in "ifco"]))
        net.lstm.bias_hh_l0.zero_()
        net.out.weight.copy_(p["W3"])
        net.out.bias.copy_(p["b3"][:, 0])


def gemm_floor(V):
    """A step's matrix products alone, on arrays of the step's shapes: the input and
    hidden shares of the gates, the output layer, and their gradients."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    G, TM = 4 * HIDDEN, SEQ_LEN * BATCH
    W_a, W_x = rng.standard_normal((G, HIDDEN), f32), rng.standard_normal((G, EMBED), f32)
    W_y = rng.standard_normal((V, HIDDEN), f32)
    X, H = rng.standard_normal((EMBED, TM), f32), rng.standard_normal((HIDDEN, TM), f32)
    dG, dY = rng.standard_normal((G, TM), f32), rng.standard_normal((V, TM), f32)
    h = np.ascontiguousarray(H[:, :BATCH])

    def run():
        W_x @ X                                  # input share, every step at once
        for _ in range(SEQ_LEN):
            W_a @ h                              # hidden share, step by step
        W_y @ H                                  # output layer
        dY @ H.T                                 # its weight gradient
        W_y.T @ dY                               # back into the hidden states
        for _ in range(SEQ_LEN):
            W_a.T @ dG[:, :BATCH]                # back through each step
        dG @ H.T                                 # dW_a
        dG @ X.T                                 # dW_x
        W_x.T @ dG                               # back into the embeddings
    return run


def main():
    torch.set_num_threads(ARGS.threads)
    text = load_text(ARGS.data)
    vocab = CharVocabulary.from_text(text)
    ids = vocab.encode(text)
    cut = len(ids) * 9 // 10
    X, Y = next_char_windows(ids[:cut], SEQ_LEN)
    X_val, Y_val = next_char_windows(ids[cut:], SEQ_LEN)
    X_val, Y_val = X_val[:, :ARGS.val_batches * BATCH], Y_val[:, :ARGS.val_batches * BATCH]
    order = np.random.default_rng(0).permutation(X.shape[1])
    V = vocab.size

    model = verigrad_model(V)
    net = TorchModel(V)
    copy_weights(model, net)
    optimizer = vg.Adam(LR)
    torch_optimizer = torch.optim.Adam(net.parameters(), lr=LR)

    def verigrad_step(Xb, Yb):
        model.cost_and_backward(Xb, Yb)
        optimizer.step(model.params, model.gradients())

    def torch_step(Xb, Yb):
        torch_optimizer.zero_grad()
        logits = net(Xb)
        torch.nn.functional.cross_entropy(logits.reshape(-1, V), Yb.reshape(-1)).backward()
        torch_optimizer.step()

    floor = gemm_floor(V)
    times = {"verigrad": [], "torch": [], "floor": []}
    for step in range(ARGS.steps + 1):  # step 0 warms up, untimed
        cols = order[(step * BATCH) % X.shape[1]:][:BATCH]
        Xb, Yb = X[:, cols], Y[:, cols]
        Xt, Yt = torch.from_numpy(Xb), torch.from_numpy(Yb)
        runs = [("verigrad", functools.partial(verigrad_step, Xb, Yb)),
                ("torch", functools.partial(torch_step, Xt, Yt)), ("floor", floor)]
        for name, run in runs if step % 2 else runs[::-1]:
            start = time.perf_counter()
            run()
            if step:
                times[name].append(time.perf_counter() - start)

    cols = order[:BATCH]
    tracemalloc.start()
    verigrad_step(X[:, cols], Y[:, cols])
    alloc_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    # the extra step above changed verigrad's weights: give PyTorch the same one
    torch_step(torch.from_numpy(X[:, cols]), torch.from_numpy(Y[:, cols]))

    val_loss = model.evaluate(X_val, Y_val)["cost"]
    with torch.no_grad():
        logits = net(torch.from_numpy(X_val))
        torch_val = torch.nn.functional.cross_entropy(logits.reshape(-1, V),
                                                      torch.from_numpy(Y_val).reshape(-1)).item()
    per100 = {k: float(np.median(v)) * 100 for k, v in times.items()}
    result = {
        "steps": ARGS.steps, "threads": ARGS.threads,
        "verigrad_s_per_100_steps": round(per100["verigrad"], 2),
        "torch_s_per_100_steps": round(per100["torch"], 2),
        "gemm_floor_s_per_100_steps": round(per100["floor"], 2),
        "ratio": round(per100["verigrad"] / per100["torch"], 3),
        "gemm_floor_multiple": round(per100["verigrad"] / per100["floor"], 3),
        "verigrad_val_loss": round(val_loss, 4), "torch_val_loss": round(torch_val, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "verigrad_step_alloc_peak_mb": round(alloc_peak_mb, 1),
    }
    print(f"{ARGS.steps} steps of batch {BATCH} × {SEQ_LEN} characters, hidden {HIDDEN}, "
          f"vocabulary {V}, {ARGS.threads} thread(s)")
    for name in ("verigrad", "torch", "floor"):
        print(f"  {name:>9}: {per100[name]:7.2f} s per 100 steps (median of {ARGS.steps})")
    print(f"  ratio verigrad/PyTorch {result['ratio']:.3f}, verigrad / GEMM floor "
          f"{result['gemm_floor_multiple']:.3f}")
    print(f"  validation loss per character: verigrad {val_loss:.4f}, PyTorch {torch_val:.4f} "
          f"(difference {abs(val_loss - torch_val):.4f} nats)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
