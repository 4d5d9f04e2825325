"""verigrad against PyTorch (CPU) on a character-level GPT, in one process.

Both train ``vg.gpt(V, d_model=128, num_heads=4, num_layers=4, block_size=128)`` —
Embedding → sinusoidal positions → 4 pre-norm causal TransformerBlocks (GELU, tanh form) →
LayerNorm → Dense — with softmax cross-entropy per character on the tiny Shakespeare text
(windows of 128 characters, batch 16, AdamW 1e-3 with weight decay 0.1 on the weights,
float32, the same initial weights, the same batches in the same order, the same thread
count: ``torch.set_num_threads`` and verigrad's ``fit(threads=...)`` step, which computes
each batch in slices of its windows, one thread and one BLAS thread apiece). PyTorch's
model is built from ``torch.nn.TransformerEncoderLayer(norm_first=True, batch_first=True)``
with a causal mask. The steps are interleaved: each step runs verigrad, PyTorch and the
GEMM floor (the matrix products of one verigrad step, made the way verigrad makes them, on
the same slices and threads, nothing else) in turn, alternating who goes first. Reported:
seconds per 100 steps (median step × 100), the ratio verigrad/PyTorch, verigrad's step as
a multiple of the floor, and the validation loss per character of both after the same
steps; also the CPU time of each step, all threads together (median), which a loaded
machine's wall clock does not inflate (a thread spinning while it waits counts, a sleeping
one does not).

    python benchmarks/char_transformer.py [--steps 20] [--threads 1] [--data FILE]

On a machine other jobs keep busy, PyTorch's OpenMP threads spin while they wait for each
other (its CPU time on 2 threads grows several-fold); ``OMP_WAIT_POLICY=PASSIVE`` in the
environment makes them sleep instead, the fairer comparison there.

The last line printed is one JSON object with the figures.
"""
import argparse
import functools
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
D, HEADS, LAYERS, SEQ_LEN, BATCH, LR, DECAY = 128, 4, 4, 128, 16, 1e-3, 0.1


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=20, help="training steps of each contender")
    p.add_argument("--threads", type=int, default=1,
                   help="PyTorch threads; verigrad's fit(threads=...) slices")
    p.add_argument("--val-batches", type=int, default=4,
                   help="validation batches of 16 windows for the final loss")
    p.add_argument("--data", type=Path, default=None, help="the text (default: tiny Shakespeare)")
    return p.parse_args()


ARGS = parse()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(REPO))
import verigrad as vg  # noqa: E402
from verigrad.data.chars import CharVocabulary, load_text, next_char_windows  # noqa: E402
from verigrad.layers.positional import sinusoidal_table  # noqa: E402
from verigrad.parallel import SlicedSteps, batch_slices  # noqa: E402


class TorchGPT(torch.nn.Module):
    def __init__(self, V):
        super().__init__()
        self.embed = torch.nn.Embedding(V, D)
        self.register_buffer("positions",
                             torch.tensor(sinusoidal_table(D, SEQ_LEN).T, dtype=torch.float32))
        gelu = functools.partial(torch.nn.functional.gelu, approximate="tanh")
        self.blocks = torch.nn.ModuleList(torch.nn.TransformerEncoderLayer(
            D, HEADS, 4 * D, dropout=0.0, activation=gelu, batch_first=True, norm_first=True)
            for _ in range(LAYERS))
        self.norm = torch.nn.LayerNorm(D)
        self.out = torch.nn.Linear(D, V)

    def forward(self, ids):  # (m, T) -> (m, T, V)
        T = ids.shape[1]
        x = self.embed(ids) + self.positions[:T]
        mask = torch.nn.Transformer.generate_square_subsequent_mask(T)
        for block in self.blocks:
            x = block(x, src_mask=mask, is_causal=True)
        return self.out(self.norm(x))


