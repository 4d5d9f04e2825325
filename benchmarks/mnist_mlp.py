"""verigrad against PyTorch (CPU) on the MNIST MLP, in one run.

Both train the README's example network, 784-256-128-10 with ReLU and Dropout(0.2)
after the first hidden layer (``--dropout 0`` leaves it out; ``--batch-norm`` puts a batch
normalization between each hidden Dense layer and its ReLU), from the same initial weights
(Adam 1e-3, batch 128, float32, softmax cross-entropy, 10 epochs, same thread count).
Each contender runs in its own worker process; the parent lets them train one epoch at a
time, in alternating order, so machine noise hits both alike. Reported: seconds per epoch
(median), the ratio verigrad/PyTorch, peak RSS of each worker, test accuracy after the last
epoch, the GEMM-only floor (the same matrix products as one epoch, nothing else, timed in
verigrad's worker before each epoch) and verigrad's epoch time as a multiple of it, and the
peak RSS of `verigrad train mnist`.

    python benchmarks/mnist_mlp.py [--epochs 10] [--threads 2] [--dropout 0.2] [--batch-norm]
                                   [--data DIR]

The last line printed is one JSON object with the figures.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    default_data_dir,
    lockstep_callback,
    lockstep_figures,
    peak_rss_mb,
    run_lockstep,
    send,
    torch_lockstep,
)

SIZES = [784, 256, 128, 10]
BATCH = 128
LR = 1e-3


# ---- workers ------------------------------------------------------------------------------

def verigrad_worker(args):
    import numpy as np

    import verigrad as vg

    X_train, Y_train, X_test, Y_test = vg.data.load_mnist(args.data / "mnist")
    model = vg.load(args.weights)

    lockstep = lockstep_callback(vg, lambda: gemm_floor(np, X_train.shape[1]))
    send({"ready": True})
    model.fit(X_train, Y_train, epochs=args.epochs, batch_size=BATCH, optimizer=vg.Adam(LR),
              seed=0, callbacks=[lockstep], verbose=0)
    accuracy = model.evaluate(X_test, Y_test)["accuracy"]
    send({"accuracy": 100 * accuracy, "peak_rss_mb": peak_rss_mb()})


def gemm_floor(np, m):
    """Seconds for the matrix products of one epoch: per mini-batch, Z[l] = W[l]·A[l-1]
    (3 products), dW[l] = dZ[l]·A[l-1]ᵀ (3) and dA[l-1] = W[l]ᵀ·dZ[l] for l = 3, 2 (2)."""
    rng = np.random.default_rng(0)
    W = [rng.standard_normal((n_out, n_in), dtype=np.float32)
         for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]
    X = rng.random((m, SIZES[0]), dtype=np.float32).T  # column-contiguous, like MNIST's X
    start = time.perf_counter()
    for i in range(0, m, BATCH):
        A = [X[:, i:i + BATCH]]
        for Wl in W:
            A.append(Wl @ A[-1])
        dZ = A[-1]  # stands in for dJ/dZ of the output layer: same shape
        grads = []
        for l in range(len(W) - 1, -1, -1):
            grads.append(dZ @ A[l].T)
            if l > 0:
                dZ = W[l].T @ dZ
    return time.perf_counter() - start


def torch_worker(args):
    import numpy as np
    import torch

    import verigrad as vg

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    X_train, Y_train, X_test, Y_test = vg.data.load_mnist(args.data / "mnist")
    X = torch.from_numpy(np.ascontiguousarray(X_train.T))
    Y = torch.from_numpy(Y_train)
    start_weights = np.load(args.weights)

    def hidden(n_in, n_out):
        norm = [torch.nn.BatchNorm1d(n_out)] if args.batch_norm else []
        return [torch.nn.Linear(n_in, n_out), *norm, torch.nn.ReLU()]

    net = torch.nn.Sequential(*hidden(784, 256), torch.nn.Dropout(args.dropout),
                              *hidden(256, 128), torch.nn.Linear(128, 10))
    # Parameterised modules in order, numbered 1, 2, ... as verigrad numbers its layers.
    numbered = [module for module in net if isinstance(module, (torch.nn.Linear,
                                                                torch.nn.BatchNorm1d))]
    with torch.no_grad():
        for k, module in enumerate(numbered, start=1):
            names = ("W", "b") if isinstance(module, torch.nn.Linear) else ("gamma", "beta")
            module.weight.copy_(torch.from_numpy(start_weights[f"{names[0]}{k}"]).reshape(
                module.weight.shape))
            module.bias.copy_(torch.from_numpy(start_weights[f"{names[1]}{k}"][:, 0]))
    torch_lockstep(torch, net, X, Y, epochs=args.epochs, batch_size=BATCH, lr=LR)
    with torch.no_grad():
        logits = net(torch.from_numpy(np.ascontiguousarray(X_test.T)))
    accuracy = float((logits.argmax(dim=1).numpy() == Y_test).mean())
    send({"accuracy": 100 * accuracy, "peak_rss_mb": peak_rss_mb()})


# ---- parent -------------------------------------------------------------------------------

def start_model(dropout, batch_norm):
    """The README's example network (He-initialised, seed 0); both contenders start from it.
    Batch normalization starts at γ = 1, β = 0 in both libraries."""
    import verigrad as vg

    def hidden(n_in, n_out):
        return [vg.Dense(n_in, n_out), *([vg.BatchNorm(n_out)] if batch_norm else []), vg.ReLU()]

    layers = hidden(SIZES[0], SIZES[1])
    if dropout:
        layers.append(vg.Dropout(dropout))
    for n_in, n_out in zip(SIZES[1:-2], SIZES[2:-1]):
        layers += hidden(n_in, n_out)
    layers.append(vg.Dense(SIZES[-2], SIZES[-1]))
    return vg.Sequential(layers, loss=vg.SoftmaxCrossEntropy(), seed=0)


def cli_peak_rss_mb(args, out):
    """Peak RSS of `verigrad train mnist` (one epoch: the peak is reached in the first)."""
    extra = ", '--batch-norm'" if args.batch_norm else ""
    code = ("import resource, sys; from verigrad.cli import main; "
            f"rc = main(['train', 'mnist', '--epochs', '1', '--quiet', '--out', {str(out)!r}, "
            f"'--data', {str(args.data / 'mnist')!r}{extra}]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    return float(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.2,
                        help="dropout rate after the first hidden layer (0: none)")
    parser.add_argument("--batch-norm", action="store_true",
                        help="batch normalization between each hidden Dense layer and its ReLU")
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--worker", choices=("verigrad", "torch"))
    parser.add_argument("--weights", type=Path)
    args = parser.parse_args()
    if args.worker:
        return (verigrad_worker if args.worker == "verigrad" else torch_worker)(args)

    import numpy as np

    tmp = Path(tempfile.mkdtemp(prefix="verigrad-bench-"))
    args.weights = tmp / "init.npz"
    start_model(args.dropout, args.batch_norm).save(args.weights)
    print(f"MNIST MLP {'-'.join(map(str, SIZES))}, dropout {args.dropout} after the first "
          f"hidden layer, {'batch norm' if args.batch_norm else 'no batch norm'}, Adam {LR}, "
          f"batch {BATCH}, float32, "
          f"{args.epochs} epochs, {args.threads} threads", flush=True)
    options = ["--weights", str(args.weights), "--epochs", str(args.epochs),
               "--threads", str(args.threads), "--dropout", str(args.dropout),
               "--data", str(args.data), *(["--batch-norm"] if args.batch_norm else [])]
    times, gemm, final = run_lockstep(__file__, options, epochs=args.epochs,
                                      threads=args.threads)
    cli_rss = cli_peak_rss_mb(args, tmp / "cli-run")
    figures = lockstep_figures(times, gemm, final)
    print(f"`verigrad train mnist` peak RSS: {cli_rss:.0f} MB")
    figures.update({
        "verigrad_worker_peak_rss_mb": round(final["verigrad"]["peak_rss_mb"], 1),
        "torch_worker_peak_rss_mb": round(final["torch"]["peak_rss_mb"], 1),
        "peak_rss_mb": round(cli_rss, 1),
        "epochs": args.epochs, "threads": args.threads, "dropout": args.dropout,
        "batch_norm": args.batch_norm,
        "numpy": np.__version__,
    })
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
