"""verigrad against PyTorch (CPU) on an MNIST convolutional network, in one run.

Both train ``vg.cnn(model)`` -- LeNet-5 by default (conv 6 5×5 padding 2, max-pool 2,
conv 16 5×5, max-pool 2, Dense 120, 84, 10, ReLU), or ``--model two-conv`` -- from the same
initial weights (Adam 1e-3, batch 128, float32, softmax cross-entropy, the same thread count:
``torch.set_num_threads`` and ``fit(threads=...)``;
two-conv with its recipe's cosine learning-rate schedule, but not its random shifts: the
benchmark times the networks, not a data pipeline).
Each contender runs in its own worker process; the parent lets them train one epoch at a
time, in alternating order, so machine noise hits both alike. Reported: seconds per epoch
(median), the ratio verigrad/PyTorch, test accuracy after the last epoch, peak RSS of each
worker, and the GEMM floor -- the same matrix products as one verigrad epoch (im2col
products of the convolutions, Dense products, in slices of each batch on the same threads),
nothing else, timed in verigrad's worker before each epoch -- with verigrad's epoch time as
a multiple of it.

    python benchmarks/mnist_cnn.py [--model lenet5|two-conv] [--epochs N] [--threads 2]

The last line printed is one JSON object with the figures.
"""
import argparse
import json
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

from verigrad.cli.train import train_defaults
from verigrad.convnets import PRESETS

BATCH = 128
LR = 1e-3
#: epochs of the training recipe (``verigrad train mnist --model ...`` defaults)
EPOCHS = {model: train_defaults(model, "mnist")["epochs"] for model in PRESETS}
#: the recipes that decay the learning rate on a cosine over their epochs
COSINE = {model for model in PRESETS if train_defaults(model, "mnist")["schedule"] == "cosine"}


# ---- workers ------------------------------------------------------------------------------

def verigrad_worker(args):
    import numpy as np

    import verigrad as vg

    X_train, Y_train, X_test, Y_test = vg.data.load_mnist(args.data / "mnist", images=True)
    model = vg.load(args.weights)
    products = gemm_shapes(model)

    lockstep = lockstep_callback(vg, lambda: gemm_floor(np, products, X_train.shape[-1],
                                                            args.threads))
    send({"ready": True})
    schedule = vg.CosineDecay(args.epochs) if args.model in COSINE else None
    model.fit(X_train, Y_train, epochs=args.epochs, batch_size=BATCH,
              optimizer=vg.Adam(LR, schedule=schedule), seed=0, callbacks=[lockstep], verbose=0,
              threads=args.threads)
    accuracy = model.evaluate(X_test, Y_test)["accuracy"]
    send({"accuracy": 100 * accuracy, "peak_rss_mb": peak_rss_mb()})