def copy_weights(model, net):
    """The mapping of TransformerBlock's docstring, block k of the model = layer k + 2."""
    p = {k: torch.from_numpy(np.array(v)) for k, v in model.params.items()}
    with torch.no_grad():
        net.embed.weight.copy_(p["W1"].T)
        for j, block in enumerate(net.blocks, start=2):
            P = {name[:-1]: v for name, v in p.items() if name.endswith(str(j))}
            block.self_attn.in_proj_weight.copy_(torch.cat([P["Wq"], P["Wk"], P["Wv"]]))
            block.self_attn.in_proj_bias.copy_(torch.cat([P["bq"], P["bk"], P["bv"]])[:, 0])
            block.self_attn.out_proj.weight.copy_(P["Wo"])
            block.self_attn.out_proj.bias.copy_(P["bo"][:, 0])
            for ours, theirs in (("up", block.linear1), ("down", block.linear2)):
                theirs.weight.copy_(P[f"W{ours}"])
                theirs.bias.copy_(P[f"b{ours}"][:, 0])
            for ours, theirs in (("attn", block.norm1), ("ffn", block.norm2)):
                theirs.weight.copy_(P[f"gamma_{ours}"][:, 0])
                theirs.bias.copy_(P[f"beta_{ours}"][:, 0])
        last = LAYERS + 2
        net.norm.weight.copy_(p[f"gamma{last}"][:, 0])
        net.norm.bias.copy_(p[f"beta{last}"][:, 0])
        net.out.weight.copy_(p[f"W{last + 1}"])
        net.out.bias.copy_(p[f"b{last + 1}"][:, 0])


def torch_optimizer(net):
    """AdamW decaying the weight matrices and the embedding (verigrad's W parameters)."""
    decay = [p for n, p in net.named_parameters() if n.endswith("weight") and p.ndim == 2]
    rest = [p for n, p in net.named_parameters() if not (n.endswith("weight") and p.ndim == 2)]
    return torch.optim.AdamW([{"params": decay, "weight_decay": DECAY},
                              {"params": rest, "weight_decay": 0.0}], lr=LR)


def gemm_floor(V, threads):
    """One step's matrix products alone, as verigrad makes them: per block the stacked
    q/k/v projection, the (m, h) stacks of scores and weighted values (causal: in two
    halves of the queries, the first against the first half of the keys), the output
    projection and the two FFN layers, each with its two gradient products; the output
    layer likewise. With threads > 1, as ``fit(threads=...)`` steps: each thread makes the
    products of its slice of the batch (``batch_slices``) with one BLAS thread."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    sizes = [part.stop - part.start for part in batch_slices(BATCH, threads)]
    runs = [slice_products(V, m, seed) for seed, m in enumerate(sizes)]
    if threads == 1:
        return runs[0]
    pool = ThreadPoolExecutor(threads)

    def run():
        with threadpool_limits(1, user_api="blas"):
            for future in [pool.submit(r) for r in runs]:
                future.result()
    return run


def slice_products(V, m, seed):
    """The products of one step on m windows (see ``gemm_floor``)."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    N, d_h = SEQ_LEN * m, D // HEADS

    def a(*shape):
        return rng.standard_normal(shape, f32)

    W_in, W_o, W_up, W_down, W_y = a(3 * D, D), a(D, D), a(4 * D, D), a(D, 4 * D), a(V, D)
    X, H, dQKV, dH, dY = a(D, N), a(4 * D, N), a(3 * D, N), a(4 * D, N), a(V, N)
    q, k, P = a(m, HEADS, SEQ_LEN, d_h), a(m, HEADS, SEQ_LEN, d_h), a(m, HEADS, SEQ_LEN, SEQ_LEN)
    out_d, out_T = np.empty_like(q), np.empty_like(P)
    half = (SEQ_LEN + 1) // 2
    blocks = [(0, half), (half, SEQ_LEN)]  # causal: the query halves of MultiHeadAttention

    def run():
        for _ in range(LAYERS):
            W_in @ X, dQKV @ X.T, W_in.T @ dQKV                      # q, k, v
            for lo, hi in blocks:
                kt = k[..., :hi, :].swapaxes(-1, -2)
                np.matmul(q[..., lo:hi, :], kt, out=out_T[..., lo:hi, :hi])        # scores, dP
                np.matmul(q[..., lo:hi, :], kt, out=out_T[..., lo:hi, :hi])
                np.matmul(P[..., lo:hi, :hi], k[..., :hi, :], out=out_d[..., lo:hi, :])  # P·v, dq
                np.matmul(P[..., lo:hi, :hi], k[..., :hi, :], out=out_d[..., lo:hi, :])
                Pt = P[..., lo:, lo:hi].swapaxes(-1, -2)
                np.matmul(Pt, q[..., lo:, :], out=out_d[..., lo:hi, :])          # dv, dk
                np.matmul(Pt, q[..., lo:, :], out=out_d[..., lo:hi, :])
            W_o @ X, X @ X.T[:, :D], W_o.T @ X                       # output projection
            W_up @ X, dH @ X.T, W_up.T @ dH                          # FFN up
            W_down @ H, X @ H.T, W_down.T @ X                        # FFN down
        W_y @ X, dY @ X.T, W_y.T @ dY                                # output layer
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

    model = vg.gpt(V, D, HEADS, LAYERS, block_size=SEQ_LEN, dtype="float32", seed=0)
    net = TorchGPT(V)
    copy_weights(model, net)
    optimizer = vg.AdamW(LR, weight_decay=DECAY)
    t_optimizer = torch_optimizer(net)

    def verigrad_step(Xb, Yb):
        steps.cost_and_backward(Xb, Yb)
        optimizer.step(model.params, model.gradients())

    def torch_step(Xb, Yb):
        t_optimizer.zero_grad()
        logits = net(Xb)
        torch.nn.functional.cross_entropy(logits.reshape(-1, V), Yb.reshape(-1)).backward()
        t_optimizer.step()

    # the step of fit(threads=...): slices of the batch on their own threads
    with SlicedSteps(model, ARGS.threads, np.random.default_rng(0)) as steps:
        floor = gemm_floor(V, ARGS.threads)
        times = {"verigrad": [], "torch": [], "floor": []}
        cpu = {"verigrad": [], "torch": [], "floor": []}
        for step in range(ARGS.steps + 1):  # step 0 warms up, untimed
            cols = order[(step * BATCH) % X.shape[1]:][:BATCH]
            Xb, Yb = X[:, cols], Y[:, cols]
            Xt, Yt = torch.from_numpy(Xb.T.copy()), torch.from_numpy(Yb.T.copy())
            runs = [("verigrad", functools.partial(verigrad_step, Xb, Yb)),
                    ("torch", functools.partial(torch_step, Xt, Yt)), ("floor", floor)]
            for name, run in runs if step % 2 else runs[::-1]:
                start, start_cpu = time.perf_counter(), time.process_time()
                run()
                if step:
                    times[name].append(time.perf_counter() - start)
                    cpu[name].append(time.process_time() - start_cpu)

    val_loss = model.evaluate(X_val, Y_val)["cost"]
    with torch.no_grad():
        logits = net(torch.from_numpy(X_val.T.copy()))
        torch_val = torch.nn.functional.cross_entropy(
            logits.reshape(-1, V), torch.from_numpy(Y_val.T.copy()).reshape(-1)).item()
    per100 = {k: float(np.median(v)) * 100 for k, v in times.items()}
    cpu100 = {k: float(np.median(v)) * 100 for k, v in cpu.items()}
    result = {
        "steps": ARGS.steps, "threads": ARGS.threads,
        "verigrad_s_per_100_steps": round(per100["verigrad"], 2),
        "torch_s_per_100_steps": round(per100["torch"], 2),
        "gemm_floor_s_per_100_steps": round(per100["floor"], 2),
        "ratio": round(per100["verigrad"] / per100["torch"], 3),
        "gemm_floor_multiple": round(per100["verigrad"] / per100["floor"], 3),
        "verigrad_cpu_s_per_100_steps": round(cpu100["verigrad"], 2),
        "torch_cpu_s_per_100_steps": round(cpu100["torch"], 2),
        "verigrad_val_loss": round(val_loss, 4), "torch_val_loss": round(torch_val, 4),
    }
    print(f"{ARGS.steps} steps of batch {BATCH} × {SEQ_LEN} characters, d_model {D}, "
          f"{HEADS} heads, {LAYERS} blocks, vocabulary {V}, {ARGS.threads} thread(s)")
    for name in ("verigrad", "torch", "floor"):
        print(f"  {name:>9}: {per100[name]:7.2f} s per 100 steps (median of {ARGS.steps}), "
              f"CPU time {cpu100[name]:7.2f} s (all threads)")
    print(f"  ratio verigrad/PyTorch {result['ratio']:.3f}, verigrad / GEMM floor "
          f"{result['gemm_floor_multiple']:.3f}")
    print(f"  validation loss per character: verigrad {val_loss:.4f}, PyTorch {torch_val:.4f} "
          f"(difference {abs(val_loss - torch_val):.4f} nats)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