def gemm_shapes(model):
    """(rows, inner, output rows and columns per example, whether dJ/d(input) is computed)
    of each parameterised layer's product Z = W_row · X_col: a convolution's W_row is
    (F, C·kh·kw) and X_col has H_out·W_out columns per example, H_out rows of W_out; a Dense
    layer's are W and A_prev, one column per example."""
    shapes, shape = [], model.input_shape
    for layer in model.layers:
        shape = layer.output_shape(shape)
        if "W" in layer.params:
            W = layer.params["W"]
            out_hw = shape[1:] if len(shape) == 3 else (1, 1)
            shapes.append((W.shape[0], W.size // W.shape[0], *out_hw, layer.needs_input_grad))
    return shapes


def gemm_floor(np, products, m, threads):
    """Seconds for the matrix products of one epoch, made as verigrad makes them: each
    mini-batch cut into ``threads`` slices (``fit(threads=...)``), each slice's products on
    its own thread with one BLAS thread, block by block of output rows
    (``verigrad.layers.conv.row_blocks``): per layer Z = W_row·X_col, dW_rowᵀ = X_col·dZᵀ
    and (below the first layer) dX_col = W_rowᵀ·dZ. Each thread takes its slice of every
    batch without waiting for the others: a floor."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    from verigrad.layers.conv import row_blocks
    from verigrad.parallel import batch_slices
    rng = np.random.default_rng(0)
    batches = [BATCH] * (m // BATCH) + ([m % BATCH] if m % BATCH else [])
    # the slice sizes of each thread, as fit(threads=...) cuts a batch
    work = [[] for _ in range(threads)]
    for k in batches:
        for t, part in enumerate(batch_slices(k, threads)):
            work[t].append(part.stop - part.start)
    arrays = {}
    for k in sorted({k for sizes in work for k in sizes}):
        arrays[k] = [(rng.standard_normal((rows, inner), dtype=np.float32),
                      rng.standard_normal((inner, H_out * W_out * k), dtype=np.float32),
                      [slice(r.start * W_out * k, r.stop * W_out * k)
                       for r in row_blocks(H_out, W_out * k, inner)], grad)
                     for rows, inner, H_out, W_out, grad in products]

    def products_of(sizes):
        for k in sizes:
            for W, X_col, blocks, grad in arrays[k]:
                Z = np.empty((W.shape[0], X_col.shape[1]), np.float32)
                for block in blocks:
                    np.matmul(W, X_col[:, block], out=Z[:, block])
                for block in blocks:
                    X_col[:, block] @ Z[:, block].T
                    if grad:
                        W.T @ Z[:, block]

    with threadpool_limits(1 if threads > 1 else None, user_api="blas"), \
            ThreadPoolExecutor(threads) as pool:
        start = time.perf_counter()
        list(pool.map(products_of, work))
        return time.perf_counter() - start


def torch_worker(args):
    import numpy as np
    import torch

    import verigrad as vg

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    X_train, Y_train, X_test, Y_test = vg.data.load_mnist(args.data / "mnist", images=True)
    # (1, 28, 28, m) stored example by example is (m, 1, 28, 28) in C order: no copy.
    X = torch.from_numpy(np.moveaxis(X_train, -1, 0))
    Y = torch.from_numpy(Y_train)
    net = torch_net(torch, vg.load(args.weights))
    torch_lockstep(torch, net, X, Y, epochs=args.epochs, batch_size=BATCH, lr=LR,
                   cosine=args.model in COSINE)
    X_test = torch.from_numpy(np.moveaxis(X_test, -1, 0))
    with torch.no_grad():
        predicted = torch.cat([net(X_test[i:i + 8192]).argmax(dim=1)
                               for i in range(0, X_test.shape[0], 8192)])
    accuracy = float((predicted.numpy() == Y_test).mean())
    send({"accuracy": 100 * accuracy, "peak_rss_mb": peak_rss_mb()})


def torch_net(torch, model):
    """The same network as the verigrad ``model``, layer for layer, with its weights."""
    import verigrad as vg

    nn, modules = torch.nn, []
    for layer in model.layers:
        if isinstance(layer, vg.Conv2D):
            module = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                               layer.stride, layer.padding)
        elif isinstance(layer, vg.Dense):
            module = nn.Linear(layer.n_in, layer.n_out)
        elif isinstance(layer, vg.MaxPool2D):
            module = nn.MaxPool2d(layer.kernel_size, layer.stride)
        elif isinstance(layer, vg.Dropout):
            module = nn.Dropout(layer.rate)
        else:
            module = {vg.ReLU: nn.ReLU, vg.Flatten: nn.Flatten}[type(layer)]()
        if layer.params:
            with torch.no_grad():
                module.weight.copy_(torch.from_numpy(layer.params["W"]))
                module.bias.copy_(torch.from_numpy(layer.params["b"][:, 0]))
        modules.append(module)
    return nn.Sequential(*modules)


# ---- parent -------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(EPOCHS), default="lenet5")
    parser.add_argument("--epochs", type=int, help="default: the recipe's (" + ", ".join(
        f"{model} {epochs}" for model, epochs in EPOCHS.items()) + ")")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--worker", choices=("verigrad", "torch"))
    parser.add_argument("--weights", type=Path)
    args = parser.parse_args()
    if args.worker:
        return (verigrad_worker if args.worker == "verigrad" else torch_worker)(args)

    import numpy as np

    import verigrad as vg

    args.epochs = args.epochs or EPOCHS[args.model]
    tmp = Path(tempfile.mkdtemp(prefix="verigrad-bench-"))
    args.weights = tmp / "init.npz"
    vg.cnn(args.model, seed=0).save(args.weights)
    print(f"MNIST {args.model}, Adam {LR}{' (cosine)' if args.model in COSINE else ''}, "
          f"batch {BATCH}, float32, {args.epochs} epochs, {args.threads} threads", flush=True)
    options = ["--model", args.model, "--weights", str(args.weights), "--epochs", str(args.epochs),
               "--threads", str(args.threads), "--data", str(args.data)]
    times, gemm, final = run_lockstep(__file__, options, epochs=args.epochs,
                                      threads=args.threads)
    figures = {"model": args.model, **lockstep_figures(times, gemm, final),
               "peak_rss_mb": round(final["verigrad"]["peak_rss_mb"], 1),
               "torch_peak_rss_mb": round(final["torch"]["peak_rss_mb"], 1),
               "epochs": args.epochs, "threads": args.threads, "numpy": np.__version__}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
